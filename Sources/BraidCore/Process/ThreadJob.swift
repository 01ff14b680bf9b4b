import Foundation
import Synchronization

/// Work on a thread of its own, whose result is collected once with `wait()`.
///
/// Blocking reads and writes on a child's pipes go here rather than on Dispatch's global queues: a
/// burst of parallel commands would otherwise park every pool thread on a read and starve the rest.
final class ThreadJob<Value: Sendable>: Sendable {
    private let result = Mutex<Value?>(nil)
    private let finished = DispatchSemaphore(value: 0)

    init(name: String, _ work: @escaping @Sendable () -> Value) {
        let thread = Thread { [self] in
            let value = work()
            result.withLock { $0 = value }
            finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Blocks until the work has returned, then returns its value. Call once.
    func wait() -> Value {
        finished.wait()
        // The value was stored before the signal, so it is there.
        return result.withLock { $0.take() }!
    }
}

extension ThreadJob {
    /// Runs `work` on a thread of its own and suspends the calling task, not a thread of Swift's
    /// cooperative pool, until it returns: for blocking work called from async code.
    static func run(name: String, _ work: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            let thread = Thread { continuation.resume(returning: work()) }
            thread.name = name
            thread.start()
        }
    }
}
