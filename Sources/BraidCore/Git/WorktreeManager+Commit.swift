import Foundation

extension WorktreeManager {
    /// Commits whatever the agent left uncommitted in its worktree, so that its work is kept and
    /// gated as one state; returns the new commit, or nil when there was nothing to commit.
    /// Hooks are not run (`--no-verify`): the gate is what checks the work, and a hook waiting for
    /// input would hang an unattended run. Without a configured identity, Braid's own is used.
    public func commitPending(_ worktree: TaskWorktree, message: String) throws(GitError) -> String? {
        let context = "committing the work of #\(worktree.taskID)"
        let git = git.at(worktree.path)
        guard !(try git.output(["status", "--porcelain", "--untracked-files=all"], context: context)).isEmpty else { return nil }
        try git.run(["add", "-A", "--", "."], context: context)
        var identity: [String] = []
        let email = try git.run(["config", "--get", "user.email"], context: context, accepting: [0, 1]).output
        if email.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
            identity = ["-c", "user.name=Braid", "-c", "user.email=braid@localhost"]
        }
        try git.run(identity + ["commit", "--quiet", "--no-verify", "--allow-empty-message", "-F", "-"],
                    context: context, input: Data(message.utf8))
        return try head(worktree)
    }

    /// The worktree's current commit.
    public func head(_ worktree: TaskWorktree) throws(GitError) -> String {
        try git.at(worktree.path).output(["rev-parse", "--verify", "HEAD"], context: "reading the head of #\(worktree.taskID)")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Whether the worktree's committed content differs from `commit` (by default its start
    /// commit; a session passes the commit it started from). Commits that undo each other count
    /// as no change.
    public func hasCommittedChanges(_ worktree: TaskWorktree, since commit: String? = nil) throws(GitError) -> Bool {
        try git.at(worktree.path).run(["diff", "--quiet", "--no-ext-diff", commit ?? worktree.startCommit, "HEAD", "--"],
                                      context: "comparing #\(worktree.taskID) with its start", accepting: [0, 1]).status == 1
    }

    /// Puts the worktree back at `commit` (by default its head): undoes what is uncommitted
    /// (tracked changes and untracked files; ignored files stay) and commits made since: what a
    /// reviewer, which must not change the work, left behind.
    public func discardChanges(_ worktree: TaskWorktree, since commit: String? = nil) throws(GitError) {
        let context = "undoing what #\(worktree.taskID)'s reviewer left"
        let git = git.at(worktree.path)
        var moved = false
        if let commit { moved = try head(worktree) != commit }
        if !moved {
            guard !(try git.output(["status", "--porcelain", "--untracked-files=all"], context: context)).isEmpty else { return }
        }
        try git.run(["reset", "--quiet", "--hard", commit ?? "HEAD"], context: context)
        try git.run(["clean", "-fdq"], context: context)
    }
}
