#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The one thread from which `CommandRunner` starts children, one at a time.
///
/// `ChildSpawn` already gives every child an empty signal mask and closes its stray descriptors;
/// this thread is the second line of both defences:
/// - its own signal mask is empty, whereas Dispatch's worker threads, and so Swift's cooperative
///   pool, block nearly every signal;
/// - runners make their pipes here and mark them close-on-exec before any other runner spawns, so
///   that where the C library cannot close descriptors in the child (glibc before 2.34), no pipe
///   made a moment earlier leaks into an unrelated child whose exit its reader would then await.
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
