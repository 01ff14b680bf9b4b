import BraidCore
import JSON

/// One task as `braid status` reports it.
struct TaskStatus {
    let id: Int?
    let title: String
    let section: BoardSection
    let owner: String?
    /// Sessions run for the task since it was last retried or reassigned (the journal's count).
    let sessions: Int
    /// Failed tries, the number the escalation rule counts.
    let attempts: Int
    /// "passed" or "failed at <step>", once a gate has run.
    let lastGate: String?
    let blockedReason: String?

    init(_ task: BoardTask, record: TaskRecord?) {
        id = task.id
        title = task.title
        section = task.section
        owner = task.owner
        sessions = record?.sessions.count ?? 0
        attempts = record?.attempts ?? 0
        lastGate = record?.lastGate.map { $0.passed ? "passed" : "failed at \($0.failedStep ?? "a step")" }
        blockedReason = task.blockedReason
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "title": .string(title), "section": .string(section.rawValue), "attempts": .number(JSONNumber(attempts)),
            "sessions": .number(JSONNumber(sessions)),
        ]
        members["id"] = id.map { .number(JSONNumber($0)) } ?? .null
        members["owner"] = owner.map { .string($0) } ?? .null
        members["lastGate"] = lastGate.map { .string($0) } ?? .null
        members["blockedReason"] = blockedReason.map { .string($0) } ?? .null
        return .object(members)
    }
}
