import Foundation
import JSON

/// The supervisor's state as the fold of its journal: per task, the failed tries that the
/// escalation rule counts, the agent, the last gate and the escalation; per session, what a
/// restarted Braid needs to re-adopt or conclude it.
///
/// Folding is deterministic (the same events give an equal state) and costs O(1) per event.
/// It never fails: an event about a session the journal never saw start is ignored, since it
/// cannot describe anything to re-adopt or count.
///
/// The rules, in `apply`:
///
/// | event                                    | the session's verdict          | the task                        |
/// |------------------------------------------|--------------------------------|---------------------------------|
/// | sessionStarted                           | running                        | agent = the session's           |
/// | sessionEnded, reason exited              | awaitingGate                   |                                 |
/// | sessionEnded, cancelled or daemonDied    | interrupted                    |                                 |
/// | sessionEnded, any other reason           | failed                         |                                 |
/// | gateFinished                             | passed or failed               | lastGate                        |
/// | taskOutcome retry or escalated           | the last session, if awaiting its gate: failed | escalated: escalation = detail |
/// | taskOutcome quotaFallback                | the last session: excused, for good | agent = the fallback       |
/// | taskOutcome reassigned or retriedByUser  |                                | a fresh start: epoch + 1, attempts 0, escalation cleared |
/// | taskOutcome review or abandoned          |                                | escalation cleared              |
/// | mergeDecision, landed                    |                                | outcome landed, mergeSeq        |
/// | mergeDecision, refused                   | the last session, if passed: failed | outcome mergeRefused, mergeSeq |
///
/// A task's `attempts` is the number of its sessions of the current epoch whose verdict is
/// `failed`: a try is a session that ended without passing its gate, except that a quota fallback
/// excuses it and a person's cancellation or a daemon crash is not the agent's failure.
public struct SupervisorState: Sendable, Equatable {
    public var tasks: [Int: TaskRecord]
    public var sessions: [String: SessionRecord]

    public init(tasks: [Int: TaskRecord] = [:], sessions: [String: SessionRecord] = [:]) {
        self.tasks = tasks
        self.sessions = sessions
    }

    public init(folding events: some Sequence<JournalEvent>) {
        self.init()
        for event in events { apply(event) }
    }

    /// Sessions started and not ended, oldest first: what a restarted Braid must re-adopt (the
    /// process is alive) or conclude (it is not).
    public var runningSessions: [SessionRecord] {
        sessions.values.filter(\.isRunning).sorted(by: Self.startOrder)
    }

    /// Sessions that exited and whose gate has not reported, oldest first: a restarted Braid runs
    /// their gates again.
    public var sessionsAwaitingGate: [SessionRecord] {
        sessions.values.filter { $0.verdict == .awaitingGate }.sorted(by: Self.startOrder)
    }

    public func task(_ id: Int) -> TaskRecord? { tasks[id] }
    public func session(_ id: String) -> SessionRecord? { sessions[id] }

    private static func startOrder(_ a: SessionRecord, _ b: SessionRecord) -> Bool {
        (a.startedAt, a.id) < (b.startedAt, b.id)
    }

