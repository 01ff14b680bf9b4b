import Foundation

/// The task's change as the built-in steps read it: git in the task's worktree, from the base
/// commit to `HEAD` (the agent's work is committed before the gate runs).
struct TaskChange {
    let git: Git
    let base: String

    /// The files the change adds, deletes or modifies; a renamed file counts under both names.
    func changedFiles() throws(GitError) -> [String] {
        let output = try git.run(["diff", "--name-only", "-z", "--no-renames", "--no-ext-diff", base, "HEAD", "--"],
                                 context: "listing the task's changed files").stdout
        return output.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The change as a diff without context lines, optionally of some files only.
    func diff(paths: [String] = []) throws(GitError) -> Data {
        try SecretSources.diff(git, from: base, to: "HEAD", paths: paths, context: "diffing the task's change")
    }

    /// The lines the change adds to `path`.
    func addedLines(of path: String) throws(GitError) -> [String] {
        let patch = try diff(paths: [path])
        var lines: [String] = []
        patch.withUnsafeBytes { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            guard let base = bytes.baseAddress else { return }
            UnifiedDiff.forEachAddedLine(base, count: bytes.count) { _, _, text in
                lines.append(String(decoding: UnsafeBufferPointer(start: base + text.lowerBound, count: text.count), as: UTF8.self))
            }
        }
        return lines
    }

    /// The subjects of the branch's commits since the base, oldest first, merges left out.
    func subjects() throws(GitError) -> [String] {
        let output = try git.run(["log", "--no-merges", "--reverse", "--format=%s%x00", "\(base)..HEAD", "--"],
                                 context: "reading the task's commit subjects").stdout
        return output.split(separator: 0).map { String(decoding: $0, as: UTF8.self).trimmingCharacters(in: .newlines) }
            .filter { !$0.isEmpty }
    }

    /// A file as committed at the base; nil when it has none.
    func fileAtBase(_ path: String) throws(GitError) -> String? {
        let result = try git.run(["cat-file", "blob", "\(base):\(path)"], context: "reading \(path) at the base", accepting: [0, 128])
        return result.status == 0 ? result.output : nil
    }
}
