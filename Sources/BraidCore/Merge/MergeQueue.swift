#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The per-repository merge queue: lands tasks whose gate passed on the base branch one batch at a
/// time, each batch merged without a checkout, gated on the merged result, and moved onto the base
/// branch by compare-and-swap, so that the base branch only ever holds gated commits and no commit
/// is lost.
///
/// Any Braid process may enqueue (a short lock on the log). Only one at a time works the queue: the
/// others wait on `.braid/merge.lock`, then find the work done, since every decision is in the log
/// they read once they hold it. A crash at any step is recovered by the next `process`.
public struct MergeQueue: Sendable {
    public typealias Report = @Sendable (String) -> Void

    public let workspace: Workspace
    public let config: BraidConfig
    public let log: MergeLog
    let manager: WorktreeManager
    let plumbing: MergePlumbing
    let landing: Landing
    let integration: IntegrationWorktree
    let gate: GateRunner
    /// Identifies the gate's steps in the cache of verdicts: a tree that passed under other steps
    /// is gated again.
    let gateKey: String

    public init(workspace: Workspace, config: BraidConfig) throws {
        self.workspace = workspace
        self.config = config
        log = Self.log(in: workspace)
        manager = try workspace.worktreeManager(config)
        plumbing = MergePlumbing(git: manager.git)
        landing = Landing(git: manager.git, plumbing: plumbing, baseBranch: config.baseBranch)
        integration = IntegrationWorktree(manager: manager, path: workspace.integrationWorktree)
        gate = GateRunner(config: config)
        gateKey = Self.fingerprint(config.gate)
    }

    /// FNV-1a over the gate's steps as the config says them: stable across processes and runs.
    static func fingerprint(_ steps: [GateStepConfig]) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in steps.map({ "\($0)" }).joined(separator: "\u{1}").utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }

    /// The queue's log in `workspace`, for readers that do not work the queue.
    public static func log(in workspace: Workspace) -> MergeLog {
        MergeLog(url: workspace.stateDirectory.appendingPathComponent("merge-queue.jsonl"),
                 lockURL: workspace.stateDirectory.appendingPathComponent("merge-queue.lock"))
    }

    /// Held by the one process working the queue.
    public var workLock: URL { workspace.braidDirectory.appendingPathComponent("merge.lock") }

    /// What stops queuing a task, or the queue itself: a person must act (no branch, a base branch
    /// missing or diverged from its remote).
    public struct MergeQueueError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Queues task `id`'s branch as it is now: its tip is pinned, so that later commits on the
    /// branch are not landed unless it is queued again. Queuing a task already waiting refreshes
    /// its tip and keeps its place.
    @discardableResult
    public func enqueue(task id: Int, title: String, text: String, agent: String, session: String?) throws -> MergeCandidate {
        guard let worktree = try workspace.worktreeRegistry.worktree(forTask: id) else {
            throw MergeQueueError(message: "#\(id) has no worktree or branch to merge")
        }
        let context = "queuing #\(id)"
        guard let tip = try manager.git.commit(of: "refs/heads/\(worktree.branch)", context: context) else {
            throw MergeQueueError(message: "#\(id)'s branch \(worktree.branch) is gone")
        }
        guard tip != worktree.startCommit else {
            throw MergeQueueError(message: "#\(id)'s branch \(worktree.branch) has no commit of its own to merge")
        }
        let candidate = MergeCandidate(task: id, title: title, text: text, tip: tip, branch: worktree.branch,
                                       startCommit: worktree.startCommit, worktree: worktree.path.path, agent: agent, session: session)
        try plumbing.updateRefs([.update(ref: candidate.pinRef, new: tip, old: nil)], context: context)
        try log.append([MergeEvent(kind: .enqueued, candidate: candidate)], durable: true)
        return candidate
    }

    /// Takes a waiting task out of the queue; false when it was not waiting.
    @discardableResult
    public func remove(task id: Int, reason: String = "taken out of the queue by a person") throws -> Bool {
        let removed: MergeCandidate? = try log.update(durable: true) { state in
            guard let candidate = state.candidate(id) else { return ([], nil) }
            return ([MergeEvent(kind: .removed, task: id, detail: reason)], candidate)
        }
        guard let removed else { return false }
        // Only at the tip it was queued with: a queuing of it meanwhile keeps its own pin.
        _ = try? plumbing.updateRefs([.delete(ref: removed.pinRef, old: removed.tip)], context: "unpinning #\(id)")
        return true
    }

    public func state() throws -> MergeQueueState { try log.read() }

    /// What one `process` did.
    public struct Run: Sendable, Equatable {
        public var decisions: [MergeDecision] = []
        /// Set when the queue stopped to wait for a person (local changes in their checkout).
        public var waiting: String?
        /// Gate runs made on merged results (cached verdicts not counted).
        public var gateRuns = 0
        /// Merged trees that failed the gate during this pass, with how often: a failure counts
        /// only within the pass that saw it, so the next pass gates again.
        var failures: [String: Int] = [:]
    }

    /// Works the queue until it is empty, or until it must wait for a person. Waits first while
    /// another process works it. Blocking: call it from a thread of its own.
    public func process(report: Report = { _ in }) throws -> Run {
        try FileLock.withExclusiveLock(at: workLock) {
            var run = Run()
            try recover(&run, report: report)
            while true {
                let state = try log.read()
                guard !state.pending.isEmpty else { break }
                let batch = Array(state.pending.prefix(config.mergeQueue.batch))
                if let waiting = try work(batch, run: &run, report: report) {
                    run.waiting = waiting
                    break
                }
            }
            try log.append([MergeEvent(kind: .step, step: "idle")], durable: false)
            try log.compactIfNeeded()
            return run
        }
    }
}

/// Test-only fault injection: with `BRAID_MERGE_CRASH_AT` set to a step's name, the process kills
/// itself there, as a power cut or `kill -9` would, so that tests can prove recovery from each step.
enum MergeFault {
    private static let point = ProcessInfo.processInfo.environment["BRAID_MERGE_CRASH_AT"]

    static func crash(at step: String) {
        guard point == step else { return }
        kill(getpid(), SIGKILL)
    }
}

extension MergeQueue {
    /// Queues a task of the board, naming the agent and session of its last session (from the
    /// supervisor's journal) in the landing commit's trailers.
    @discardableResult
    public func enqueue(_ task: BoardTask, id: Int, state: SupervisorState) throws -> MergeCandidate {
        let record = state.task(id)
        let last = record?.sessions.last.flatMap { state.session($0) }
        let agent = last?.agent ?? record?.agent ?? task.agent ?? config.defaultAgent
        let text = (task.descriptionLines + task.criteria.map(\.text)).joined(separator: "\n")
        return try enqueue(task: id, title: task.title, text: text, agent: agent, session: last?.id)
    }
}
