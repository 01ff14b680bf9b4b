import Foundation

/// The repository's own ignore list, `info/exclude` in the common git directory: shared by every
/// worktree, never committed, and not part of the user's checkout.
///
/// Braid adds what it puts into worktrees that git should not offer to commit: the symlinks to
/// shared folders (a `node_modules/` rule does not match a symlink, which is a file to git, so an
/// agent's `git add -A` would commit it), the copied files, and the worktree root when it lies
/// inside the checkout.
struct ExcludeFile {
    let url: URL

    /// Appends each pattern that is not already a line of the file, creating it if need be.
    /// Reading first keeps repeated calls free of writes.
    func ensure(_ patterns: [String], context: String) throws(GitError) {
        let existing = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
        let lines = Set(existing.split(whereSeparator: \.isNewline).map(String.init))
        var missing: [String] = []
        for pattern in patterns where !lines.contains(pattern) && !missing.contains(pattern) {
            missing.append(pattern)
        }
        guard !missing.isEmpty else { return }
        var addition = existing.isEmpty || existing.hasSuffix("\n") ? "" : "\n"
        addition += "# Added by Braid: what it places in task worktrees.\n"
        addition += missing.map { $0 + "\n" }.joined()
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(),
                                                    withIntermediateDirectories: true)
            if !FileManager.default.fileExists(atPath: url.path) {
                try Data().write(to: url)
            }
            let handle = try FileHandle(forWritingTo: url)
            defer { try? handle.close() }
            try handle.seekToEnd()
            try handle.write(contentsOf: Data(addition.utf8))
        } catch {
            throw .fileOperationFailed(context: context, path: url.path, reason: error.localizedDescription)
        }
    }

    /// A pattern matching exactly `path` from the top of the repository, a file, symlink or (with
    /// `directoryOnly`) a folder; nil for a path no pattern can spell (one with a line break).
    static func pattern(for path: String, directoryOnly: Bool = false) -> String? {
        guard !path.contains(where: \.isNewline) else { return nil }
        var escaped = ""
        for character in path {
            if "\\*?[".contains(character) { escaped.append("\\") }
            escaped.append(character)
        }
        if escaped.hasSuffix(" ") { escaped = String(escaped.dropLast()) + "\\ " }
        return "/" + escaped + (directoryOnly ? "/" : "")
    }
}
