import Foundation

/// A task's worktree as created: where it is, its branch, and the commit it started from, which
/// the task's diff is taken against. Codable, so that the journal can keep it across restarts.
public struct TaskWorktree: Sendable, Hashable, Codable {
    public let taskID: Int
    public let path: URL
    /// The short name, `braid/<id>-<slug>[-n]`.
    public let branch: String
    /// The commit the branch was created at; diffs are against it.
    public let startCommit: String
    public let base: BaseRef
    /// What the user may want to know but that did not stop the creation: a stale base, a
    /// configured symlink or copy that was skipped.
    public let warnings: [String]

    public init(taskID: Int, path: URL, branch: String, startCommit: String, base: BaseRef, warnings: [String]) {
        self.taskID = taskID
        self.path = path
        self.branch = branch
        self.startCommit = startCommit
        self.base = base
        self.warnings = warnings
    }
}
