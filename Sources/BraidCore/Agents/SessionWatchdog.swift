import Foundation

/// Ends an agent session that runs past its wall-time limit, or that has stalled: for `stallAfter`
/// it neither wrote to its log nor changed anything in its worktree.
///
/// Costs nothing between checks: a task sleeps until the next deadline, looks once (the newest
/// modification time of the log and the worktree, `LatestActivity`), and either ends the session
/// or sleeps until the stall period after the activity it found. A session that ends by itself
/// cancels the sleep.
///
/// The watchdog's start counts as activity, so a session re-adopted after a restart gets a full
/// stall period. The wall time is counted from the process's start, so it keeps its deadline.
public final class SessionWatchdog: Sendable {
    private let task: Task<SessionStopReason?, Never>

    /// Starts watching at once.
    ///
    /// - Parameters:
    ///   - wallTime: the longest the session may run, from `process.startTime`; nil for no limit.
    ///   - stallAfter: how long without activity is a stall; nil to never check.
    ///   - terminationGrace: passed to `AgentProcess.terminate(grace:)` when ending the session.
    public init(process: AgentProcess, logFile: URL, worktree: URL, wallTime: Duration?,
                stallAfter: Duration?, terminationGrace: Duration = .seconds(10)) {
        let watchStart = Date()
        // The wall-clock start converted once to the monotonic clock that the sleeps use.
        let wallDeadline = wallTime.map { limit in
            ContinuousClock.now + limit - .seconds(watchStart.timeIntervalSince(process.startTime.date))
        }
        task = Task.detached {
            let reason = await Self.watch(process: process, logFile: logFile, worktree: worktree,
                                          wallDeadline: wallDeadline, stallAfter: stallAfter, since: watchStart)
            if reason != nil { await process.terminate(grace: terminationGrace) }
            return reason
        }
        process.whenExited { [task] _ in task.cancel() }
    }

    /// Why the watchdog ended the session, once it has ended; nil when the session ended by itself
    /// or the watchdog was cancelled. Returns after the session's process has ended.
    public func stopReason() async -> SessionStopReason? {
        await task.value
    }

    /// Stops watching; the session goes on.
    public func cancel() {
        task.cancel()
    }

    /// Sleeps from deadline to deadline until one calls for ending the session; nil once cancelled.
    private static func watch(process: AgentProcess, logFile: URL, worktree: URL,
                              wallDeadline: ContinuousClock.Instant?, stallAfter: Duration?,
                              since start: Date) async -> SessionStopReason? {
        var lastActivity = start
        while true {
            let now = ContinuousClock.now
            if let wallDeadline, now >= wallDeadline { return .wallTimeExceeded }
            var next = wallDeadline
            if let stallAfter {
                var idle = Duration.seconds(Date().timeIntervalSince(lastActivity))
                // Look only once the period since the last activity seen is over.
                if idle >= stallAfter {
                    if let seen = LatestActivity.newest(logFile: logFile, worktree: worktree) {
                        // A modification time in the future counts as now.
                        lastActivity = max(lastActivity, min(seen, Date()))
                    }
                    idle = Duration.seconds(Date().timeIntervalSince(lastActivity))
                    if idle >= stallAfter { return .stalled }
                }
                let stallCheck = now + (stallAfter - idle)
                next = next.map { min($0, stallCheck) } ?? stallCheck
            }
            guard let next else { return nil }
            do {
                try await Task.sleep(until: next, clock: .continuous)
            } catch {
                return nil
            }
            if process.exit != nil { return nil }
        }
    }
}
