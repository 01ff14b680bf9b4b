import Foundation

/// A serial executor with a thread of its own, for an actor whose work blocks: the supervisor
/// writes and flushes the journal and the board (an `fsync` can take tens of milliseconds on a busy
/// disk). On Swift's cooperative pool, which has one thread per core, that would hold up every
/// other task of the process, the answers to clients among them.
final class ThreadExecutor: SerialExecutor, @unchecked Sendable {
    /// The jobs waiting, shared with the thread; the thread ends when the executor goes.
    private final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var jobs: [UnownedJob] = []
        var stopped = false
    }

    private let queue = Queue()

    init(name: String) {
        let queue = self.queue
        let thread = Thread { [weak self] in
            while true {
                queue.condition.lock()
                while queue.jobs.isEmpty && !queue.stopped { queue.condition.wait() }
                if queue.jobs.isEmpty {
                    queue.condition.unlock()
                    return
                }
                let batch = queue.jobs
                queue.jobs.removeAll(keepingCapacity: true)
                queue.condition.unlock()
                guard let executor = self?.asUnownedSerialExecutor() else { return }
                for job in batch { job.runSynchronously(on: executor) }
            }
        }
        thread.name = name
        thread.start()
    }

    deinit {
        queue.condition.lock()
        queue.stopped = true
        queue.condition.signal()
        queue.condition.unlock()
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        queue.condition.lock()
        queue.jobs.append(job)
        queue.condition.signal()
        queue.condition.unlock()
    }

    func asUnownedSerialExecutor() -> UnownedSerialExecutor {
        UnownedSerialExecutor(ordinary: self)
    }
}
