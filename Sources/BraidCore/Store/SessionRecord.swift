import Foundation
import JSON

/// One agent session as the journal knows it: what a restarted Braid needs to re-adopt it while it
/// runs (pid, log, worktree) and to count it once it has ended.
public struct SessionRecord: Sendable, Equatable {
    public var id: String
    public var task: Int
    public var agent: String
    /// The supervisor's number for this try, as it recorded it at the start.
    public var attempt: Int
    public var pid: Int32
    public var worktree: String
    public var branch: String
    public var startCommit: String
    public var log: String
    public var startedAt: Date
    /// Nil while the session runs.
    public var end: End?
    public var verdict: Verdict
    /// The task's `epoch` when the session started. A session counts towards the task's
    /// `attempts` only while the two are equal: tries made before a reassignment or a person's
    /// retry do not count against what comes after.
    public var epoch: Int

    public var isRunning: Bool { end == nil }

    public init(id: String, task: Int, agent: String, attempt: Int, pid: Int32, worktree: String, branch: String,
                startCommit: String, log: String, startedAt: Date, end: End? = nil, verdict: Verdict = .running,
                epoch: Int = 0) {
        self.id = id
        self.task = task
        self.agent = agent
        self.attempt = attempt
        self.pid = pid
        self.worktree = worktree
        self.branch = branch
        self.startCommit = startCommit
        self.log = log
        self.startedAt = startedAt
        self.end = end
        self.verdict = verdict
        self.epoch = epoch
    }

    /// How the session's process ended.
    public struct End: Sendable, Equatable {
        public var exitCode: Int32?
        public var signal: Int32?
        public var reason: SessionEndReason
        public var changedFiles: Bool
        public var commit: String?
        public var costUSD: Double?
        public var at: Date

        public init(exitCode: Int32?, signal: Int32?, reason: SessionEndReason, changedFiles: Bool, commit: String?,
                    costUSD: Double?, at: Date) {
            self.exitCode = exitCode
            self.signal = signal
            self.reason = reason
            self.changedFiles = changedFiles
            self.commit = commit
            self.costUSD = costUSD
            self.at = at
        }
    }

    /// Where the session stands as a try at its task. Only `failed` counts towards escalation;
    /// `SupervisorState.apply` documents the moves between them.
    public enum Verdict: String, Sendable, Equatable, CaseIterable {
        case running
        /// Exited by itself; its gate has not reported yet.
        case awaitingGate
        case passed
        case failed
        /// Ended by a quota fallback: the agent could not work, which is not a failed try.
        case excused
        /// Cancelled by a person or found dead after a daemon crash: not the agent's failure.
        case interrupted
    }
}
