import JSON

/// One task as clients see it: the board's card joined with what the journal and the merge queue
/// know. `task/list` returns these and `task/changed` carries one each time any of it changes.
public struct TaskSnapshot: Sendable, Equatable {
    public let id: Int
    public let title: String
    public let section: BoardSection
    public let owner: String?
    /// The agent the task asks for (`agent:`), else nil for the configured default.
    public let agent: String?
    /// Sessions run for the task since it was last retried or reassigned (the journal's count).
    public let sessions: Int
    /// Failed tries, the number the escalation rule counts.
    public let attempts: Int
    /// "passed" or "failed at <step>", once a gate has run.
    public let lastGate: String?
    public let blockedReason: String?
    /// The session running for it now, if any.
    public let runningSession: String?
    /// Waiting in the merge queue.
    public let queued: Bool
    public let landedCommit: String?
    /// How closely to look at its diff, once its gate passed.
    public let risk: RiskScore?
    /// Where its review stands, while it is in Review ("review: 2 findings (worst high), 1 to decide").
    public let review: String?

    /// `task` is borrowed: the daemon makes one for every task on the board at each change, and a
    /// board task is large.
    public init(_ task: borrowing BoardTask, id: Int, record: TaskRecord?, runningSession: String?, queued: Bool,
                review: ReviewRecord? = nil) {
        self.id = id
        title = task.title
        section = task.section
        owner = task.owner
        agent = task.agent
        sessions = record?.sessions.count ?? 0
        attempts = record?.attempts ?? 0
        lastGate = record?.lastGate.map { $0.passed ? "passed" : "failed at \($0.failedStep ?? "a step")" }
        blockedReason = task.blockedReason
        self.runningSession = runningSession
        self.queued = queued
        landedCommit = task.landedCommit
        risk = review?.risk
        self.review = task.section == .review ? review.flatMap { $0.summary.isEmpty ? nil : $0.summary } : nil
    }

    public var json: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            "id": .number(JSONNumber(id)), "title": .string(title), "section": .string(section.rawValue),
            "owner": optional(owner), "agent": optional(agent),
            "attempts": .number(JSONNumber(attempts)), "sessions": .number(JSONNumber(sessions)),
            "lastGate": optional(lastGate), "blockedReason": optional(blockedReason),
            "runningSession": optional(runningSession), "queued": .bool(queued), "landedCommit": optional(landedCommit),
            "risk": risk?.json ?? .null, "review": optional(review),
        ])
    }
}
