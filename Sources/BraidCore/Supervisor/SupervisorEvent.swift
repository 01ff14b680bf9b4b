import Foundation

/// What the supervisor tells whoever drives it, as it happens: the daemon turns these into
/// notifications for every client, `braid demo` into lines on screen.
public enum SupervisorEvent: Sendable {
    /// A state change a person can read ("#3 passed its gate on try 1: waiting in Review").
    case line(String)
    /// An agent runs (or was re-adopted) for a task; its output goes to `log`.
    case sessionStarted(task: Int, session: String, agent: String, attempt: Int, pid: Int32, log: String)
    /// The agent's process is over and its work committed.
    case sessionExited(task: Int, session: String, exitCode: Int32?, signal: Int32?, reason: String)
    /// The task's gate starts on what the session left.
    case gateStarted(task: Int, session: String, steps: [String])
    case gateFinished(task: Int, session: String, result: GateResult)
    /// A task stopped and waits for a person: retry, reassign or abandon.
    case escalated(task: Int, agent: String, reason: String)
    /// A pass of the merge queue starts, or ended with these decisions.
    case mergeStarted
    case mergeFinished(landed: [Int], refused: [Int], waiting: String?)
    /// `supervisor/run` began dispatching, or everything runnable is done.
    case runStarted
    case runEnded
    /// The board or the journal changed (a card moved, an outcome was recorded).
    case stateChanged
}

/// Whether the supervisor starts new sessions.
public enum SupervisorMode: String, Sendable, Codable {
    /// Starts nothing on its own; sessions started by hand, gates and merges still run.
    case idle
    /// Dispatches from the board until nothing runnable is left, then goes back to idle.
    case running
    /// Dispatching was suspended by a person: running sessions go on, nothing new starts.
    case paused
}
