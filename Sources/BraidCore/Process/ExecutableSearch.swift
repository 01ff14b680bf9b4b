import Foundation

/// Finds the file a program name refers to, as a shell would, because `Process` wants a path and
/// Braid never goes through a shell to find one.
enum ExecutableSearch {
    /// Used when the environment has no `PATH` at all.
    static let fallbackPath = "/usr/local/bin:/usr/bin:/bin"

    /// `name` itself when it contains a `/`, else the first executable `<dir>/<name>` on `searchPath`.
    /// Empty `PATH` entries (the current directory) are skipped: a repository must not be able to
    /// plant a `git` that Braid then runs.
    static func locate(_ name: String, searchPath: String?) throws(CommandError) -> String {
        guard !name.isEmpty else { throw .executableNotFound(name) }
        if name.contains("/") {
            guard isExecutableFile(name) else { throw .executableNotFound(name) }
            return name
        }
        for directory in (searchPath ?? fallbackPath).split(separator: ":") where directory.hasPrefix("/") {
            let candidate = directory.hasSuffix("/") ? "\(directory)\(name)" : "\(directory)/\(name)"
            if isExecutableFile(candidate) { return candidate }
        }
        throw .executableNotFound(name)
    }

    private static func isExecutableFile(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory)
            && !isDirectory.boolValue
            && FileManager.default.isExecutableFile(atPath: path)
    }
}
