/// A path relative to the top of a checkout that cannot leave it: no absolute path, no `..`, no
/// empty path. Used for the folders Braid symlinks and the files it copies into each worktree.
public struct RepositoryPath: Sendable, Hashable, Codable, CustomStringConvertible {
    /// Normalised: `/`-separated, without `.` or empty components (`./a//b/` is `a/b`).
    public let path: String

    /// - Parameter context: what the path is for, for the error ("symlinking into worktrees").
    public init(_ path: String, context: String) throws(GitError) {
        if path.hasPrefix("/") || path.hasPrefix("~") {
            throw .unsafePath(context: context, path: path,
                              reason: "it must be relative to the top of the repository")
        }
        if path.unicodeScalars.contains(where: { $0.value == 0 }) {
            throw .unsafePath(context: context, path: path, reason: "it contains a NUL character")
        }
        let components = path.split(separator: "/").filter { $0 != "." }
        if components.contains("..") {
            throw .unsafePath(context: context, path: path,
                              reason: "`..` would leave the repository")
        }
        if components.isEmpty {
            throw .unsafePath(context: context, path: path,
                              reason: "it names the repository itself, not something in it")
        }
        self.path = components.joined(separator: "/")
    }

    /// Decoded paths (from a config file, say) are checked like any other.
    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        try self.init(raw, context: "reading a repository path")
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(path)
    }

    public var description: String { path }
}
