#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Synchronization
import Testing
@testable import BraidCore

@Suite struct JournalRoundTripTests {
    @Test func everyEventKindReadsBackAsWritten() throws {
        let dir = try TemporaryDirectory()
        let events = JournalFixtures.everyKind
        let journal = try dir.openJournal()
        for event in events { try journal.append(event) }
        #expect(try journal.replay() == events)
        journal.close()
        #expect(try Journal.read(at: dir.journal).events == events)
        #expect(try Journal.read(at: dir.journal).tornTail == nil)
        let kinds = Set(events.map(\.kind))
        #expect(kinds == ["sessionStarted", "sessionEnded", "gateFinished", "taskOutcome", "mergeDecision", "taskSnapshot"])
    }

    @Test func eachEventIsOneLineStartingWithItsVersionAndKind() throws {
        for event in JournalFixtures.everyKind {
            let line = event.encodedLine()
            #expect(line.last == 0x0A)
            #expect(line.dropLast().firstIndex(of: 0x0A) == nil)
            #expect(String(decoding: line, as: UTF8.self).hasPrefix(#"{"v":1,"kind":"\#(event.kind)","#))
            #expect(try JournalEvent(line: line.dropLast()) == event)
            #expect(try JournalEvent(json: event.json) == event)
        }
    }

    @Test func anOpaqueGateResultKeepsItsExactNumbers() throws {
        let dir = try TemporaryDirectory()
        let result = try JSONParser.parse(#"{"n":1.50,"big":12345678901234567890,"e":1E+2}"#)
        let journal = try dir.openJournal()
        try journal.append(.gateFinished(task: 1, session: "s", passed: true, failedStep: nil, result: result,
                                         at: JournalFixtures.at(0)))
        journal.close()
        let text = String(decoding: try dir.journalBytes(), as: UTF8.self)
        #expect(text.contains(#""result":{"big":12345678901234567890,"e":1E+2,"n":1.50}"#))
    }

    @Test func aSecondProcessSeesTheLineAsSoonAsAppendReturns() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        var expected: [UInt8] = []
        for (i, event) in JournalFixtures.everyKind.prefix(5).enumerated() {
            try journal.append(event)
            expected += event.encodedLine()
            let cat = try CommandRunner.run(Command("/bin/cat", [dir.journal.path]))
            #expect(cat.status == 0)
            #expect(Array(cat.stdout) == expected, "after append \(i + 1)")
        }
    }

    @Test func theLiveStateEqualsTheStateOfAReopenedJournalEvenForTimesOfNow() throws {
        let dir = try TemporaryDirectory()
        var journal = try dir.openJournal()
        // Date() has sub-microsecond digits that seconds-since-1970 cannot all keep: the live state
        // folds what the file says, not what the caller passed.
        try journal.append(.sessionStarted(task: 1, session: "a", agent: "claude", attempt: 1, pid: 1, worktree: "w",
                                           branch: "b", startCommit: "c", log: "l", at: Date()))
        try journal.append(.sessionEnded(session: "a", exitCode: 0, signal: nil, reason: .exited, changedFiles: true,
                                         commit: nil, costUSD: 0.1 + 0.2, at: Date()))
        try journal.append(.gateFinished(task: 1, session: "a", passed: false, failedStep: "test", result: ["x": 0.1],
                                         at: Date()))
        let live = journal.state
        journal.close()
        journal = try dir.openJournal()
        #expect(journal.state == live)
        #expect(journal.state.task(1)?.attempts == 1)
    }

    @Test func appendsFromManyThreadsAreSerializedWholeLines() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        let threads = 4, appends = 40
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread {
                for n in 0..<appends {
                    do {
                        try journal.append(JournalFixtures.started(t, "t\(t)-\(n)", attempt: n, at: Double(n)))
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(failures.withLock { $0 } == [])
        #expect(journal.eventCount == threads * appends)
        let events = try journal.replay()
        #expect(events.count == threads * appends)
        for t in 0..<threads {
            let mine = events.compactMap { event -> String? in
                if case let .sessionStarted(task, session, _, _, _, _, _, _, _, _) = event, task == t { return session }
                return nil
            }
            #expect(mine == (0..<appends).map { "t\(t)-\($0)" })
        }
        #expect(journal.state == SupervisorState(folding: events))
    }

    @Test func appendingToAClosedJournalFailsClearly() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        journal.close()
        #expect(throws: JournalError.closed(path: dir.journal.path)) {
            try journal.append(JournalFixtures.started(1, "s"))
        }
    }

    @Test func aMissingJournalReadsAsEmptyAndOpeningCreatesIt() throws {
        let dir = try TemporaryDirectory()
        #expect(try Journal.read(at: dir.journal).events == [])
        let state = dir.url.appendingPathComponent(".braid/state")
        let journal = try Journal.open(in: state)
        #expect(journal.recovery.isClean)
        #expect(journal.state == SupervisorState())
        #expect(FileManager.default.fileExists(atPath: state.appendingPathComponent("journal.jsonl").path))
        #expect(try String(contentsOf: state.appendingPathComponent("journal.lock"), encoding: .utf8) == "\(getpid())\n")
    }
}
