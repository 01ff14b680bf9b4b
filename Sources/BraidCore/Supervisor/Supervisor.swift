import Foundation
import Synchronization
import JSON

/// The supervision loop: takes tasks from the board, runs each in its own worktree with its agent,
/// gates the result, and sends failures back with their output until the retries run out.
///
/// One actor owns every state change, in order: the board (through `BoardStore`), the journal
/// (every change appended and fsynced before it is acted on), and the sessions in flight. Sessions
/// and gates run concurrently, off the actor, and report back through one stream.
public actor Supervisor {
    /// Told of every state change as it happens (the daemon makes notifications of them).
    public typealias Report = @Sendable (SupervisorEvent) -> Void

    let workspace: Workspace
    let config: BraidConfig
    let journal: Journal
    let store: BoardStore
    let registry: WorktreeRegistry
    let manager: WorktreeManager
    private let runner: AttemptRunner
    let reviewRunner: ReviewRunner
    /// Every task's review record (risk, findings, decisions); shared with the service's listings.
    public nonisolated let reviews: ReviewStore
    /// Tasks whose review runs, with its session.
    var reviewing: [Int: String] = [:]
    /// The review under way for each task, to stop it when newer work starts.
    var reviewRuns: [Int: ReviewRun] = [:]
    let emit: Report
    var running: [Int: AttemptPlan] = [:]
    /// Tasks being started (their worktree made) or gated at a person's request: taken before the
    /// first await, so that no second start, move or decision slips in meanwhile.
    var reserved: [Int: BoardTask] = [:]
    /// Whether new sessions start from the board.
    public private(set) var mode = SupervisorMode.idle
    private var recovered = false
    private var settled = false
    private var stopped = false
    /// What agents reported spending during this run.
    private var runSpent = 0.0
    private var reportedRunCap = false
    let mergeQueue: MergeQueue
    /// A pass of the merge queue is under way (on a thread of its own).
    var merging = false
    /// Something was queued during the pass: another pass follows it.
    private var mergeAgain = false
    var mergePassesStarted = 0
    private var mergePassesFinished = 0
    /// Requests waiting for the end of a pass (by its number).
    private var mergeWaiters: [(pass: Int, continuation: CheckedContinuation<MergePass, Never>)] = []

    /// How a pass of the merge queue ended.
    struct MergePass: Sendable {
        var waiting: String?
        var gateRuns = 0
        /// What the queue reported as it worked.
        var lines: [String] = []
    }

    /// The lines one pass reports, gathered from its thread.
    final class MergeAccount: Sendable {
        private let gathered = Mutex<[String]>([])
        func append(_ line: String) { gathered.withLock { $0.append(line) } }
        var lines: [String] { gathered.withLock { $0 } }
    }
    private var passAccount: MergeAccount?

    /// Waits for the end of the pass numbered `pass` (or returns at once if it ended).
    func waitForMergePass(_ pass: Int) async -> MergePass {
        if pass <= mergePassesFinished { return MergePass() }
        return await withCheckedContinuation { continuation in mergeWaiters.append((pass, continuation)) }
    }
    /// Hands a finished review to the loop (the event type stays private to this file).
    nonisolated var resultSinkForReviews: @Sendable (ReviewRecord) -> Void {
        let sink = resultSink
        return { record in sink.yield(.reviewed(record)) }
    }
    private let results: AsyncStream<Event>
    private let resultSink: AsyncStream<Event>.Continuation
    /// The supervisor runs on a thread of its own: it flushes the journal and rewrites the board,
    /// which blocks, and must not hold up the threads that answer clients.
    private let executor = ThreadExecutor(name: "braid-supervisor")
    public nonisolated var unownedExecutor: UnownedSerialExecutor { executor.asUnownedSerialExecutor() }

    /// What the loop waits for: a try ended, a pass of the merge queue did, or a person asked for
    /// something (a run, a pause, a stop).
    private enum Event: Sendable {
        case attempt(AttemptResult)
        case merged(Result<MergeQueue.Run, any Error>)
        case wake
        case reviewed(ReviewRecord)
    }

    public init(workspace: Workspace, config: BraidConfig, journal: Journal, report: @escaping Report) throws {
        self.workspace = workspace
        self.config = config
        self.journal = journal
        self.emit = report
        store = BoardStore(path: workspace.boardURL(config), lockPath: workspace.boardLockURL)
        registry = workspace.worktreeRegistry
        manager = try workspace.worktreeManager(config)
        runner = AttemptRunner(workspace: workspace, config: config, manager: manager)
        reviewRunner = ReviewRunner(workspace: workspace, config: config, manager: manager)
        reviews = ReviewStore(directory: workspace.stateDirectory.appendingPathComponent("reviews"))
        mergeQueue = try MergeQueue(workspace: workspace, config: config)
        (results, resultSink) = AsyncStream<Event>.makeStream()
    }

    /// Runs until nothing is running and nothing more can start (the board is empty, or what is
    /// left waits for a person, for `after:` tasks, or is blocked), and the merge queue is idle.
    public func run() async throws {
        startRun()
        try await serve(untilIdle: true)
    }

    /// The daemon's loop: recovers what a crash left, then concludes sessions, applies merge
    /// decisions and, while a run is asked for, dispatches from the board, until `stop()` (or,
    /// with `untilIdle`, until a run has nothing left).
    public func serve(untilIdle: Bool = false) async throws {
        if !recovered {
            recovered = true
            do {
                try await recover()
            } catch where !untilIdle {
                // What could not be recovered now is settled when supervision runs.
                report("could not recover everything at start: \(error)")
            }
            // A run that a crash (or a stop) interrupted goes on.
            if FileManager.default.fileExists(atPath: runMarker.path) { startRun() }
            try? recoverReviews()
        }
        var iterator = results.makeAsyncIterator()
        while !stopped {
            do {
                if mode == .running {
                    if !settled {
                        settled = true
                        try settleOrphans()
                    }
                    try await dispatch()
                } else {
                    try applyMergeDecisions()
                }
            } catch where !untilIdle {
                report("could not dispatch: \(error)")
            }
            emit(.stateChanged)
            if mode == .running && running.isEmpty && !merging && reviewing.isEmpty {
                mode = .idle
                try? FileManager.default.removeItem(at: runMarker)
                report("nothing left to run")
                emit(.runEnded)
                if untilIdle { break }
            }
            guard let event = await iterator.next() else { break }
            do {
                switch event {
                case .attempt(let result): try conclude(result)
                case .reviewed(let record): try reviewed(record)
                case .merged(let result): try merged(result)
                case .wake: break
                }
            } catch where !untilIdle {
                // A daemon goes on supervising: the next event may well succeed (a full disk freed).
                report("could not record what happened: \(error)")
            }
            _ = try? journal.compactIfNeeded()
        }
    }

    /// Starts dispatching from the board (a paused run resumes).
    public func startRun() {
        if mode != .running {
            mode = .running
            try? AtomicFile.write("running since \(Date())\n", to: runMarker)
            emit(.runStarted)
        }
        wake()
    }

    /// Present while a run is asked for: a daemon that starts after a crash goes on with it.
    private var runMarker: URL { workspace.stateDirectory.appendingPathComponent("run.active") }

    /// Starts nothing new until `resume()`; sessions, gates and merges under way go on.
    public func pause() {
        guard mode == .running else { return }
        mode = .paused
        try? FileManager.default.removeItem(at: runMarker)
        report("paused: no new session starts until resumed")
        emit(.stateChanged)
    }

    public func resume() {
        guard mode == .paused else { return }
        report("resumed")
        startRun()
    }

    /// Ends `serve()` at its next turn; agents keep running (the next start re-adopts them).
    public func stop() {
        stopped = true
        wake()
    }

    /// Tasks with a session or a gate under way.
    public var busyTasks: [Int] { Set(running.keys).union(reserved.keys).sorted() }

    /// Whether something runs for the task, or is about to: a session, a gate, or a start or a
    /// person's gate under way (the awaits of which let other requests in).
    func isBusy(_ id: Int) -> Bool { running[id] != nil || reserved[id] != nil }
    public var isMerging: Bool { merging }

    /// Makes the loop look at the board again (a task was added or decided).
    public func wake() {
        resultSink.yield(.wake)
    }

    func report(_ line: String) {
        emit(.line(line))
    }

    // MARK: Merge queue

    /// Queues a task whose gate passed, and makes sure a pass of the queue will see it.
    func enqueueForMerge(_ task: BoardTask, id: Int) {
        do {
            try mergeQueue.enqueue(task, id: id, state: journal.state)
            report("#\(id) queued for merging")
            kickMerge()
        } catch {
            report("#\(id) could not be queued for merging: \(error)")
        }
    }

    /// Starts a pass of the merge queue on a thread of its own, or asks for another after the
    /// one under way.
    func kickMerge() {
        guard !merging else {
            mergeAgain = true
            return
        }
        merging = true
        mergePassesStarted += 1
        emit(.mergeStarted)
        let queue = mergeQueue, sink = resultSink
        let account = MergeAccount()
        passAccount = account
        let report: MergeQueue.Report = { [emit] line in
            account.append(line)
            emit(.line(line))
        }
        Task {
            let result: Result<MergeQueue.Run, any Error> = await ThreadJob.run(name: "braid-merge") {
                Result { try queue.process(report: report) }
            }
            sink.yield(.merged(result))
        }
    }

    private func merged(_ result: Result<MergeQueue.Run, any Error>) throws {
        merging = false
        mergePassesFinished += 1
        var pass = MergePass()
        switch result {
        case .success(let run):
            pass = MergePass(waiting: run.waiting, gateRuns: run.gateRuns)
        case .failure(let error):
            pass = MergePass(waiting: "the merge queue stopped: \(error)", gateRuns: 0)
        }
        pass.lines = passAccount?.lines ?? []
        let finished = mergePassesFinished
        mergeWaiters = mergeWaiters.filter { waiter in
            guard waiter.pass <= finished else { return true }
            waiter.continuation.resume(returning: pass)
            return false
        }
        switch result {
        case .success(let run):
            if let waiting = run.waiting { report("the merge queue waits: \(waiting)") }
            emit(.mergeFinished(landed: run.decisions.filter(\.isDone).map(\.task),
                                refused: run.decisions.filter { !$0.isDone }.map(\.task), waiting: run.waiting))
        case .failure(let error):
            report("the merge queue stopped: \(error)")
            emit(.mergeFinished(landed: [], refused: [], waiting: "\(error)"))
        }
        try applyMergeDecisions()
        if mergeAgain {
            mergeAgain = false
            kickMerge()
        }
    }

    /// Applies, once each, the merge queue's decisions this journal has not seen (made by this
    /// process or by `braid merge` in another): a landing closes the task; a refusal is a failed
    /// try, so the task runs again with the reason in its prompt (the queue put it back in Todo),
    /// or is escalated when its tries are used up.
    func applyMergeDecisions() throws {
        let decisions = try mergeQueue.state().decisions
        for decision in decisions where decision.seq > (journal.state.task(decision.task)?.mergeSeq ?? 0) {
            let id = decision.task
            try journal.append(.mergeDecision(task: id, seq: decision.seq, landed: decision.isDone,
                                              reason: decision.kind == .alreadyLanded ? "alreadyLanded" : decision.reason?.rawValue, commit: decision.commit,
                                              detail: decision.detail, agent: decision.agent, at: decision.at))
            guard !decision.isDone else { continue }
            let tries = journal.state.task(id)?.attempts ?? 0
            if tries > config.maxRetries {
                try escalate(id, agent: decision.agent,
                             reason: "escalated after \(tries) tries: the merge queue refused it (\(decision.reason?.rawValue ?? "refused"))")
            } else {
                report("#\(id) goes back to \(decision.agent) after the merge queue refused it")
            }
        }
    }

    // MARK: Dispatch

    private func dispatch() async throws {
        if let cap = config.maxCostPerRunUSD, runSpent >= cap - 1e-9 {
            if !reportedRunCap {
                report(String(format: "this run's spend cap is reached ($%.2f of $%.2f): starting nothing more", runSpent, cap))
                reportedRunCap = true
            }
            return
        }
        // A `braid merge` in another process may have sent a task back to Todo: count that try
        // (and its reason) before the task runs again.
        try applyMergeDecisions()
        // Numbers tasks written without an id, so they can be scheduled.
        let board = try store.update { board in board }
        let done = Set(board.tasks(in: .done).compactMap(\.id))
        // A task queued for merging (by `braid merge`) is not started again meanwhile.
        let queued = Set(try mergeQueue.state().pending.map(\.task))
        let todo = board.tasks(in: .todo).compactMap { task in
            task.id.flatMap { queued.contains($0) || isBusy($0) ? nil : Scheduler.Candidate(task, id: $0) }
        }
        let busy = running.values.map { Scheduler.Candidate($0.task, id: $0.taskID) }
            + reserved.map { Scheduler.Candidate($0.value, id: $0.key) }
        let picked = Scheduler.pick(todo: todo, running: busy, done: done,
                                    freeSlots: max(0, config.maxSessions - running.count - reserved.count))
        for id in picked.start {
            guard let task = board.task(id: id), !isBusy(id) else { continue }
            try await start(task, id: id)
        }
    }

    @discardableResult
    func start(_ task: BoardTask, id: Int) async throws -> String? {
        guard !isBusy(id) else { return nil }
        reserved[id] = task
        defer { reserved[id] = nil }
        // A review of the task's older work must not run on (nor clean up) beside the newer work.
        await stopReview(id)
        let record = journal.state.task(id)
        let agent = task.agent ?? record?.agent ?? config.defaultAgent
        // git (and a fetch) on a thread of its own, not on Swift's cooperative pool.
        let registry = self.registry, manager = self.manager
        let created: Result<TaskWorktree, any Error> = await ThreadJob.run(name: "braid-worktree") {
            Result { try registry.worktree(forTask: id) { try manager.create(taskID: id, title: task.title) } }
        }
        let worktree: TaskWorktree
        switch created {
        case .success(let made): worktree = made
        case .failure(let error):
            try escalate(id, agent: agent, reason: "could not create its worktree: \(error)")
            return nil
        }
        // A person may have moved or removed the card by hand while the worktree was made.
        guard let current = try store.read().task(id: id), current.section == task.section else {
            report("#\(id) was moved meanwhile: not started")
            return nil
        }
        try store.update { board in
            try board.move(id: id, to: .inProgress)
            try board.setOwner(id: id, agent)
            try board.setField(id: id, key: .blocked, value: nil)
        }
        let attempt = (record?.attempts ?? 0) + 1
        var feedback: RetryFeedback?
        if let record, record.outcome == .mergeRefused {
            feedback = RetryFeedback(attempt: attempt, gateSummary: record.outcomeDetail, guidance: nil)
        } else if let record, record.outcome == .reviewChanges {
            feedback = RetryFeedback(attempt: attempt, gateSummary: nil, guidance: """
                A reviewer read your change, and a person agreed that these findings must be fixed:
                \(record.outcomeDetail ?? "")
                """, sentBack: true)
        } else if let record, record.outcome == .rejected {
            feedback = RetryFeedback(attempt: attempt, gateSummary: nil,
                                     guidance: "A person reviewed your work and sent it back:\n\(record.outcomeDetail ?? "")", sentBack: true)
        } else if let record, record.outcome == .retriedByUser || record.outcome == .reassigned || record.outcome == .retry {
            let guidance = record.outcome == .retry ? nil : record.outcomeDetail
            feedback = RetryFeedback(attempt: attempt, gateSummary: Self.gateSummary(record.lastGate) ?? (record.outcome == .retry ? record.outcomeDetail : nil),
                                     guidance: guidance)
        }
        let session = Self.newSessionID(task: id)
        launch(AttemptPlan(task: task, taskID: id, session: session, agent: agent, attempt: attempt,
                           worktree: worktree, feedback: feedback))
        return session
    }

    private func launch(_ plan: AttemptPlan, adopting process: AgentProcess? = nil) {
        running[plan.taskID] = plan
        let runner = self.runner
        let sink = resultSink
        Task {
            let result = await runner.run(plan, adopting: process, started: { process, log, head in
                await self.started(plan, process: process, log: log, head: head, adopted: process.isChild == false)
            }, ended: { result in
                await self.ended(result)
            })
            sink.yield(.attempt(result))
        }
    }

    /// Journals a session's start (fsynced) before anything else is done with it; false when the
    /// journal refused it (the session is then ended: an unrecorded agent must not run on).
    /// The journal's `startCommit` of a session is the commit that session started from, so that
    /// after a crash its own changes are measured, not those of the task's earlier tries.
    private func started(_ plan: AttemptPlan, process: AgentProcess, log: URL, head: String?, adopted: Bool) -> Bool {
        if adopted {
            report("#\(plan.taskID) re-adopted \(plan.agent) (pid \(process.pid)), still running from before")
            emit(.sessionStarted(task: plan.taskID, session: plan.session, agent: plan.agent, attempt: plan.attempt,
                                 pid: process.pid, log: log.path))
            return true
        }
        do {
            try journal.append(.sessionStarted(task: plan.taskID, session: plan.session, agent: plan.agent, attempt: plan.attempt,
                                               pid: process.pid, worktree: plan.worktree.path.path, branch: plan.worktree.branch,
                                               startCommit: head ?? plan.worktree.startCommit, log: log.path, at: Date()))
        } catch {
            report("#\(plan.taskID) could not journal its session's start: \(error)")
            return false
        }
        report("#\(plan.taskID) started: \(plan.agent), try \(plan.attempt), in \(plan.worktree.path.path)")
        emit(.sessionStarted(task: plan.taskID, session: plan.session, agent: plan.agent, attempt: plan.attempt,
                             pid: process.pid, log: log.path))
        emit(.stateChanged)
        return true
    }

    /// Journals a session's end as soon as its work is committed, before its gate runs.
    private func ended(_ result: AttemptResult) {
        let plan = result.plan
        let reason: SessionEndReason = result.diedUnwatched ? .daemonDied : result.cancelled ? .cancelled
            : result.stop == .wallTimeExceeded ? .wallTime : result.stop == .stalled ? .stalled : .exited
        var exitCode: Int32?
        var signal: Int32?
        switch result.exit {
        case .exited(let code): exitCode = code
        case .signaled(let number): signal = number
        case .unknown: break
        }
        runSpent += result.usage.costUSD ?? 0
        do {
            try journal.append(.sessionEnded(session: plan.session, exitCode: exitCode, signal: signal, reason: reason,
                                             changedFiles: result.changed, commit: result.commit, costUSD: result.usage.costUSD,
                                             at: Date()))
        } catch {
            report("#\(plan.taskID) could not journal its session's end: \(error)")
        }
        emit(.sessionExited(task: plan.taskID, session: plan.session, exitCode: exitCode, signal: signal, reason: reason.rawValue))
        if result.willBeGated {
            emit(.gateStarted(task: plan.taskID, session: plan.session, steps: config.gate.map(\.name)))
        }
    }

    // MARK: Conclusions

    private func conclude(_ result: AttemptResult) throws {
        let plan = result.plan
        let id = plan.taskID
        running[id] = nil
        if let gate = result.gate {
            let json = (try? JSONParser.parse(Array(JSONEncoder().encode(gate)))) ?? .null
            try journal.append(.gateFinished(task: id, session: plan.session, passed: gate.passed,
                                             failedStep: gate.failedStep?.name, result: json, at: Date()))
            report("#\(id) gate \(gate.passed ? "passed" : "failed")\(gate.failedStep.map { " at \($0.name) (\($0.outcome))" } ?? "")")
            emit(.gateFinished(task: id, session: plan.session, result: gate))
        }
        if let failure = result.failure {
            try escalate(id, agent: plan.agent, reason: failure)
        } else if result.cancelled {
            try journal.append(.taskOutcome(task: id, outcome: "cancelled", detail: "cancelled by a person", agent: plan.agent, at: Date()))
            try block(id, reason: "cancelled by a person; `braid retry #\(id)` goes on with the work kept")
            report("#\(id) cancelled")
        } else if result.stop == nil && result.quotaExhausted {
            try fallBack(from: result)
        } else if let gate = result.gate, gate.passed {
            try journal.append(.taskOutcome(task: id, outcome: .review, detail: nil, agent: plan.agent, at: Date()))
            try moveToReview(id)
            report("#\(id) passed its gate on try \(plan.attempt): waiting in Review")
            // Its risk is measured (and its review runs) before it may be queued.
            startReview(plan.task, id: id, worktree: plan.worktree)
        } else {
            try failedTry(result)
        }
    }

    private func moveToReview(_ id: Int) throws {
        try store.update { board in
            guard board.task(id: id) != nil else { return }
            try board.move(id: id, to: .review)
            try board.setOwner(id: id, nil)
        }
    }

    private func failedTry(_ result: AttemptResult) throws {
        let plan = result.plan
        let id = plan.taskID
        let why: String
        if result.stop == .stalled {
            why = "the session stalled (no output and no file change for \(config.stallTimeoutSeconds) s)"
        } else if result.stop == .wallTimeExceeded {
            why = "the session ran past its time limit (\(config.sessionTimeoutSeconds) s)"
        } else if !result.changed {
            why = "the session changed nothing (\(result.exit))"
        } else {
            why = result.gate.map { Self.describe($0) } ?? "the gate did not run"
        }
        let counted = journal.state.session(plan.session)?.verdict == .failed
        let tries = (journal.state.task(id)?.attempts ?? 0) + (counted ? 0 : 1)
        if tries > config.maxRetries {
            try escalate(id, agent: plan.agent, reason: "escalated after \(tries) tries: \(why)")
            return
        }
        // A hair under the cap counts as reaching it: costs add up in binary floating point.
        if let cap = config.maxCostPerTaskUSD, taskSpent(id) >= cap - 1e-9 {
            try escalate(id, agent: plan.agent, reason: String(format: "spend cap reached ($%.2f of $%.2f for this task) after: %@",
                                                               taskSpent(id), cap, why))
            return
        }
        if let cap = config.maxCostPerRunUSD, runSpent >= cap - 1e-9 {
            try escalate(id, agent: plan.agent, reason: String(format: "this run's spend cap is reached ($%.2f of $%.2f) after: %@",
                                                               runSpent, cap, why))
            return
        }
        try journal.append(.taskOutcome(task: id, outcome: .retry, detail: why, agent: plan.agent, at: Date()))
        guard mode != .paused else {
            // The retry is recorded: it starts with its feedback once dispatching resumes.
            try backToTodo(id, "#\(id) try \(plan.attempt) failed: \(why); it retries once resumed")
            return
        }
        report("#\(id) try \(plan.attempt) failed: \(why); retrying")
        let feedback = RetryFeedback(attempt: plan.attempt + 1, gateSummary: result.gate?.summary ?? "Your last session failed: \(why).",
                                     guidance: nil)
        launch(AttemptPlan(task: plan.task, taskID: id, session: Self.newSessionID(task: id), agent: plan.agent,
                           attempt: plan.attempt + 1, worktree: plan.worktree, feedback: feedback))
    }

    /// A quota or rate limit is the agent's provider failing, not the task: the next agent of the
    /// fallback list takes over, and the try does not count.
    private func fallBack(from result: AttemptResult) throws {
        let plan = result.plan
        let id = plan.taskID
        let state = journal.state
        let tried = Set((state.task(id)?.sessions ?? []).compactMap { state.session($0) }
            .filter { $0.epoch == state.task(id)?.epoch }.map(\.agent))
        guard let next = (plan.task.fallback + config.fallback).first(where: { !tried.contains($0) && $0 != plan.agent }) else {
            try escalate(id, agent: plan.agent, reason: "\(plan.agent) is out of quota and no fallback agent is left")
            return
        }
        try journal.append(.taskOutcome(task: id, outcome: .quotaFallback, detail: "\(plan.agent) reported a rate limit or exhausted quota",
                                        agent: next, at: Date()))
        // On the board too, so that after a crash the task does not go back to the exhausted agent.
        try store.update { board in
            try board.setOwner(id: id, next)
            try board.setField(id: id, key: .agent, value: next)
        }
        report("#\(id) \(plan.agent) is out of quota: moving to \(next)")
        launch(AttemptPlan(task: plan.task, taskID: id, session: Self.newSessionID(task: id), agent: next, attempt: plan.attempt,
                           worktree: plan.worktree, feedback: plan.feedback))
    }

    func escalate(_ id: Int, agent: String, reason: String) throws {
        try journal.append(.taskOutcome(task: id, outcome: .escalated, detail: reason, agent: agent, at: Date()))
        try block(id, reason: reason)
        report("#\(id) escalated: \(reason)")
        emit(.escalated(task: id, agent: agent, reason: reason))
    }

    func block(_ id: Int, reason: String) throws {
        try store.update { board in
            guard board.task(id: id) != nil else { return }
            try board.move(id: id, to: .blocked)
            try board.setOwner(id: id, nil)
            try board.setField(id: id, key: .blocked, value: Self.oneLine(reason, limit: 300))
        }
    }

    // MARK: Recovery

    /// After a crash or a reboot: sessions the journal says are running are re-adopted when their
    /// agent still runs (recognised by its `BRAID_SESSION`, not by its pid alone); when it died with
    /// Braid, what it left is kept, committed and gated like any finished session. (Cards left In
    /// Progress with no session are settled by `settleOrphans` when supervision runs.)
    private func recover() async throws {
        let state = journal.state
        let board = try store.read()
        for session in state.runningSessions {
            guard let task = board.task(id: session.task) else { continue }
            let plan = AttemptPlan(task: task, taskID: session.task, session: session.id, agent: session.agent,
                                   attempt: session.attempt, worktree: Self.worktree(of: session, config: config), feedback: nil)
            if AgentIdentity.session(of: session.pid) == session.id, let process = AgentProcess.adopt(pid: session.pid) {
                launch(plan, adopting: process)
            } else {
                report("#\(session.task) its agent (pid \(session.pid)) ended while Braid was not running: keeping its work")
                // Whatever it started and left running must not go on editing the worktree.
                AgentIdentity.kill(session: session.id)
                concludeLater(plan, log: URL(fileURLWithPath: session.log), diedUnwatched: true)
            }
        }
    }

    /// Reviews a crash cut short (or never started) run again: a task in Review waits for its
    /// review before anything else happens to it.
    private func recoverReviews() throws {
        for task in try store.read().tasks(in: .review) {
            guard let id = task.id, reviewing[id] == nil, journal.state.task(id)?.outcome == .review else { continue }
            let record = reviews.record(id)
            guard record == nil || record?.status == .running else { continue }
            if let session = record?.session { AgentIdentity.kill(session: session) }
            guard let worktree = try registry.worktree(forTask: id) else { continue }
            report("#\(id) reviewing again: its review was cut short")
            startReview(task, id: id, worktree: worktree)
        }
    }

    /// Settles cards left In Progress with no session behind them from the journal: a recorded
    /// outcome is applied (a crash may have come between journaling it and moving the card), a
    /// session whose gate never ran is gated, and only a task with nothing recorded goes back to
    /// Todo. Then resumes the merge queue. Once, when supervision first runs: a daemon started
    /// only to answer a question leaves the board as it found it.
    private func settleOrphans() throws {
        let state = journal.state
        for task in try store.read().tasks(in: .inProgress) {
            guard let id = task.id, running[id] == nil else { continue }
            try settle(task, id: id, state: state)
        }
        try recoverMergeQueue()
    }

    /// Applies what the merge queue decided while this run was not watching, queues tasks that
    /// passed their gate but never reached the queue (a crash in between), and resumes the queue.
    private func recoverMergeQueue() throws {
        try applyMergeDecisions()
        guard config.mergeQueue.auto else { return }
        let queued = try mergeQueue.state()
        for task in try store.read().tasks(in: .review) {
            guard let id = task.id, let record = journal.state.task(id), record.outcome == .review,
                  queued.candidate(id) == nil, reviewLetsThrough(id) else { continue }
            if let decided = queued.lastDecision(for: id), decided.at >= (record.outcomeAt ?? .distantPast) { continue }
            _ = try? mergeQueue.enqueue(task, id: id, state: journal.state)
        }
        if !(try mergeQueue.state().pending.isEmpty) {
            report("resuming the merge queue")
            kickMerge()
        }
    }

    /// Settles a card left In Progress without a running session.
    private func settle(_ task: BoardTask, id: Int, state: SupervisorState) throws {
        let record = state.task(id)
        let last = record?.sessions.last.flatMap { state.session($0) }
        // An agent started just before a crash, before its start was journaled, may still run.
        if let worktree = try? registry.worktree(forTask: id) {
            for pid in AgentIdentity.agents(workingIn: worktree.path) {
                report("#\(id) ending a stray agent (pid \(pid)) left in its worktree by a crash")
                if let session = AgentIdentity.session(of: pid) { AgentIdentity.kill(session: session) }
            }
        }
        // An outcome counts only if it was decided after the last session started: an older one
        // (a Review a person sent back to Todo, say) says nothing about the newest work.
        let outcome = record.flatMap { record -> TaskOutcome? in
            guard let decided = record.outcomeAt, let outcome = record.outcome else { return nil }
            if let last, decided < last.startedAt { return nil }
            return outcome
        }
        switch outcome {
        case TaskOutcome.escalated?, TaskOutcome("cancelled")?, TaskOutcome.abandoned?:
            try block(id, reason: record?.escalation ?? record?.outcomeDetail ?? outcome?.rawValue ?? "blocked")
            report("#\(id) blocked, as recorded before the crash")
        case TaskOutcome.review?:
            try moveToReview(id)
            report("#\(id) passed its gate before the crash: waiting in Review")
        case .some:
            // A retry, a fallback, or a person's retry or reassignment was decided: it starts from Todo.
            try backToTodo(id, "#\(id) starting again after the crash, as decided before it")
        case nil:
            guard let last else {
                try backToTodo(id, "#\(id) back to Todo: no session was running for it")
                return
            }
            let cancelled = last.end?.reason == .cancelled
                || FileManager.default.fileExists(atPath: workspace.cancelMarker(session: last.id).path)
            switch last.verdict {
            case .passed:
                try journal.append(.taskOutcome(task: id, outcome: .review, detail: nil, agent: last.agent, at: Date()))
                try moveToReview(id)
                report("#\(id) passed its gate before the crash: waiting in Review")
            case .interrupted where cancelled:
                try journal.append(.taskOutcome(task: id, outcome: "cancelled", detail: "cancelled by a person", agent: last.agent, at: Date()))
                try block(id, reason: "cancelled by a person; `braid retry #\(id)` goes on with the work kept")
                report("#\(id) cancelled before the crash")
            case .awaitingGate, .interrupted:
                // Its session ended (or died with Braid) and its gate never finished: gate its work now,
                // after ending what is left of the old gate (it carries the session's id too).
                AgentIdentity.kill(session: last.id)
                report("#\(id) its last session ended before the crash; gating its work")
                let plan = AttemptPlan(task: task, taskID: id, session: last.id, agent: last.agent, attempt: last.attempt,
                                       worktree: Self.worktree(of: last, config: config), feedback: nil)
                concludeLater(plan, log: URL(fileURLWithPath: last.log), diedUnwatched: last.verdict == .interrupted, alreadyEnded: true)
            case .failed where (record?.attempts ?? 0) > config.maxRetries:
                try escalate(id, agent: last.agent, reason: "escalated after \(record?.attempts ?? 0) tries (decided after a crash)")
            case .failed, .excused, .running:
                try backToTodo(id, "#\(id) retrying after the crash")
            }
        }
    }

    func backToTodo(_ id: Int, _ message: String) throws {
        try store.update { board in
            try board.move(id: id, to: .todo)
            try board.setOwner(id: id, nil)
        }
        report(message)
    }

    /// Keeps, commits and gates the work of a session whose process Braid no longer watches.
    private func concludeLater(_ plan: AttemptPlan, log: URL, diedUnwatched: Bool, alreadyEnded: Bool = false) {
        running[plan.taskID] = plan
        let runner = self.runner
        let sink = resultSink
        Task {
            let result = await runner.conclude(plan, exit: .unknown, stop: nil, log: log, format: .generic, sessionStart: nil,
                                               diedUnwatched: diedUnwatched) { result in
                if !alreadyEnded { await self.ended(result) }
            }
            sink.yield(.attempt(result))
        }
    }

    static func worktree(of session: SessionRecord, config: BraidConfig) -> TaskWorktree {
        TaskWorktree(taskID: session.task, path: URL(fileURLWithPath: session.worktree), branch: session.branch,
                     startCommit: session.startCommit,
                     base: BaseRef(name: config.baseBranch, ref: "refs/heads/\(config.baseBranch)", commit: session.startCommit,
                                   remote: nil, fetched: false, warning: nil),
                     warnings: [])
    }

    /// What the task's sessions reported spending since it was last retried or reassigned.
    private func taskSpent(_ id: Int) -> Double {
        let state = journal.state
        guard let record = state.task(id) else { return 0 }
        return record.sessions.compactMap { state.session($0) }.filter { $0.epoch == record.epoch }
            .compactMap { $0.end?.costUSD }.reduce(0, +)
    }

    // MARK: Helpers

    static func newSessionID(task: Int) -> String {
        "\(task)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
    }

    static func describe(_ gate: GateResult) -> String {
        guard let step = gate.failedStep else { return "the gate passed" }
        return "gate step \(step.name) \(step.outcome)"
    }

    static func oneLine(_ text: String, limit: Int) -> String {
        let flat = text.split(whereSeparator: \.isNewline).joined(separator: " ")
        return flat.count > limit ? String(flat.prefix(limit - 1)) + "…" : flat
    }

    static func gateSummary(_ gate: TaskRecord.Gate?) -> String? {
        guard let gate, !gate.passed,
              let result = try? JSONDecoder().decode(GateResult.self, from: Data(JSONWriter.encode(gate.result))) else { return nil }
        return result.summary
    }
}
