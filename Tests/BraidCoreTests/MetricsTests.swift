import Foundation
import Testing
@testable import BraidCore

/// The tallies behind `metrics/get`: folded from the journal's events, kept by compaction, and
/// summed per agent and overall.
@Suite struct MetricsTests {
    typealias F = JournalFixtures

    static func decision(_ task: Int, seq: Int, landed: Bool, reason: String? = nil, commit: String? = nil, agent: String = "claude",
                         at seconds: Double) -> JournalEvent {
        .mergeDecision(task: task, seq: seq, landed: landed, reason: reason, commit: commit, detail: "d", agent: agent, at: F.at(seconds))
    }

    /// Task 1: claude fails its gate once, lands after a merge conflict is resolved.
    /// Task 2: claude escalates after three failed gates, is reassigned to codex, which lands it.
    /// Task 3: codex is refused for a stale base, then escalated; it stays failed.
    static let events: [JournalEvent] = [
        F.started(1, "1a", at: 0), F.ended("1a"), F.gate(1, "1a", passed: false), F.outcome(1, .retry, agent: "claude"),
        F.started(1, "1b", at: 10), F.ended("1b"), F.gate(1, "1b", passed: true), F.outcome(1, .review, agent: "claude"),
        decision(1, seq: 1, landed: false, reason: "conflict", at: 20),
        F.started(1, "1c", at: 30), F.ended("1c"), F.gate(1, "1c", passed: true), F.outcome(1, .review, agent: "claude"),
        decision(1, seq: 3, landed: true, commit: "c1", at: 100),

        F.started(2, "2a", at: 0), F.ended("2a"), F.gate(2, "2a", passed: false), F.outcome(2, .retry, agent: "claude"),
        F.started(2, "2b", at: 1), F.ended("2b"), F.gate(2, "2b", passed: false), F.outcome(2, .retry, agent: "claude"),
        F.started(2, "2c", at: 2), F.ended("2c"), F.gate(2, "2c", passed: false), F.outcome(2, .escalated, agent: "claude"),
        F.outcome(2, .reassigned, agent: "codex", at: 5),
        F.started(2, "2d", agent: "codex", at: 6), F.ended("2d"), F.gate(2, "2d", passed: true), F.outcome(2, .review, agent: "codex"),
        decision(2, seq: 2, landed: true, commit: "c2", agent: "codex", at: 300),

        F.started(3, "3a", agent: "codex", at: 0), F.ended("3a"), F.gate(3, "3a", passed: true), F.outcome(3, .review, agent: "codex"),
        decision(3, seq: 4, landed: false, reason: "staleBase", agent: "codex", at: 5),
        F.outcome(3, .escalated, agent: "codex", at: 6),
    ]

    @Test func talliesCountEachAgentsWork() {
        let state = SupervisorState(folding: Self.events)
        let one = state.task(1)?.tallies["claude"]
        #expect(one?.sessions == 3)
        #expect(one?.gateCatches == 1)
        #expect(one?.mergeConflicts == 1)
        #expect(one?.retries == 2)   // the failed gate and the conflict
        #expect(one?.completed == 1)
        #expect(one?.costUSD == 0.75)
        #expect(state.task(1)?.landedCommit == "c1")
        #expect(state.task(2)?.tallies["claude"]?.reassignedAway == 1)
        #expect(state.task(2)?.tallies["claude"]?.escalations == 1)
        #expect(state.task(2)?.tallies["codex"]?.completed == 1)
        #expect(state.task(3)?.tallies["codex"]?.staleBaseCatches == 1)
        // The refusal made the passed session a failed try.
        #expect(state.task(3)?.attempts == 1)
    }

    @Test func aDecisionAppliedTwiceCountsOnce() {
        var events = Self.events
        events.append(Self.decision(1, seq: 3, landed: true, commit: "c1", at: 100))
        #expect(SupervisorState(folding: events) == SupervisorState(folding: Self.events))
    }

    @Test func compactionKeepsTheTallies() {
        let state = SupervisorState(folding: Self.events)
        let lines = state.compactedEvents.map { $0.encodedLine() }
        let reread = try? lines.map { line in try JournalEvent(line: line.dropLast()) }
        #expect(reread.map { SupervisorState(folding: $0) } == state)
    }

    @Test func metricsSumPerAgentAndOverall() {
        let state = SupervisorState(folding: Self.events)
        let metrics = Metrics(state: state, lines: ["c1": (added: 10, removed: 2), "c2": (added: 5, removed: 0)])
        #expect(metrics.overall.tasksCompleted == 2)
        #expect(metrics.overall.tasksFailed == 1)
        #expect(metrics.overall.tasksReassigned == 1)
        #expect(metrics.overall.gateCatches == 4)
        #expect(metrics.overall.mergeConflicts == 1)
        #expect(metrics.overall.staleBaseCatches == 1)
        #expect(metrics.overall.escalations == 2)
        #expect(metrics.overall.linesAdded == 15)
        #expect(metrics.overall.linesRemoved == 2)
        // Wall time: task 1 from 0 to 100 s, task 2 from 0 to 300 s.
        #expect(metrics.overall.wallTimeMedianSeconds == 100)
        #expect(metrics.overall.wallTimeP90Seconds == 300)
        let byAgent = Dictionary(uniqueKeysWithValues: metrics.agents.map { ($0.agent ?? "", $0) })
        #expect(byAgent["claude"]?.tasksCompleted == 1)
        #expect(byAgent["claude"]?.tasksReassigned == 1)
        #expect(byAgent["claude"]?.linesAdded == 10)
        #expect(byAgent["codex"]?.tasksCompleted == 1)
        #expect(byAgent["codex"]?.tasksFailed == 1)
        #expect(byAgent["codex"]?.staleBaseCatches == 1)
        #expect(byAgent["codex"]?.costUSD == 0.5)
    }

    @Test func percentilesUseTheNearestRank() {
        #expect(Metrics.percentile([], 0.5) == nil)
        #expect(Metrics.percentile([7], 0.9) == 7)
        #expect(Metrics.percentile(Array(1...10).map(Double.init), 0.5) == 5)
        #expect(Metrics.percentile(Array(1...10).map(Double.init), 0.9) == 9)
    }
}
