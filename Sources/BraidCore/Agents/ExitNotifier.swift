import Synchronization

/// One process's end, told once to everyone who asks: any number of tasks may await it, before or
/// after it happens, and callbacks may be registered. Whatever learns of the end (a thread blocked
/// in `waitpid`, or one watching a pidfd) calls `finish` once.
final class ExitNotifier: Sendable {
    private struct State {
        var exit: AgentExit?
        var callbacks: [@Sendable (AgentExit) -> Void] = []
    }

    private let state = Mutex(State())

    /// The end, once known.
    var exit: AgentExit? { state.withLock { $0.exit } }

    /// Records the end and runs every callback, outside the lock. Later calls are ignored.
    func finish(_ exit: AgentExit) {
        let callbacks = state.withLock { state -> [@Sendable (AgentExit) -> Void] in
            guard state.exit == nil else { return [] }
            state.exit = exit
            defer { state.callbacks = [] }
            return state.callbacks
        }
        for callback in callbacks { callback(exit) }
    }

    /// Runs `body` with the end: at once, on this thread, when it is already known.
    func whenFinished(_ body: @escaping @Sendable (AgentExit) -> Void) {
        let known = state.withLock { state -> AgentExit? in
            if state.exit == nil { state.callbacks.append(body) }
            return state.exit
        }
        if let known { body(known) }
    }

    /// The end, however long it takes. Cancelling the waiting task does not end the wait: the
    /// process decides when it ends; use the deadline variant to bound it.
    func wait() async -> AgentExit {
        if let exit { return exit }
        return await withCheckedContinuation { continuation in
            whenFinished { continuation.resume(returning: $0) }
        }
    }

    /// The end, or nil if `deadline` comes first. No thread waits: a sleeping task is the timer.
    func wait(until deadline: ContinuousClock.Instant) async -> AgentExit? {
        if let exit { return exit }
        let once = ResumeOnce<AgentExit?>()
        return await withCheckedContinuation { continuation in
            once.set(continuation)
            let timer = Task {
                try? await Task.sleep(until: deadline, clock: .continuous)
                once.resume(nil)
            }
            // A callback left behind by a timed-out wait is only dropped at the end; it is small.
            whenFinished { exit in
                timer.cancel()
                once.resume(exit)
            }
        }
    }
}

/// A continuation that whichever comes first resumes, and the others find already resumed.
private final class ResumeOnce<Value: Sendable>: Sendable {
    private let continuation = Mutex<CheckedContinuation<Value, Never>?>(nil)

    func set(_ continuation: CheckedContinuation<Value, Never>) {
        self.continuation.withLock { $0 = continuation }
    }

    func resume(_ value: Value) {
        continuation.withLock { $0.take() }?.resume(returning: value)
    }
}
