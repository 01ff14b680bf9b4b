import Foundation

/// What a person asks of the supervisor through a client. Each runs on the supervisor's actor, so
/// it is ordered with every other state change, and the journal (which the supervisor alone
/// holds) records it before the board moves.
extension Supervisor {
    /// Starts a session for one task now, whatever the mode (a person asked for it). The task
    /// must be in Todo or Blocked with no session running; returns the new session's id.
    public func startSession(task id: Int) async throws -> String {
        let task = try existing(id)
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) already has a session or a gate running") }
        guard [.todo, .blocked].contains(task.section) else {
            throw RequestError.wrongState("#\(id) is in \(task.section.heading); a session starts only from Todo or Blocked")
        }
        guard try mergeQueue.state().candidate(id) == nil else {
            throw RequestError.wrongState("#\(id) waits in the merge queue; `merge/abort` takes it out first")
        }
        guard let session = try await start(task, id: id) else {
            if try store.read().task(id: id)?.section == .blocked, journal.state.task(id)?.outcome == .escalated {
                throw RequestError.failed("#\(id) could not start: see its blocked reason on the board")
            }
            throw RequestError.wrongState("#\(id) was moved or started meanwhile: not started")
        }
        return session
    }

    /// Ends the task's running session (its whole process group). Its end is seen like any other:
    /// the task is blocked as cancelled, with its work kept. During its gate, the task stops when
    /// the gate ends.
    public func cancel(task id: Int) async throws -> String {
        _ = try existing(id)
        guard let plan = running[id] else { throw RequestError.wrongState("#\(id) has no running session") }
        let marker = workspace.cancelMarker(session: plan.session)
        try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write("cancelled at \(Date())\n", to: marker)
        let session = journal.state.session(plan.session)
        if let session, session.end == nil {
            // Only the session's own processes: a reused pid never names them (see AgentIdentity).
            if AgentIdentity.session(of: session.pid) == session.id, let process = AgentProcess.adopt(pid: session.pid) {
                _ = await process.terminate(grace: .seconds(5))
            }
            AgentIdentity.kill(session: session.id)
            return plan.session
        }
        report("#\(id) cancel asked during its gate: the task stops when the gate ends")
        return plan.session
    }

    /// A person's decision about a stopped task: retry (tries counted afresh, guidance for the
    /// next prompt), reassign to another agent, or abandon (worktree and branch removed).
    public func decide(task id: Int, outcome: TaskOutcome, guidance: String? = nil, agent: String? = nil) throws {
        let task = try existing(id)
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) has a running session; cancel it first") }
        guard try mergeQueue.state().candidate(id) == nil else {
            throw RequestError.wrongState("#\(id) waits in the merge queue; `merge/abort` takes it out first")
        }
        // Work that passed its gate (Review) or landed (Done) is not undone by these.
        let allowed: Set<BoardSection> = outcome == .retriedByUser ? [.blocked] : [.todo, .blocked]
        guard allowed.contains(task.section) else {
            let verb = outcome == .retriedByUser ? "retry" : outcome == .reassigned ? "reassign" : outcome == .abandoned ? "abandon" : "this"
            throw RequestError.wrongState("#\(id) is in \(task.section.heading); \(verb) applies to "
                + allowed.map(\.heading).sorted().joined(separator: " or ") + " tasks")
        }
        if let agent { _ = try AgentProfile.named(agent, config: config, context: "reassigning #\(id)") }
        try journal.append(.taskOutcome(task: id, outcome: outcome, detail: guidance, agent: agent, at: Date()))
        if outcome == .abandoned, let worktree = try registry.worktree(forTask: id) {
            try manager.remove(worktree, deleteBranch: true)
            try registry.forget(taskID: id)
        }
        try store.update { board in
            switch outcome {
            case .abandoned:
                try board.move(id: id, to: .blocked)
                try board.setField(id: id, key: .blocked, value: "abandoned by a person (worktree and branch removed)")
            default:
                try board.move(id: id, to: .todo)
                try board.setField(id: id, key: .blocked, value: nil)
                if let agent { try board.setField(id: id, key: .agent, value: agent) }
            }
            try board.setOwner(id: id, nil)
        }
        report("#\(id) " + (outcome == .abandoned ? "abandoned by a person"
                            : outcome == .reassigned ? "reassigned to \(agent ?? "?")" : "retried by a person"))
        emit(.stateChanged)
        wake()
    }

    /// When the task's current escalation was recorded; nil when it is not escalated now. Names
    /// one escalation, so that an answer about an older one is never applied to a newer.
    public func escalationStamp(_ id: Int) -> Date? {
        guard let record = journal.state.task(id), record.outcome == .escalated else { return nil }
        return record.outcomeAt
    }

    /// A person's answer to the question about one escalation: decided only if that escalation
    /// is still the task's open one (checked and decided in one step, so two answers never both act).
    public func decideEscalation(task id: Int, escalatedAt: Date, outcome: TaskOutcome, guidance: String? = nil, agent: String? = nil) throws {
        guard escalationStamp(id) == escalatedAt else {
            throw RequestError.wrongState("#\(id) was decided meanwhile")
        }
        try decide(task: id, outcome: outcome, guidance: guidance, agent: agent)
    }

    /// Accepts the work in Review: the task goes to the merge queue, whose pass starts now.
    public func approve(task id: Int) throws {
        let task = try existing(id)
        guard task.section == .review else { throw RequestError.wrongState("#\(id) is in \(task.section.heading); only a task in Review can be approved") }
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) has a gate running") }
        guard journal.state.task(id)?.lastGate?.passed == true else {
            throw RequestError.wrongState("#\(id) has no passed gate on record")
        }
        if let veto = vetoBlocks(id) { throw RequestError.wrongState(veto) }
        try journal.append(.taskOutcome(task: id, outcome: .approved, detail: nil, agent: nil, at: Date()))
        if try mergeQueue.state().candidate(id) == nil {
            try mergeQueue.enqueue(task, id: id, state: journal.state)
        }
        report("#\(id) approved: queued for merging")
        kickMerge()
        emit(.stateChanged)
    }

    /// Sends the work in Review back to its agent with a person's feedback, in the same worktree.
    /// Not a failed try: its gate passed.
    public func reject(task id: Int, feedback: String) throws {
        let task = try existing(id)
        guard task.section == .review else { throw RequestError.wrongState("#\(id) is in \(task.section.heading); only a task in Review can be rejected") }
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) has a gate running") }
        _ = try mergeQueue.remove(task: id, reason: "rejected by a person")
        try journal.append(.taskOutcome(task: id, outcome: .rejected, detail: feedback, agent: nil, at: Date()))
        try backToTodo(id, "#\(id) rejected by a person: back to its agent with the feedback")
        emit(.stateChanged)
        wake()
    }

    /// What the merge queue did for some tasks: its decisions since a point (for those tasks, or all
    /// when none were named), whether it waits for a person, how many gates it ran on merged
    /// results, and what it reported as it worked.
    public struct MergeOutcome: Sendable {
        public var decisions: [MergeDecision] = []
        public var waiting: String?
        public var gateRuns = 0
        public var lines: [String] = []
        /// Named tasks still in the queue.
        public var pending: [Int] = []
    }

    /// Queues the tasks (any whose session has ended: not In Progress, not Done) and starts a pass
    /// of the queue. Returns what was queued at which commit, and the merge log's position before,
    /// from which `waitForMerge` reports decisions.
    public func mergeNow(_ ids: [Int]) throws -> (queued: [(task: Int, tip: String)], since: Int) {
        let board = try store.read()
        let since = try mergeQueue.state().lastSeq
        var queued: [(task: Int, tip: String)] = []
        // Those queued before a refusal are worked on all the same.
        defer {
            if !queued.isEmpty || ids.isEmpty { kickMerge() }
            emit(.stateChanged)
        }
        for id in ids {
            let task = try existing(id, on: board)
            guard task.section != .inProgress, task.section != .done, !isBusy(id) else {
                throw RequestError.wrongState("#\(id) is in \(task.section.heading); only a task whose session has ended can be merged")
            }
            guard try registry.worktree(forTask: id) != nil else {
                throw RequestError.wrongState("#\(id) has no worktree: there is no work of its to merge")
            }
            if let veto = vetoBlocks(id) { throw RequestError.wrongState(veto) }
            queued.append((id, try mergeQueue.enqueue(task, id: id, state: journal.state).tip))
        }
        return (queued, since)
    }

    /// Waits until none of the tasks (none named: no task at all) is left in the queue, or until a
    /// pass ends waiting for a person; passes run as needed.
    public func waitForMerge(_ ids: [Int], since: Int) async throws -> MergeOutcome {
        var outcome = MergeOutcome()
        let board = try store.read()
        for id in ids { _ = try existing(id, on: board) }
        let named = Set(ids)
        func stillQueued() throws -> [Int] {
            try mergeQueue.state().pending.map(\.task).filter { named.isEmpty || named.contains($0) }
        }
        // Bounded: a candidate that no pass decides (each leaves it for the next) must not hold
        // the request forever.
        var passes = 0
        while !(try stillQueued()).isEmpty && passes < Self.maxPassesWaited {
            passes += 1
            let pass = mergePassesStarted + (merging ? 0 : 1)
            if !merging { kickMerge() }
            let ended = await waitForMergePass(pass)
            outcome.gateRuns += ended.gateRuns
            // The lines about other tasks are for those who asked about them.
            outcome.lines += ended.lines.filter { line in named.isEmpty || Self.taskNamed(atStartOf: line).map(named.contains) ?? true }
            if let waiting = ended.waiting {
                outcome.waiting = waiting
                break
            }
        }
        outcome.decisions = try mergeQueue.state().decisions.filter { $0.seq > since && (named.isEmpty || named.contains($0.task)) }
        outcome.pending = try stillQueued().filter { named.contains($0) }
        return outcome
    }

    static let maxPassesWaited = 16

    /// N for a line that starts "#N ".
    static func taskNamed(atStartOf line: String) -> Int? {
        guard line.hasPrefix("#") else { return nil }
        return Int(line.dropFirst().prefix { $0.isNumber })
    }

    /// Takes a task out of the merge queue (a pass under way drops it before landing it).
    public func abortMerge(task id: Int) throws {
        _ = try existing(id)
        guard try mergeQueue.remove(task: id) else { throw RequestError.wrongState("#\(id) is not in the merge queue") }
        report("#\(id) taken out of the merge queue")
        emit(.stateChanged)
    }

    /// Runs the gate on the task's worktree as it is now, outside any try (a person checking).
    public func gateNow(task id: Int) async throws -> (session: String, result: GateResult) {
        _ = try existing(id)
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) has a session or a gate running") }
        guard let worktree = try registry.worktree(forTask: id) else { throw RequestError.wrongState("#\(id) has no worktree") }
        reserved[id] = try existing(id)
        defer { reserved[id] = nil }
        let session = "gate-\(id)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        emit(.gateStarted(task: id, session: session, steps: config.gate.map(\.name)))
        let result = await GateRunner(config: config, environment: [AgentIdentity.variable: session]).run(in: worktree.path)
        emit(.gateFinished(task: id, session: session, result: result))
        return (session, result)
    }


    private func existing(_ id: Int, on board: Board? = nil) throws -> BoardTask {
        guard let task = try (board ?? store.read()).task(id: id) else { throw RequestError.noSuchTask(id) }
        return task
    }
}

/// Why a person's request was refused; the server gives each kind its own error code.
public enum RequestError: Error, Sendable, CustomStringConvertible, Equatable {
    case noSuchTask(Int)
    case noSuchSession(String)
    /// The task (or the repository) is not in a state where this applies.
    case wrongState(String)
    case invalid(String)
    /// It applied, but carrying it out failed (git, the file system).
    case failed(String)

    public var description: String {
        switch self {
        case .noSuchTask(let id): "no task #\(id) on the board"
        case .noSuchSession(let id): "no session \(id)"
        case .wrongState(let why), .invalid(let why), .failed(let why): why
        }
    }
}
