import Foundation

extension WorktreeManager {
    /// The task's whole change as a patch: the worktree's files now (committed, staged, unstaged
    /// and untracked alike) against the commit the task started from.
    public func diff(_ worktree: TaskWorktree) throws(GitError) -> String {
        try withScratchIndex(worktree, context: "diffing #\(worktree.taskID)") { git, environment throws(GitError) in
            try git.output(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                            "--src-prefix=a/", "--dst-prefix=b/", worktree.startCommit, "--"],
                           context: "diffing #\(worktree.taskID)", environment: environment)
        }
    }

    /// Lines added and deleted per file, over the same change as `diff`.
    public func diffstat(_ worktree: TaskWorktree) throws(GitError) -> [FileChange] {
        try withScratchIndex(worktree, context: "counting changes of #\(worktree.taskID)") { git, environment throws(GitError) in
            FileChange.parseNumstat(try git.output(
                ["diff", "--numstat", "-z", "--no-ext-diff", "--no-textconv", "--no-renames", worktree.startCommit, "--"],
                context: "counting changes of #\(worktree.taskID)", environment: environment))
        }
    }

    /// Whether the worktree has anything not committed: staged, unstaged or untracked (but not
    /// ignored) files.
    public func hasUncommittedChanges(_ worktree: TaskWorktree) throws(GitError) -> Bool {
        let output = try git.at(worktree.path).output(["status", "--porcelain", "-z", "--untracked-files=normal"],
                                                      context: "checking #\(worktree.taskID) for uncommitted changes")
        return !output.isEmpty
    }

    /// Runs `body` with an environment whose index is a scratch copy of the worktree's, in which
    /// untracked files are marked intent-to-add: `git diff <commit>` then shows them as new files.
    /// The agent's own index is only read, never written, and the copy is deleted afterwards.
    private func withScratchIndex<Result>(
        _ worktree: TaskWorktree, context: String,
        _ body: (Git, [String: String]) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        guard Self.isObjectID(worktree.startCommit) else {
            throw .invalidObjectID(context: context, value: worktree.startCommit)
        }
        let git = self.git.at(worktree.path)
        let index = try git.output(["rev-parse", "--path-format=absolute", "--git-path", "index"], context: context)
            .trimmingCharacters(in: .newlines)
        let scratch = FileManager.default.temporaryDirectory
            .appendingPathComponent("braid-index-\(UUID().uuidString)")
        defer {
            try? FileManager.default.removeItem(at: scratch)
            try? FileManager.default.removeItem(at: scratch.appendingPathExtension("lock"))
        }
        if FileManager.default.fileExists(atPath: index) {
            do {
                try FileManager.default.copyItem(at: URL(fileURLWithPath: index), to: scratch)
            } catch {
                throw .fileOperationFailed(context: context, path: index, reason: "\(error)")
            }
        }
        let environment = ["GIT_INDEX_FILE": scratch.path]
        try git.run(["add", "--intent-to-add", "--", "."], context: context, environment: environment)
        return try body(git, environment)
    }
}
