import Foundation
import JSON

/// One fact the supervisor records, as one line of the journal. Events describe what has already
/// happened (a session was started with this pid), so that replaying them after a crash never
/// invents work that was not done.
///
/// New kinds are added as new cases with a new `kind` string; the line format (`v`) changes only
/// when an existing kind's meaning does. A Braid that meets a kind it does not know refuses the
/// journal rather than guess (see `JournalEvent.DecodeError`).
public enum JournalEvent: Sendable, Equatable {
    case sessionStarted(task: Int, session: String, agent: String, attempt: Int, pid: Int32, worktree: String,
                        branch: String, startCommit: String, log: String, at: Date)
    case sessionEnded(session: String, exitCode: Int32?, signal: Int32?, reason: SessionEndReason, changedFiles: Bool,
                      commit: String?, costUSD: Double?, at: Date)
    /// `failedStep` names the gate step that failed (nil when it passed); `result` is the gate's
    /// report, opaque to the journal and kept exactly as given.
    case gateFinished(task: Int, session: String, passed: Bool, failedStep: String?, result: JSONValue, at: Date)
    case taskOutcome(task: Int, outcome: TaskOutcome, detail: String?, agent: String?, at: Date)
    /// The merge queue's decision `seq` about a task, applied once: landed (done), or refused
    /// (sent back to its agent, which counts as a failed try).
    /// `reason` is the refusal's (`conflict`, `gateFailed`, `staleBase`, `unmergeable`), or
    /// `alreadyLanded` for a task closed because its work was already on the base branch.
    case mergeDecision(task: Int, seq: Int, landed: Bool, reason: String?, commit: String?, detail: String, agent: String, at: Date)
    /// Written only by compaction: everything known about one task and its sessions, in place of
    /// the events that built it.
    case taskSnapshot(TaskRecord, sessions: [SessionRecord])

    /// The line format this Braid writes and reads.
    public static let formatVersion = 1

    /// The `kind` field of the event's line.
    public var kind: String {
        switch self {
        case .sessionStarted: return "sessionStarted"
        case .sessionEnded: return "sessionEnded"
        case .gateFinished: return "gateFinished"
        case .taskOutcome: return "taskOutcome"
        case .taskSnapshot: return "taskSnapshot"
        case .mergeDecision: return "mergeDecision"
        }
    }
}
