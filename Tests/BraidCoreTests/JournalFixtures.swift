import Foundation
import JSON
@testable import BraidCore

/// Events for the journal's tests. Times are whole quarter-seconds after a fixed instant, which
/// read back exactly; `Date()` keeps about a microsecond.
enum JournalFixtures {
    static func at(_ seconds: Double) -> Date { Date(timeIntervalSince1970: 1_763_967_376 + seconds) }

    static func started(_ task: Int, _ session: String, agent: String = "claude", attempt: Int = 1,
                        pid: Int32 = 4242, at seconds: Double = 0) -> JournalEvent {
        .sessionStarted(task: task, session: session, agent: agent, attempt: attempt, pid: pid,
                        worktree: "/repo/.braid/worktrees/\(task)-task", branch: "braid/\(task)-task",
                        startCommit: "0123456789abcdef0123456789abcdef01234567", log: "/repo/.braid/logs/\(session).log",
                        at: at(seconds))
    }

    static func ended(_ session: String, _ reason: SessionEndReason = .exited, exitCode: Int32? = 0, signal: Int32? = nil,
                      changedFiles: Bool = true, at seconds: Double = 1) -> JournalEvent {
        .sessionEnded(session: session, exitCode: exitCode, signal: signal, reason: reason, changedFiles: changedFiles,
                      commit: changedFiles ? "89abcdef0123456789abcdef0123456789abcdef" : nil, costUSD: 0.25,
                      at: at(seconds))
    }

    /// A gate's result carries the failing step's output, as a real one does.
    static func gate(_ task: Int, _ session: String, passed: Bool, step: String? = nil, output: String = "",
                     at seconds: Double = 2) -> JournalEvent {
        .gateFinished(task: task, session: session, passed: passed, failedStep: passed ? nil : (step ?? "test"),
                      result: ["passed": .bool(passed), "steps": [["name": "test", "seconds": 1.5, "output": .string(output)]]],
                      at: at(seconds))
    }

    /// What a failing test run prints, about 2 KB.
    static let failureOutput = String(repeating: "Tests/AppTests/ParserTests.swift:42: error: expected 3, got 4\n", count: 32)

    static func outcome(_ task: Int, _ outcome: TaskOutcome, detail: String? = nil, agent: String? = nil,
                        at seconds: Double = 3) -> JournalEvent {
        .taskOutcome(task: task, outcome: outcome, detail: detail, agent: agent, at: at(seconds))
    }

    /// One event of every kind, with every optional both present and absent somewhere, and
    /// strings and numbers that a careless encoder would change.
    static var everyKind: [JournalEvent] {
        let result = try! JSONParser.parse(#"{"exact":[1.50,1e400,-0,12345678901234567890],"text":"line\nbreak \"quoted\" é 🚀","ok":false,"none":null}"#)
        var snapshotTask = TaskRecord(id: 7, attempts: 1, agent: "codex",
                                      lastGate: .init(session: "s-7-1", passed: false, failedStep: "lint", result: result,
                                                      at: at(10)),
                                      escalation: nil, outcome: .retry, outcomeDetail: "lint failed", outcomeAt: at(11),
                                      sessions: [], epoch: 2)
        snapshotTask.mergeSeq = 4
        snapshotTask.tallies = ["codex": { var t = TaskRecord.Tally(); t.sessions = 2; t.gateCatches = 1; t.costUSD = 0.5; return t }(),
                                "claude": { var t = TaskRecord.Tally(); t.reassignedAway = 1; t.staleBaseCatches = 3; return t }()]
        snapshotTask.firstStartedAt = at(5)
        snapshotTask.landedCommit = "0123abc"
        let snapshotSessions = [
            SessionRecord(id: "s-7-1", task: 7, agent: "codex", attempt: 1, pid: 100, worktree: "/w/7", branch: "braid/7-x",
                          startCommit: "abc", log: "/l/1", startedAt: at(5),
                          end: .init(exitCode: 1, signal: nil, reason: .exited, changedFiles: true, commit: "def",
                                     costUSD: 0.5, at: at(6)),
                          verdict: .failed, epoch: 2),
            SessionRecord(id: "s-7-2", task: 7, agent: "codex", attempt: 2, pid: 101, worktree: "/w/7", branch: "braid/7-x",
                          startCommit: "abc", log: "/l/2", startedAt: at(12), epoch: 2),
        ]
        snapshotTask.sessions = snapshotSessions.map(\.id)
        return [
            started(1, "s-1-1"),
            .sessionStarted(task: 2, session: "s\n\"2\" é", agent: "aider; rm -rf /", attempt: 3, pid: Int32.max,
                            worktree: "/tmp/with space/..", branch: "-starts-with-dash", startCommit: "", log: "", at: at(0.25)),
            ended("s-1-1"),
            .sessionEnded(session: "s-1-1", exitCode: nil, signal: 9, reason: .wallTime, changedFiles: false, commit: nil,
                          costUSD: nil, at: at(1.5)),
            .sessionEnded(session: "s-1-1", exitCode: -1, signal: nil, reason: "someFutureReason", changedFiles: true,
                          commit: "c", costUSD: 1e-7, at: at(1.75)),
            gate(1, "s-1-1", passed: true),
            .gateFinished(task: 1, session: "s-1-1", passed: false, failedStep: "secrets", result: result, at: at(2.5)),
            .gateFinished(task: 1, session: "s-1-1", passed: true, failedStep: nil, result: .null, at: at(2.75)),
            outcome(1, .review),
            outcome(1, .escalated, detail: "two failed tries:\nsee log", agent: "claude"),
            outcome(1, "someFutureOutcome"),
            .mergeDecision(task: 1, seq: 1, landed: false, reason: "conflict", commit: nil, detail: "a.txt\nb.txt", agent: "claude",
                           at: at(4)),
            .mergeDecision(task: 1, seq: 2, landed: true, reason: nil, commit: "c0ffee", detail: "landed", agent: "claude", at: at(4.5)),
            .taskSnapshot(snapshotTask, sessions: snapshotSessions),
            .taskSnapshot(TaskRecord(id: 8), sessions: []),
        ]
    }
}

extension TemporaryDirectory {
    var journal: URL { url.appendingPathComponent(Journal.fileName) }
    var journalLock: URL { url.appendingPathComponent(Journal.lockFileName) }
    func openJournal(policy: Journal.CompactionPolicy = Journal.CompactionPolicy()) throws -> Journal {
        try Journal.open(in: url, policy: policy)
    }
    func journalBytes() throws -> [UInt8] { Array(try Data(contentsOf: journal)) }
    func writeJournal(_ bytes: [UInt8]) throws { try Data(bytes).write(to: journal) }
}

func lines(_ events: [JournalEvent]) -> [UInt8] { events.flatMap { $0.encodedLine() } }