    public mutating func apply(_ event: JournalEvent) {
        switch event {
        case let .sessionStarted(task, session, agent, attempt, pid, worktree, branch, startCommit, log, at):
            var record = tasks[task] ?? TaskRecord(id: task)
            if sessions[session] == nil {
                record.sessions.append(session)
                record.tallies[agent, default: .init()].sessions += 1
                if record.firstStartedAt == nil { record.firstStartedAt = at }
            }
            record.agent = agent
            tasks[task] = record
            sessions[session] = SessionRecord(id: session, task: task, agent: agent, attempt: attempt, pid: pid,
                                              worktree: worktree, branch: branch, startCommit: startCommit, log: log,
                                              startedAt: at, epoch: record.epoch)

        case let .sessionEnded(session, exitCode, signal, reason, changedFiles, commit, costUSD, at):
            guard let started = sessions[session] else { return }
            if started.end == nil, let costUSD { tasks[started.task]?.tallies[started.agent, default: .init()].costUSD += costUSD }
            sessions[session]?.end = SessionRecord.End(exitCode: exitCode, signal: signal, reason: reason,
                                                       changedFiles: changedFiles, commit: commit, costUSD: costUSD,
                                                       at: at)
            switch reason {
            case .exited: setVerdict(session, .awaitingGate)
            case .cancelled, .daemonDied: setVerdict(session, .interrupted)
            default: setVerdict(session, .failed)
            }

        case let .gateFinished(task, session, passed, failedStep, result, at):
            tasks[task, default: TaskRecord(id: task)].lastGate =
                TaskRecord.Gate(session: session, passed: passed, failedStep: failedStep, result: result, at: at)
            if !passed, let agent = sessions[session]?.agent ?? tasks[task]?.agent {
                tasks[task]?.tallies[agent, default: .init()].gateCatches += 1
            }
            if sessions[session]?.task == task { setVerdict(session, passed ? .passed : .failed) }

        case let .taskOutcome(task, outcome, detail, agent, at):
            var record = tasks[task] ?? TaskRecord(id: task)
            let previousAgent = record.agent
            record.outcome = outcome
            record.outcomeDetail = detail
            record.outcomeAt = at
            if let counted = outcome == .reassigned ? previousAgent : (agent ?? previousAgent) {
                switch outcome {
                case .retry: record.tallies[counted, default: .init()].retries += 1
                case .escalated: record.tallies[counted, default: .init()].escalations += 1
                case .reassigned: record.tallies[counted, default: .init()].reassignedAway += 1
                default: break
                }
            }
            if let agent { record.agent = agent }
            tasks[task] = record
            let last = record.sessions.last
            switch outcome {
            case .retry, .escalated:
                if let last, sessions[last]?.verdict == .awaitingGate { setVerdict(last, .failed) }
                if outcome == .escalated { tasks[task]?.escalation = detail ?? "escalated" }
            case .quotaFallback:
                if let last { setVerdict(last, .excused) }
            case .reassigned, .retriedByUser:
                tasks[task]?.epoch += 1
                tasks[task]?.attempts = 0
                tasks[task]?.escalation = nil
            case .review, .abandoned:
                tasks[task]?.escalation = nil
            default:
                break
            }

        case let .mergeDecision(task, seq, landed, reason, commit, detail, agent, at):
            var record = tasks[task] ?? TaskRecord(id: task)
            guard seq > record.mergeSeq else { return }
            record.mergeSeq = seq
            if landed {
                record.tallies[agent, default: .init()].completed += 1
                record.doneAt = at
                // Work found already landed is someone else's commit: its lines are not this task's.
                record.landedCommit = reason == "alreadyLanded" ? nil : commit
            } else {
                record.tallies[agent, default: .init()].retries += 1
                switch reason {
                case "conflict": record.tallies[agent, default: .init()].mergeConflicts += 1
                case "gateFailed": record.tallies[agent, default: .init()].mergeGateCatches += 1
                case "staleBase": record.tallies[agent, default: .init()].staleBaseCatches += 1
                default: break
                }
            }
            record.outcome = landed ? .landed : .mergeRefused
            record.outcomeDetail = detail
            record.outcomeAt = at
            record.agent = agent
            if landed { record.escalation = nil }
            tasks[task] = record
            if !landed, let last = record.sessions.last, sessions[last]?.verdict == .passed { setVerdict(last, .failed) }

        case let .taskSnapshot(task, sessions: records):
            tasks[task.id] = task
            for session in records { sessions[session.id] = session }
        }
    }

    /// Moves a session to a new verdict, keeping its task's `attempts` equal to the number of its
    /// failed sessions of the current epoch. `excused` is final.
    private mutating func setVerdict(_ id: String, _ verdict: SessionRecord.Verdict) {
        guard let session = sessions[id], session.verdict != .excused, session.verdict != verdict else { return }
        sessions[id]?.verdict = verdict
        let wasCounted = session.verdict == .failed, isCounted = verdict == .failed
        guard wasCounted != isCounted, let task = tasks[session.task], task.epoch == session.epoch else { return }
        tasks[session.task]?.attempts += isCounted ? 1 : -1
    }

    /// The fewest events that fold to this state: one snapshot per task, carrying its sessions
    /// (running ones included), tasks in id order.
    public var compactedEvents: [JournalEvent] {
        var events: [JournalEvent] = []
        events.reserveCapacity(tasks.count)
        for (_, task) in tasks.sorted(by: { $0.key < $1.key }) {
            events.append(.taskSnapshot(task, sessions: task.sessions.compactMap { sessions[$0] }))
        }
        return events
    }
}
