import Foundation
import Testing
@testable import BraidCore

@Suite struct JournalCompactionTests {
    typealias F = JournalFixtures

    /// A busy history: 12 tasks, 240 sessions, failed gates with their output, fallbacks, fresh
    /// starts, and some sessions still running at the end. Every session stays in the state, so
    /// what compaction saves is mostly the repeated events and all but the last gate output.
    private func history() -> [JournalEvent] {
        var events: [JournalEvent] = []
        for n in 0..<240 {
            let task = n % 12, session = "s\(n)"
            events += [F.started(task, session, agent: n % 3 == 0 ? "codex" : "claude", attempt: n / 12, pid: Int32(1000 + n),
                                 at: Double(n))]
            if n >= 228 { continue }  // still running
            switch n % 6 {
            case 0: events += [F.ended(session, at: Double(n) + 0.5), F.gate(task, session, passed: false, output: F.failureOutput, at: Double(n) + 0.75),
                               F.outcome(task, .retry, detail: "tests failed", at: Double(n) + 0.75)]
            case 1: events += [F.ended(session, .stalled, exitCode: nil, signal: 15)]
            case 2: events += [F.ended(session, exitCode: 1), F.outcome(task, .quotaFallback, agent: "gemini")]
            case 3: events += [F.ended(session), F.gate(task, session, passed: true), F.outcome(task, .review)]
            case 4: events += [F.ended(session), F.outcome(task, .escalated, detail: "2 failed tries"),
                               F.outcome(task, .retriedByUser, detail: "try harder")]
            default: events += [F.ended(session)]  // awaiting its gate
            }
        }
        return events
    }

    @Test func compactionKeepsTheFoldedStateExactlyAndShrinksTheFile() throws {
        let dir = try TemporaryDirectory()
        var journal = try dir.openJournal()
        for event in history() { try journal.append(event) }
        let state = journal.state
        #expect(state.runningSessions.count == 12)
        #expect(!state.sessionsAwaitingGate.isEmpty)
        let before = try dir.journalBytes().count

        let report = try journal.compact()
        #expect(report.bytesBefore == before)
        #expect(report.eventsAfter == 12)
        #expect(report.bytesAfter < before / 2)
        #expect(try dir.journalBytes().count == report.bytesAfter)
        #expect(journal.state == state)
        #expect(SupervisorState(folding: try journal.replay()) == state)
        #expect(try journal.replay().allSatisfy { $0.kind == "taskSnapshot" })

        // Appends go on into the new file, and a reopened journal sees both.
        try journal.append(F.ended("s239"))
        let after = journal.state
        journal.close()
        #expect(try Journal.read(at: dir.journal).events.count == 13)
        journal = try dir.openJournal()
        #expect(journal.state == after)
        #expect(journal.state.runningSessions.count == 11)
        // Compacting a compacted journal changes nothing.
        let again = try journal.compact()
        #expect(again.eventsAfter == 12)
        #expect(journal.state == after)
        #expect(try dir.journalBytes() == lines(after.compactedEvents))
    }

    @Test func compactionIsDueAboveTheThresholdAndThenOnlyOnceTheFileHasDoubled() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal(policy: .init(maxBytes: 1 << 30, maxEvents: 50))
        for n in 0..<50 { try journal.append(F.started(n, "s\(n)")) }
        #expect(!journal.needsCompaction)
        #expect(try journal.compactIfNeeded() == nil)
        try journal.append(F.ended("s0"))
        #expect(journal.needsCompaction)
        let report = try journal.compactIfNeeded()
        #expect(report?.eventsBefore == 51)
        #expect(report?.eventsAfter == 50)
        // 50 tasks fold to 50 events: wait until there are more than 100.
        for n in 1...50 { try journal.append(F.ended("s\(n)")) }
        #expect(journal.eventCount == 100)
        #expect(try journal.compactIfNeeded() == nil)
        try journal.append(F.started(99, "x"))
        #expect(try journal.compactIfNeeded()?.eventsAfter == 51)
    }

    @Test func theByteThresholdAlsoTriggersCompaction() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal(policy: .init(maxBytes: 4096, maxEvents: 1_000_000))
        while journal.byteCount <= 4096 { try journal.append(F.started(1, "s\(journal.eventCount)")) }
        #expect(journal.needsCompaction)
        #expect(try journal.compactIfNeeded()?.eventsAfter == 1)
    }

    @Test func aStatesCompactedEventsFoldBackToIt() {
        let state = SupervisorState(folding: history())
        #expect(SupervisorState(folding: state.compactedEvents) == state)
        #expect(state.compactedEvents.count == state.tasks.count)
    }
}
