import BraidCore
import JSON

/// One task as `braid status` reports it.
struct TaskStatus {
    let id: Int?
    let title: String
    let section: BoardSection
    let owner: String?
    /// Agent sessions run for the task so far (the supervisor records them; none before it runs).
    let attempts: Int
    /// "passed" or "failed: <step>", once a gate has run.
    let lastGate: String?
    let blockedReason: String?

    init(_ task: BoardTask) {
        id = task.id
        title = task.title
        section = task.section
        owner = task.owner
        attempts = 0
        lastGate = nil
        blockedReason = task.blockedReason
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "title": .string(title), "section": .string(section.rawValue), "attempts": .number(JSONNumber(attempts)),
        ]
        members["id"] = id.map { .number(JSONNumber($0)) } ?? .null
        members["owner"] = owner.map { .string($0) } ?? .null
        members["lastGate"] = lastGate.map { .string($0) } ?? .null
        members["blockedReason"] = blockedReason.map { .string($0) } ?? .null
        return .object(members)
    }
}
