import Foundation

/// One try at a task, decided by the supervisor and carried out by `AttemptRunner`.
struct AttemptPlan: Sendable {
    let task: BoardTask
    let taskID: Int
    let session: String
    let agent: String
    let attempt: Int
    let worktree: TaskWorktree
    /// What the agent is told on a retry: the failed gate, a person's guidance.
    let feedback: RetryFeedback?
}

/// How a try ended, everything the supervisor needs to decide what comes next.
struct AttemptResult: Sendable {
    let plan: AttemptPlan
    let exit: AgentExit
    let stop: SessionStopReason?
    /// Asked for by `braid cancel`, during the session or during its gate.
    var cancelled: Bool
    let quotaExhausted: Bool
    let usage: AgentUsage
    let commit: String?
    /// Whether this session's work changed anything (against the commit the session started from).
    let changed: Bool
    /// Nil when the gate was not run (nothing changed, cancelled, quota, or a failure before it).
    var gate: GateResult?
    /// Set when Braid itself failed to run the try (no such agent, git failed…).
    let failure: String?
    /// The session's process ended while no Braid watched it (found dead at a restart).
    var diedUnwatched = false

    /// Whether its gate runs: the session changed something and was not cancelled, out of quota,
    /// or stopped by its watchdog.
    var willBeGated: Bool { changed && !cancelled && !quotaExhausted && stop == nil }
}
