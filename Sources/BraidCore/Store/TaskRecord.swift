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
