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

    public init(workspace: Workspace, config: BraidConfig) throws {
        self.workspace = workspace
        self.config = config
        log = Self.log(in: workspace)
        manager = try workspace.worktreeManager(config)
        plumbing = MergePlumbing(git: manager.git)
        landing = Landing(git: manager.git, plumbing: plumbing, baseBranch: config.baseBranch)
        integration = IntegrationWorktree(manager: manager, path: workspace.integrationWorktree)
        gate = GateRunner(config: config)
    }

    /// The queue's log in `workspace`, for readers that do not work the queue.
    public static func log(in workspace: Workspace) -> MergeLog {
        MergeLog(url: workspace.stateDirectory.appendingPathComponent("merge-queue.jsonl"),
                 lockURL: workspace.stateDirectory.appendingPathComponent("merge-queue.lock"))
    }

    /// Held by the one process working the queue.
    public var workLock: URL { workspace.braidDirectory.appendingPathComponent("merge.lock") }

    public struct EnqueueError: Error, CustomStringConvertible {
        public let message: String
        public var description: String { message }
    }

    /// Queues task `id`'s branch as it is now: its tip is pinned, so that later commits on the
    /// branch are not landed unless it is queued again. Queuing a task already waiting refreshes
    /// its tip and keeps its place.
    @discardableResult
    public func enqueue(task id: Int, title: String, text: String, agent: String, session: String?) throws -> MergeCandidate {
        guard let worktree = try workspace.worktreeRegistry.worktree(forTask: id) else {
            throw EnqueueError(message: "#\(id) has no worktree or branch to merge")
        }
        let context = "queuing #\(id)"
        guard let tip = try manager.git.commit(of: "refs/heads/\(worktree.branch)", context: context) else {
            throw EnqueueError(message: "#\(id)'s branch \(worktree.branch) is gone")
        }
        guard tip != worktree.startCommit else {
            throw EnqueueError(message: "#\(id)'s branch \(worktree.branch) has no commit of its own to merge")
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
        _ = try? plumbing.updateRefs([.delete(ref: removed.pinRef)], context: "unpinning #\(id)")
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
                if let waiting = try work(batch, state: state, run: &run, report: report) {
                    run.waiting = waiting
                    break
                }
            }
            try log.append([MergeEvent(kind: .step, step: "idle")], durable: false)
            try log.compactIfNeeded()
            return run
        }
    }

    // MARK: One batch

    /// One merged candidate: the commit that lands it on top of the ones before it in the batch.
    struct Prefix {
        let candidate: MergeCandidate
        let commit: String
        let tree: String
    }

    /// Merges, gates and lands (or sends back) the candidates of one batch; returns why the queue
    /// must wait, if it must.
    private func work(_ batch: [MergeCandidate], state: MergeQueueState, run: inout Run, report: Report) throws -> String? {
        let git = manager.git
        let baseRef = landing.baseRef
        guard let base = try git.commit(of: baseRef, context: "reading \(config.baseBranch)") else {
            throw EnqueueError(message: "the base branch \(config.baseBranch) does not exist")
        }
        // The base's tree and each candidate's start tree, in one process.
        let starts = Array(Set(batch.map(\.startCommit)))
        let trees: [String]
        do {
            trees = try plumbing.trees(of: [base] + starts)
        } catch {
            // A start commit that no longer exists: find which, and send it back.
            for candidate in batch where !plumbing.exists(candidate.startCommit) {
                try decide(.refused, candidate, reason: .unmergeable, detail: "its start commit \(candidate.startCommit.prefix(10)) is gone",
                           run: &run, report: report)
                return nil
            }
            throw error
        }
        var startTree: [String: String] = [:]
        for (commit, tree) in zip(starts, trees.dropFirst()) { startTree[commit] = tree }

        var prefixes: [Prefix] = []
        var previous = base, previousTree = trees[0]
        for candidate in batch {
            let merged: MergePlumbing.MergeTree
            do {
                merged = try plumbing.mergeTree(previous, candidate.tip)
            } catch {
                try decide(.refused, candidate, reason: .unmergeable, detail: "git could not merge it: \(error)", run: &run, report: report)
                continue
            }
            switch merged {
            case .conflicted(let paths):
                if try closeIfLanded(candidate, onto: previous, run: &run, report: report) { continue }
                let list = paths.isEmpty ? "(git named no path)" : paths.joined(separator: ", ")
                try decide(.refused, candidate, reason: .conflict,
                           detail: "Your branch conflicts with \(config.baseBranch) in: \(list). Bring the current \(config.baseBranch) into your branch (git merge \(config.baseBranch)), resolve the conflicts keeping the work already on \(config.baseBranch), and commit.",
                           run: &run, report: report)
            case .clean(let tree):
                if tree == previousTree {
                    try decide(.alreadyLanded, candidate, commit: previous, detail: "its changes are already on \(config.baseBranch)",
                               run: &run, report: report)
                    continue
                }
                // Nothing landed since the task started: there is nothing its merge could revert.
                let gainedNothing = candidate.startCommit == previous
                let patches = gainedNothing ? [] : try plumbing.patches(between: [(startTree[candidate.startCommit] ?? previousTree, previousTree),
                                                                                  (previousTree, tree)])
                let reverted = gainedNothing ? LineRanges() : RevertGuard.revertedLines(gained: patches[0], merged: patches[1])
                if !reverted.isEmpty && !candidate.asksToRevert {
                    if try closeIfLanded(candidate, onto: previous, run: &run, report: report) { continue }
                    try decide(.refused, candidate, reason: .staleBase,
                               detail: "Merging your branch would revert work that landed on \(config.baseBranch) after your branch started: \(reverted.summary). Your branch has a stale copy of these lines. Bring the current \(config.baseBranch) into your branch and keep its version of them; change them only where your task requires it.",
                               run: &run, report: report)
                    continue
                }
                let parents = config.mergeQueue.strategy == .squash ? [previous] : [previous, candidate.tip]
                let commit = try plumbing.commitTree(tree, parents: parents, message: message(for: candidate))
                prefixes.append(Prefix(candidate: candidate, commit: commit, tree: tree))
                previous = commit
                previousTree = tree
            }
        }
        guard !prefixes.isEmpty else { return nil }
        let batchPins = prefixes.count > 1 ? prefixes.indices.map { "refs/braid/batch/\($0 + 1)" } : []
        if !batchPins.isEmpty {
            try plumbing.updateRefs(zip(batchPins, prefixes).map { .update(ref: $0, new: $1.commit, old: nil) }, context: "pinning the batch")
        }
        let tasks = prefixes.map(\.candidate.task)
        try log.append([MergeEvent(kind: .step, tasks: tasks, step: "built", commit: previous, onto: base)], durable: false)
        MergeFault.crash(at: "built")

        // Gate the whole batch; on a failure, bisect over the pinned prefixes for the first
        // failing one. Nobody is blamed on one sighting: the culprit's failure must be seen twice
        // (its own prefix and the batch's, or the same tree gated again), which rules out a flake.
        var gateOutput: [String: String] = [:]
        let count = prefixes.count
        var landCount = count
        var culprit: Int?
        if !(try gatePasses(prefixes[count - 1], run: &run, output: &gateOutput, report: report)) {
            var good = 0, bad = count
            while bad - good > 1 {
                let middle = (good + bad) / 2
                if try gatePasses(prefixes[middle - 1], run: &run, output: &gateOutput, report: report) { good = middle } else { bad = middle }
            }
            if bad == count, (try log.read().gateRuns[prefixes[count - 1].tree]?.failed ?? 0) < 2 {
                report("the gate failed on the merged result of \(describe(tasks)); running it again to rule out a flake")
                if try gatePasses(prefixes[count - 1], run: &run, output: &gateOutput, report: report, cached: false) {
                    bad = count + 1
                }
            }
            if bad <= count {
                culprit = bad - 1
                landCount = bad - 1
            }
        }
        try log.append([MergeEvent(kind: .step, tasks: tasks, step: "gated", commit: previous)], durable: false)

        var waiting: String?
        if landCount > 0 {
            let landed = Array(prefixes.prefix(landCount))
            let commit = landed[landCount - 1].commit
            try log.append([MergeEvent(kind: .landing, tasks: landed.map(\.candidate.task), commits: landed.map(\.commit),
                                       commit: commit, onto: base)], durable: true)
            MergeFault.crash(at: "gated")
            // Pins, and the branches of tasks whose worktree goes too, are deleted with the landing.
            let dropsBranches = config.mergeQueue.removeWorktree && config.mergeQueue.deleteBranch
            let pins = landed.map(\.candidate.pinRef) + batchPins
                + (dropsBranches ? landed.map { "refs/heads/\($0.candidate.branch)" } : [])
            switch try landing.land(commit, over: base, unpinning: pins) {
            case .landed:
                MergeFault.crash(at: "landed")
                try finishLanding(landed.map { ($0.candidate, $0.commit) }, unpinned: true, run: &run, report: report)
            case .moved:
                try log.append([MergeEvent(kind: .settled, commit: commit, passed: false, detail: "\(config.baseBranch) moved")], durable: false)
                report("\(config.baseBranch) moved while \(describe(tasks)) was being gated: merging again on the new \(config.baseBranch)")
                return nil
            case .blockedByLocalChanges(let checkout, let paths):
                try log.append([MergeEvent(kind: .settled, commit: commit, passed: false, detail: "local changes")], durable: false)
                waiting = "\(describe(landed.map(\.candidate.task))) passed the gate but cannot land: the checkout at \(checkout) has local changes to \(paths.joined(separator: ", ")), which landing would touch. Commit or stash them, then run `braid merge`."
                report(waiting ?? "")
                if !batchPins.isEmpty { _ = try? plumbing.updateRefs(batchPins.map { .delete(ref: $0) }, context: "unpinning the batch") }
                return waiting
            }
        } else if !batchPins.isEmpty {
            try plumbing.updateRefs(batchPins.map { .delete(ref: $0) }, context: "unpinning the batch")
        }
        if let culprit {
            let prefix = prefixes[culprit]
            let output = gateOutput[prefix.tree] ?? "the gate failed"
            try decide(.refused, prefix.candidate, reason: .gateFailed,
                       detail: "The gate failed on your branch merged with the current \(config.baseBranch) (it passed on your branch alone). Make it pass together with the work now on \(config.baseBranch).\n\n\(output)",
                       run: &run, report: report)
        }
        return waiting
    }

    /// Gates a merged tree in the integration worktree. A tree that passed before counts as
    /// passed; one that failed twice counts as failed, without running the gate again.
    private func gatePasses(_ prefix: Prefix, run: inout Run, output: inout [String: String], report: Report,
                            cached: Bool = true) throws -> Bool {
        if cached, let runs = try log.read().gateRuns[prefix.tree] {
            if runs.passed > 0 { return true }
            if runs.failed >= 2 { return false }
        }
        try log.append([MergeEvent(kind: .step, tasks: [prefix.candidate.task], step: "gating", commit: prefix.commit)], durable: false)
        try integration.checkOut(prefix.commit)
        MergeFault.crash(at: "gating")
        let result = gate.runBlocking(in: integration.path)
        run.gateRuns += 1
        output[prefix.tree] = result.summary
        try log.append([MergeEvent(kind: .gate, tree: prefix.tree, passed: result.passed)], durable: false)
        report("gate \(result.passed ? "passed" : "failed") on the merged result up to #\(prefix.candidate.task)")
        return result.passed
    }

    /// The squash (or merge) commit's message: the task's title, then Braid's trailers.
    func message(for candidate: MergeCandidate) -> String {
        let steps = config.gate.map(\.name)
        var lines = [candidate.title.isEmpty ? "Task #\(candidate.task)" : candidate.title, "",
                     "Braid-Task: \(candidate.task)", "Braid-Agent: \(candidate.agent)"]
        if let session = candidate.session { lines.append("Braid-Session: \(session)") }
        lines.append("Braid-Gate: \(steps.isEmpty ? "none configured" : steps.joined(separator: ", "))")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: Decisions

    /// Closes a candidate whose work a commit on the base branch already holds (by patch-id).
    private func closeIfLanded(_ candidate: MergeCandidate, onto base: String, run: inout Run, report: Report) throws -> Bool {
        guard let commit = try? plumbing.commitWithSamePatch(branchStart: candidate.startCommit, tip: candidate.tip, onto: base,
                                                             since: candidate.startCommit) else { return false }
        try decide(.alreadyLanded, candidate, commit: commit,
                   detail: "its work is already on \(config.baseBranch) as \(commit.prefix(10)) (same patch-id)", run: &run, report: report)
        return true
    }

    private func decide(_ kind: MergeDecision.Kind, _ candidate: MergeCandidate, reason: MergeDecision.Reason? = nil,
                        commit: String? = nil, detail: String, unpinned: Bool = false, run: inout Run, report: Report) throws {
        let decision: MergeDecision = try log.update(durable: true) { state in
            let decision = MergeDecision(seq: state.lastSeq + 1, task: candidate.task, kind: kind, reason: reason, commit: commit,
                                         detail: detail, agent: candidate.agent)
            return ([MergeEvent(kind: .decided, decision: decision)], decision)
        }
        run.decisions.append(decision)
        switch kind {
        case .refused:
            _ = try? plumbing.updateRefs([.delete(ref: candidate.pinRef)], context: "unpinning #\(candidate.task)")
            try? workspace.boardStore(config).update { board in
                guard board.task(id: candidate.task) != nil else { return }
                try board.move(id: candidate.task, to: .todo)
                try board.setOwner(id: candidate.task, nil)
            }
            report("#\(candidate.task) refused by the merge queue (\(reason?.rawValue ?? "refused")): \(Self.firstLine(detail))")
        case .landed, .alreadyLanded:
            if !unpinned { _ = try? plumbing.updateRefs([.delete(ref: candidate.pinRef)], context: "unpinning #\(candidate.task)") }
            try markDone(candidate, commit: commit, landedWithRefs: unpinned, report: report)
            report(kind == .landed ? "#\(candidate.task) landed on \(config.baseBranch) as \(commit?.prefix(10) ?? "?")"
                                   : "#\(candidate.task) closed as done: \(detail)")
        }
    }

    /// Records the landing of each `(candidate, commit)`, then tidies up after them.
    private func finishLanding(_ landed: [(MergeCandidate, String)], unpinned: Bool, run: inout Run, report: Report) throws {
        try log.append([MergeEvent(kind: .settled, commit: landed.last?.1, passed: true)], durable: false)
        for (candidate, commit) in landed {
            try decide(.landed, candidate, commit: commit, detail: "landed as \(commit)", unpinned: unpinned, run: &run, report: report)
        }
    }

    private func markDone(_ candidate: MergeCandidate, commit: String?, landedWithRefs: Bool, report: Report) throws {
        try workspace.boardStore(config).update { board in
            guard board.task(id: candidate.task) != nil else { return }
            try board.move(id: candidate.task, to: .done)
            try board.setOwner(id: candidate.task, nil)
            try board.setField(id: candidate.task, key: .blocked, value: nil)
            if let commit { try board.setField(id: candidate.task, key: .landed, value: String(commit.prefix(12))) }
        }
        guard config.mergeQueue.removeWorktree else { return }
        let registry = workspace.worktreeRegistry
        if let worktree = try registry.worktree(forTask: candidate.task), worktree.branch == candidate.branch {
            // A landing deleted the branch in its own transaction (`landedWithRefs`). The work is
            // landed whatever happens here: a failure is told, not thrown.
            do {
                try manager.remove(worktree, deleteBranch: config.mergeQueue.deleteBranch && !landedWithRefs)
                try registry.forget(taskID: candidate.task)
            } catch {
                report("#\(candidate.task) landed, but its worktree could not be removed: \(error)")
            }
        }
    }

    // MARK: Recovery

    /// What a crash may have left: git's lock files, dead worktrees, a landing whose outcome was
    /// not recorded, pinned tips already on the base branch.
    private func recover(_ run: inout Run, report: Report) throws {
        removeStaleLocks()
        var state = try log.read()
        // The last pass finished: nothing of it is left to recover.
        guard !state.endedCleanly || state.openLanding != nil else { return }
        try manager.git.run(["worktree", "prune"], context: "pruning dead worktrees")
        let git = manager.git
        guard let base = try git.commit(of: landing.baseRef, context: "reading \(config.baseBranch)") else { return }
        if let open = state.openLanding {
            if open.commit == base || (try? plumbing.isAncestor(open.commit, of: base)) == true {
                report("a landing of \(describe(open.tasks)) was interrupted after it happened: recording it")
                let commits = open.commits.count == open.tasks.count ? open.commits : open.tasks.map { _ in open.commit }
                let landed = zip(open.tasks, commits).compactMap { task, commit in state.candidate(task).map { ($0, commit) } }
                try finishLanding(landed, unpinned: false, run: &run, report: report)
            } else {
                report("a landing of \(describe(open.tasks)) was interrupted before it happened: merging again")
                try log.append([MergeEvent(kind: .settled, commit: open.commit, passed: false, detail: "interrupted")], durable: false)
            }
            state = try log.read()
        }
        for candidate in state.pending where candidate.tip == base || (try? plumbing.isAncestor(candidate.tip, of: base)) == true {
            try decide(.alreadyLanded, candidate, commit: base, detail: "its tip is already on \(config.baseBranch)", run: &run, report: report)
        }
        // Pins a crash left behind for tasks no longer waiting.
        let waiting = Set(try log.read().pending.map(\.pinRef))
        let pins = try git.output(["for-each-ref", "--format=%(refname)", "refs/braid/"], context: "listing pins")
            .split(separator: "\n").map(String.init)
        let stale = pins.filter { $0.hasPrefix("refs/braid/batch/") || ($0.hasPrefix("refs/braid/queue/") && !waiting.contains($0)) }
        if !stale.isEmpty { _ = try? plumbing.updateRefs(stale.map { .delete(ref: $0) }, context: "removing stale pins") }
    }

    /// Lock files git leaves when it is killed mid-command: the integration worktree's index lock
    /// (only the queue uses that worktree, and it holds the queue's lock), and lock files of the
    /// base branch and of Braid's pins that are older than any live update would be.
    private func removeStaleLocks() {
        if let lock = integration.indexLock() { unlink(lock.path) }
        guard let common = try? manager.commonDirectory(context: "finding git's directory") else { return }
        let candidates = [common.appendingPathComponent("refs/heads/\(config.baseBranch).lock"),
                          common.appendingPathComponent("packed-refs.lock")]
            + Self.files(under: common.appendingPathComponent("refs/braid")).filter { $0.pathExtension == "lock" }
        for file in candidates {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                  let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) > 2 else { continue }
            unlink(file.path)
        }
    }

    private static func files(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }
    }

    private func describe(_ tasks: [Int]) -> String { tasks.map { "#\($0)" }.joined(separator: ", ") }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1).first ?? "")
    }
}

/// Test-only fault injection: with `BRAID_MERGE_CRASH_AT` set to a step's name, the process kills
/// itself there, as a power cut or `kill -9` would, so that tests can prove recovery from each step.
enum MergeFault {
    static func crash(at point: String) {
        guard let wanted = ProcessInfo.processInfo.environment["BRAID_MERGE_CRASH_AT"], wanted == point else { return }
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
