import Foundation
import JSON

/// What the journal knows of one task: how many failed tries count towards escalation, who works on
/// it, its last gate, and its sessions in the order they started.
public struct TaskRecord: Sendable, Equatable {
    public var id: Int
    /// Failed tries since the task last got a fresh start (a reassignment or a person's retry):
    /// sessions of the current `epoch` whose verdict is `failed`. The escalation rule compares this
    /// with `maxRetries`.
    public var attempts: Int
    /// The agent working on the task: the last session's, or the one a reassignment or a quota
    /// fallback named.
    public var agent: String?
    public var lastGate: Gate?
    /// Why the task was escalated, while it stays escalated.
    public var escalation: String?
    /// The last outcome recorded for the task, with its detail and time.
    public var outcome: TaskOutcome?
    public var outcomeDetail: String?
    public var outcomeAt: Date?
    /// Session ids, oldest first.
    public var sessions: [String]
    /// Bumped by each fresh start; see `SessionRecord.epoch`.
    public var epoch: Int
    /// The highest merge queue decision (`MergeDecision.seq`) applied to the task.
    public var mergeSeq = 0
    /// What happened to the task, counted per agent (for `metrics/get`); kept by compaction.
    public var tallies: [String: Tally] = [:]
    /// When its first session started, and when it landed (its wall time is the difference).
    public var firstStartedAt: Date?
    public var doneAt: Date?
    /// The commit the merge queue landed it as.
    public var landedCommit: String?

    /// Counts of one agent's work on one task.
    public struct Tally: Sendable, Equatable {
        public var sessions = 0
        /// The gate failed on the task's branch.
        public var gateCatches = 0
        /// The gate failed on the branch merged with the base branch.
        public var mergeGateCatches = 0
        public var mergeConflicts = 0
        public var staleBaseCatches = 0
        /// Failed tries sent back to the agent (gate, no change, stall, merge refusal).
        public var retries = 0
        public var escalations = 0
        /// Times the task was taken from this agent and given to another.
        public var reassignedAway = 0
        /// Times the task landed with this agent's work.
        public var completed = 0
        public var costUSD = 0.0

        public init() {}
    }

    public init(id: Int, attempts: Int = 0, agent: String? = nil, lastGate: Gate? = nil, escalation: String? = nil,
                outcome: TaskOutcome? = nil, outcomeDetail: String? = nil, outcomeAt: Date? = nil,
                sessions: [String] = [], epoch: Int = 0) {
        self.id = id
        self.attempts = attempts
        self.agent = agent
        self.lastGate = lastGate
        self.escalation = escalation
        self.outcome = outcome
        self.outcomeDetail = outcomeDetail
        self.outcomeAt = outcomeAt
        self.sessions = sessions
        self.epoch = epoch
    }

    /// A gate's verdict on one session's work. `result` is the gate's own report, kept as it was given.
    public struct Gate: Sendable, Equatable {
        public var session: String
        public var passed: Bool
        /// The step that failed; nil when the gate passed.
        public var failedStep: String?
        public var result: JSONValue
        public var at: Date

        public init(session: String, passed: Bool, failedStep: String?, result: JSONValue, at: Date) {
            self.session = session
            self.passed = passed
            self.failedStep = failedStep
            self.result = result
            self.at = at
        }
    }
}
