#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The one thread from which `CommandRunner` starts children, one at a time.
///
/// Two things a child inherits from the thread that spawns it make this necessary on Linux:
/// - the signal mask: Dispatch's worker threads, and so Swift's cooperative pool, block nearly every
///   signal, and a program started from one ignores SIGTERM and SIGINT for life (`Process` sets no
///   mask of its own). This thread's mask is empty.
/// - open descriptors: `Process` closes in the child the descriptors open when it starts, so a pipe
///   made by another thread a moment later leaks into the child, and that pipe's reader then waits
///   for the unrelated child to exit. Runners make their pipes on this thread, so no pipe appears
///   between another runner's scan and spawn.
final class Spawner: @unchecked Sendable {
    static let shared = Spawner()

    // Guarded by `condition`.
    private let condition = NSCondition()
    private var jobs: [() -> Void] = []

    private init() {
        let thread = Thread { [self] in
            var none = sigset_t()
            sigemptyset(&none)
            pthread_sigmask(SIG_SETMASK, &none, nil)
            while true {
                condition.lock()
                while jobs.isEmpty { condition.wait() }
                let job = jobs.removeFirst()
                condition.unlock()
                job()
            }
        }
        thread.name = "braid-spawner"
        thread.start()
    }

    /// Runs `body` on the spawner thread and returns what it returned; the caller waits.
    func perform<Value: Sendable>(_ body: @escaping @Sendable () -> Value) -> Value {
        let result = Mutex<Value?>(nil)
        let done = DispatchSemaphore(value: 0)
        condition.lock()
        jobs.append {
            let value = body()
            result.withLock { $0 = value }
            done.signal()
        }
        condition.signal()
        condition.unlock()
        done.wait()
        // The job stored the value before it signalled.
        return result.withLock { $0.take() }!
    }
}
