import Foundation
import JSON

/// The supervision loop: takes tasks from the board, runs each in its own worktree with its agent,
/// gates the result, and sends failures back with their output until the retries run out.
///
/// One actor owns every state change, in order: the board (through `BoardStore`), the journal
/// (every change appended and fsynced before it is acted on), and the sessions in flight. Sessions
/// and gates run concurrently, off the actor, and report back through one stream.
public actor Supervisor {
    /// Told of every state change, as a line a person can read (`braid run` prints them).
    public typealias Report = @Sendable (String) -> Void

    private let workspace: Workspace
    private let config: BraidConfig
    private let journal: Journal
    private let store: BoardStore
    private let registry: WorktreeRegistry
    private let manager: WorktreeManager
    private let runner: AttemptRunner
    private let report: Report
    private var running: [Int: AttemptPlan] = [:]
    private let results: AsyncStream<AttemptResult>
    private let resultSink: AsyncStream<AttemptResult>.Continuation

    public init(workspace: Workspace, config: BraidConfig, journal: Journal, report: @escaping Report) throws {
        self.workspace = workspace
        self.config = config
        self.journal = journal
        self.report = report
        store = BoardStore(path: workspace.boardURL(config), lockPath: workspace.boardLockURL)
        registry = workspace.worktreeRegistry
        manager = try workspace.worktreeManager(config)
        runner = AttemptRunner(workspace: workspace, config: config, manager: manager)
        (results, resultSink) = AsyncStream<AttemptResult>.makeStream()
    }

    /// Runs until nothing is running and nothing more can start (the board is empty, or what is
    /// left waits for a person, for `after:` tasks, or is blocked).
    public func run() async throws {
        try await recover()
        var iterator = results.makeAsyncIterator()
        while true {
            try dispatch()
            if running.isEmpty { break }
            guard let result = await iterator.next() else { break }
            try conclude(result)
            _ = try? journal.compactIfNeeded()
        }
        report("nothing left to run")
    }

    // MARK: Dispatch

    private func dispatch() throws {
        // Numbers tasks written without an id, so they can be scheduled.
        let board = try store.update { board in board }
        let done = Set(board.tasks(in: .done).compactMap(\.id))
        let todo = board.tasks(in: .todo).compactMap { task in task.id.map { Scheduler.Candidate(task, id: $0) } }
        let busy = running.values.map { Scheduler.Candidate($0.task, id: $0.taskID) }
        let picked = Scheduler.pick(todo: todo, running: busy, done: done, freeSlots: max(0, config.maxSessions - running.count))
        for id in picked.start {
            guard let task = board.task(id: id) else { continue }
            try start(task, id: id)
        }
    }

    private func start(_ task: BoardTask, id: Int, agentOverride: String? = nil, feedback explicit: RetryFeedback? = nil) throws {
        let record = journal.state.task(id)
        let agent = agentOverride ?? task.agent ?? record?.agent ?? config.defaultAgent
        let worktree: TaskWorktree
        do {
            worktree = try registry.worktree(forTask: id) { try manager.create(taskID: id, title: task.title) }
        } catch {
            try escalate(id, agent: agent, reason: "could not create its worktree: \(error)")
            return
        }
        try store.update { board in
            try board.move(id: id, to: .inProgress)
            try board.setOwner(id: id, agent)
            try board.setField(id: id, key: .blocked, value: nil)
        }
        let attempt = (record?.attempts ?? 0) + 1
        var feedback = explicit
        if feedback == nil, let record, record.outcome == .retriedByUser || record.outcome == .reassigned {
            feedback = RetryFeedback(attempt: attempt, gateSummary: Self.gateSummary(record.lastGate), guidance: record.outcomeDetail)
        }
        launch(AttemptPlan(task: task, taskID: id, session: Self.newSessionID(task: id), agent: agent, attempt: attempt,
                           worktree: worktree, feedback: feedback))
    }

    private func launch(_ plan: AttemptPlan, adopting process: AgentProcess? = nil) {
        running[plan.taskID] = plan
        let runner = self.runner
        let sink = resultSink
        Task {
            let result = await runner.run(plan, adopting: process) { process, log in
                await self.started(plan, process: process, log: log, adopted: process.isChild == false)
            }
            sink.yield(result)
        }
    }

    private func started(_ plan: AttemptPlan, process: AgentProcess, log: URL, adopted: Bool) {
        if adopted {
            report("#\(plan.taskID) re-adopted \(plan.agent) (pid \(process.pid)), still running from before")
            return
        }
        do {
            try journal.append(.sessionStarted(task: plan.taskID, session: plan.session, agent: plan.agent, attempt: plan.attempt,
                                               pid: process.pid, worktree: plan.worktree.path.path, branch: plan.worktree.branch,
                                               startCommit: plan.worktree.startCommit, log: log.path, at: Date()))
        } catch {
            report("warning: could not journal the start of #\(plan.taskID): \(error)")
        }
        report("#\(plan.taskID) started: \(plan.agent), try \(plan.attempt), in \(plan.worktree.path.path)")
    }

    // MARK: Conclusions

    private func conclude(_ result: AttemptResult) throws {
        let plan = result.plan
        let id = plan.taskID
        running[id] = nil
        let reason: SessionEndReason = result.diedUnwatched ? .daemonDied : result.cancelled ? .cancelled
            : result.stop == .wallTimeExceeded ? .wallTime : result.stop == .stalled ? .stalled : .exited
        var exitCode: Int32?
        var signal: Int32?
        switch result.exit {
        case .exited(let code): exitCode = code
        case .signaled(let number): signal = number
        case .unknown: break
        }
        try journal.append(.sessionEnded(session: plan.session, exitCode: exitCode, signal: signal, reason: reason,
                                         changedFiles: result.changed, commit: result.commit, costUSD: result.usage.costUSD, at: Date()))
        if let gate = result.gate {
            let json = (try? JSONParser.parse(Array(JSONEncoder().encode(gate)))) ?? .null
            try journal.append(.gateFinished(task: id, session: plan.session, passed: gate.passed,
                                             failedStep: gate.failedStep?.name, result: json, at: Date()))
            report("#\(id) gate \(gate.passed ? "passed" : "failed")\(gate.failedStep.map { " at \($0.name) (\($0.outcome))" } ?? "")")
        }
        if let failure = result.failure {
            try escalate(id, agent: plan.agent, reason: failure)
        } else if result.cancelled {
            try journal.append(.taskOutcome(task: id, outcome: "cancelled", detail: "cancelled by a person", agent: plan.agent, at: Date()))
            try block(id, reason: "cancelled by a person; `braid retry #\(id)` goes on with the work kept")
            report("#\(id) cancelled")
        } else if result.quotaExhausted {
            try fallBack(from: result)
        } else if let gate = result.gate, gate.passed {
            try journal.append(.taskOutcome(task: id, outcome: .review, detail: nil, agent: plan.agent, at: Date()))
            try store.update { board in
                try board.move(id: id, to: .review)
                try board.setOwner(id: id, nil)
            }
            report("#\(id) passed its gate on try \(plan.attempt): waiting in Review")
        } else {
            try failedTry(result)
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
        try journal.append(.taskOutcome(task: id, outcome: .retry, detail: why, agent: plan.agent, at: Date()))
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
        guard let next = config.fallback.first(where: { !tried.contains($0) && $0 != plan.agent }) else {
            try escalate(id, agent: plan.agent, reason: "\(plan.agent) is out of quota and no fallback agent is left")
            return
        }
        try journal.append(.taskOutcome(task: id, outcome: .quotaFallback, detail: "\(plan.agent) reported a rate limit or exhausted quota",
                                        agent: next, at: Date()))
        try store.update { board in try board.setOwner(id: id, next) }
        report("#\(id) \(plan.agent) is out of quota: moving to \(next)")
        launch(AttemptPlan(task: plan.task, taskID: id, session: Self.newSessionID(task: id), agent: next, attempt: plan.attempt,
                           worktree: plan.worktree, feedback: plan.feedback))
    }

    private func escalate(_ id: Int, agent: String, reason: String) throws {
        try journal.append(.taskOutcome(task: id, outcome: .escalated, detail: reason, agent: agent, at: Date()))
        try block(id, reason: reason)
        report("#\(id) escalated: \(reason)")
    }

    private func block(_ id: Int, reason: String) throws {
        try store.update { board in
            guard board.task(id: id) != nil else { return }
            try board.move(id: id, to: .blocked)
            try board.setOwner(id: id, nil)
            try board.setField(id: id, key: .blocked, value: Self.oneLine(reason, limit: 300))
        }
    }

    // MARK: Recovery

    /// After a crash or a reboot: sessions the journal says are running are re-adopted when their
    /// agent still runs in its worktree; when it died with Braid, what it left is kept, committed
    /// and gated like any finished session. Tasks left In Progress with no session go back to Todo.
    private func recover() async throws {
        let state = journal.state
        let board = try store.read()
        var inFlight = Set<Int>()
        for session in state.runningSessions {
            guard let task = board.task(id: session.task) else { continue }
            inFlight.insert(session.task)
            let worktree = TaskWorktree(taskID: session.task, path: URL(fileURLWithPath: session.worktree), branch: session.branch,
                                        startCommit: session.startCommit,
                                        base: BaseRef(name: config.baseBranch, ref: "refs/heads/\(config.baseBranch)", commit: session.startCommit,
                                                      remote: nil, fetched: false, warning: nil),
                                        warnings: [])
            let plan = AttemptPlan(task: task, taskID: session.task, session: session.id, agent: session.agent,
                                   attempt: session.attempt, worktree: worktree, feedback: nil)
            if Self.isOurAgent(pid: session.pid, worktree: worktree.path), let process = AgentProcess.adopt(pid: session.pid) {
                launch(plan, adopting: process)
            } else {
                report("#\(session.task) its agent (pid \(session.pid)) ended while Braid was not running: keeping its work")
                running[session.task] = plan
                let runner = self.runner
                let sink = resultSink
                Task {
                    var result = await runner.conclude(plan, exit: .unknown, stop: nil, log: URL(fileURLWithPath: session.log), format: .generic)
                    result.diedUnwatched = true
                    sink.yield(result)
                }
            }
        }
        let orphans = board.tasks(in: .inProgress).compactMap(\.id).filter { !inFlight.contains($0) }
        // An agent started just before a crash, before its start was journaled, may still work in
        // its task's worktree: end it, so that the task's next session is alone there.
        let registered = (try? registry.all()) ?? [:]
        for id in orphans {
            guard let worktree = registered[id] else { continue }
            for pid in Self.processes(workingIn: worktree.path) {
                report("#\(id) ending a stray agent (pid \(pid)) left in its worktree by a crash")
                _ = await AgentProcess.adopt(pid: pid)?.terminate(grace: .seconds(5))
            }
        }
        if !orphans.isEmpty {
            try store.update { board in
                for id in orphans {
                    try board.move(id: id, to: .todo)
                    try board.setOwner(id: id, nil)
                }
            }
            report("back to Todo (no session was running for them): " + orphans.map { "#\($0)" }.joined(separator: ", "))
        }
    }

    /// Processes (group leaders only: an agent leads its own group) whose working folder is in `folder`.
    static func processes(workingIn folder: URL) -> [Int32] {
        let top = folder.resolvingSymlinksInPath().path
        let ours = getpgrp()
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap { Int32($0) }.filter { pid in
            guard getpgid(pid) == pid, pid != ours,
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == top || cwd.hasPrefix(top + "/")
        }
    }

    /// The pid still names the agent Braid started: alive, and working in the task's worktree.
    static func isOurAgent(pid: Int32, worktree: URL) -> Bool {
        guard AgentProcess.isAlive(pid: pid),
              let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
        let top = worktree.resolvingSymlinksInPath().path
        return cwd == top || cwd.hasPrefix(top + "/")
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
