import Foundation

/// What the queue decided for one candidate. Decisions are numbered in the order they were made
/// (`seq`), so that a supervisor can apply each exactly once, whichever process made it.
public struct MergeDecision: Sendable, Equatable, Codable {
    public enum Kind: String, Sendable, Equatable, Codable {
        /// Landed on the base branch as `commit`.
        case landed
        /// Its work was already on the base branch: closed as done without a new commit.
        case alreadyLanded
        /// Sent back to its agent: `reason` says why.
        case refused
    }

    /// Why a candidate was refused.
    public enum Reason: String, Sendable, Equatable, Codable {
        /// `git merge-tree` found a textual conflict with the base branch.
        case conflict
        /// The gate failed on the merged result (twice: a flake is ruled out).
        case gateFailed
        /// The merge would revert work that landed after the task's worktree started.
        case staleBase
        /// Its branch or pinned tip is gone, or git could not merge it.
        case unmergeable
    }

    public var seq: Int
    public var task: Int
    /// The queued tip decided on: a task queued again with a newer tip stays queued.
    public var tip: String?
    public var kind: Kind
    public var reason: Reason?
    /// The landed commit, or for `alreadyLanded` the commit that holds the work when known.
    public var commit: String?
    /// For people and for the agent's next prompt: conflicting paths, gate output, reverted lines.
    public var detail: String
    public var agent: String
    public var at: Date

    public init(seq: Int, task: Int, tip: String? = nil, kind: Kind, reason: Reason? = nil, commit: String? = nil, detail: String,
                agent: String, at: Date = Date()) {
        self.seq = seq
        self.task = task
        self.tip = tip
        self.kind = kind
        self.reason = reason
        self.commit = commit
        self.detail = detail
        self.agent = agent
        self.at = at
    }

    /// Whether the task is done (landed now or before).
    public var isDone: Bool { kind != .refused }
}
