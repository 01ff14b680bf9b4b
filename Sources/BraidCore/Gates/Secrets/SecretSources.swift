import Foundation

/// What the scanner reads in a repository: the added lines of a diff, the tracked files, or the
/// files under a folder.
public enum SecretSources {
    /// `git diff` in the form the scanner reads: no colour, no external diff or text conversion,
    /// renames detected (a moved file adds nothing new), no context lines, `a/` and `b/` prefixes,
    /// and file names printed as they are.
    public static func diff(_ git: Git, from base: String, to target: String? = nil, paths: [String] = [],
                            context: String) throws(GitError) -> Data {
        let revisions = [base] + (target.map { [$0] } ?? [])
        return try git.run(["-c", "core.quotePath=false", "diff", "--no-color", "--no-ext-diff", "--no-textconv", "-M", "-U0",
                            "--src-prefix=a/", "--dst-prefix=b/"] + revisions + ["--"] + paths,
                           context: context).stdout
    }

    /// The repository's tracked files, relative to its top.
    public static func trackedFiles(_ git: Git, context: String) throws(GitError) -> [String] {
        let output = try git.run(["ls-files", "-z", "--full-name"], context: context).stdout
        return output.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The regular files under `folder` (or `folder` itself when it is a file), without following
    /// symbolic links, skipping `.git`, `.build` and Braid's copies of the repository
    /// (`.braid/worktrees`, `.braid/integration`, `.braid/trash`).
    public static func files(under folder: URL) -> [URL] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: folder.path, isDirectory: &isDirectory) else { return [] }
        guard isDirectory.boolValue else { return [folder] }
        let keys: [URLResourceKey] = [.isRegularFileKey, .isDirectoryKey, .isSymbolicLinkKey]
        guard let walker = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: keys) else { return [] }
        var files: [URL] = []
        for case let url as URL in walker {
            let values = try? url.resourceValues(forKeys: Set(keys))
            if values?.isSymbolicLink == true { continue }
            if values?.isDirectory == true {
                let name = url.lastPathComponent
                let parent = url.deletingLastPathComponent().lastPathComponent
                if name == ".git" || name == ".build" || (parent == ".braid" && ["worktrees", "integration", "trash"].contains(name)) {
                    walker.skipDescendants()
                }
                continue
            }
            if values?.isRegularFile == true { files.append(url) }
        }
        return files.sorted { $0.path < $1.path }
    }
}
