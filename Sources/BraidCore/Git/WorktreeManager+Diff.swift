import Foundation

extension WorktreeManager {
    /// The task's whole change as a patch: the worktree's files now (committed, staged, unstaged
    /// and untracked alike) against `base`, by default the commit the task started from.
    public func diff(_ worktree: TaskWorktree, against base: String? = nil) throws(GitError) -> String {
        let base = base ?? worktree.startCommit
        return try withScratchIndex(worktree, base: base, context: "diffing #\(worktree.taskID)") { git, environment throws(GitError) in
            try git.output(["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames",
                            "--src-prefix=a/", "--dst-prefix=b/", base, "--"],
                           context: "diffing #\(worktree.taskID)", environment: environment)
        }
    }

    /// Lines added and deleted per file, over the same change as `diff`.
    public func diffstat(_ worktree: TaskWorktree, against base: String? = nil) throws(GitError) -> [FileChange] {
        let base = base ?? worktree.startCommit
        return try withScratchIndex(worktree, base: base, context: "counting changes of #\(worktree.taskID)") { git, environment throws(GitError) in
            FileChange.parseNumstat(try git.output(
                ["diff", "--numstat", "-z", "--no-ext-diff", "--no-textconv", "--no-renames", base, "--"],
                context: "counting changes of #\(worktree.taskID)", environment: environment))
        }
    }

    /// Where the task's branch and the base branch last met: what its diff is measured against,
    /// so that a branch that merged the base branch shows only its own work.
    /// With a remote, tasks start from the fetched base branch, which may be ahead of the local
    /// one: the newest merge base with either counts.
    public func mergeBase(_ worktree: TaskWorktree) throws(GitError) -> String {
        var bases = ["refs/heads/\(baseBranch)"]
        if let remote = worktree.base.remote, let _ = try git.commit(of: "refs/remotes/\(remote)/\(baseBranch)", context: "reading the remote base") {
            bases.append("refs/remotes/\(remote)/\(baseBranch)")
        }
        let result = try git.at(worktree.path).run(["merge-base", "HEAD"] + bases,
                                                   context: "finding #\(worktree.taskID)'s merge base", accepting: [0, 1])
        let commit = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && Self.isObjectID(commit) ? commit : worktree.startCommit
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
        _ worktree: TaskWorktree, base: String, context: String,
        _ body: (Git, [String: String]) throws(GitError) -> Result
    ) throws(GitError) -> Result {
        guard Self.isObjectID(base) else {
            throw .invalidObjectID(context: context, value: base)
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
