import Foundation

/// What every client of a repository is told, in the order it happened. The server turns each
/// into its notification; per task, the order is the order of the changes.
public enum ServiceEvent: Sendable {
    case taskChanged(TaskSnapshot)
    case taskRemoved(Int)
    /// A slice of a session's output: `offset` is where it starts in the session's log, so a client
    /// can tell that nothing was skipped.
    case sessionOutput(task: Int, session: String, offset: Int, text: String)
    case sessionStarted(task: Int, session: String, agent: String, attempt: Int, pid: Int32)
    case sessionExited(task: Int, session: String, exitCode: Int32?, signal: Int32?, reason: String)
    case gateStarted(task: Int, session: String, steps: [String])
    case gateResult(task: Int, session: String, result: GateResult)
    case mergeStarted
    case mergeFinished(landed: [Int], refused: [Int], waiting: String?)
    case mergeDecided(MergeDecision)
    case escalated(task: Int, agent: String, reason: String)
    case runStarted
    case runEnded
    /// A line of the supervisor's account, for logs.
    case log(String)
    /// Something every person connected should see (`window/showMessage`, a warning).
    case notice(String)
}
