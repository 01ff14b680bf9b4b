/// How the merge queue lands work: `mergeQueue` in `.braid/config.json`.
public struct MergeQueueConfig: Sendable, Equatable {
    /// How a task's branch becomes commits on the base branch.
    public enum Strategy: String, Sendable, Equatable, CaseIterable {
        /// One commit per task, with the task's title as its subject (the default).
        case squash
        /// A merge commit whose second parent is the task's tip, keeping the agent's commits.
        case merge
    }

    /// Candidates merged and gated together (bors' batching); 1 is the plain serial queue.
    public var batch = 1
    public var strategy = Strategy.squash
    /// Whether a task whose gate passed joins the queue by itself under `braid run`.
    public var auto = true
    /// Whether a landed task's worktree is removed, and its branch deleted.
    public var removeWorktree = true
    public var deleteBranch = true

    public init() {}
}
