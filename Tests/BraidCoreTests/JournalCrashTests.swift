import Foundation
import Testing
@testable import BraidCore

@Suite struct JournalCrashTests {
    /// A journal of `events` as the real writer leaves it.
    private func written(_ events: [JournalEvent]) throws -> [UInt8] {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        for event in events { try journal.append(event) }
        journal.close()
        return try dir.journalBytes()
    }

    @Test func aCrashAtAnyByteOfTheLastAppendLosesNoCompleteEventAndAppendsContinueCleanly() throws {
        let events = [JournalFixtures.started(1, "a"), JournalFixtures.ended("a"),
                      JournalFixtures.gate(1, "a", passed: false), JournalFixtures.outcome(1, .retry, detail: "tests failed")]
        let bytes = try written(events)
        let complete = Array(events.dropLast())
        let lastStart = lines(complete).count
        #expect(bytes.count == lastStart + events.last!.encodedLine().count)
        let next = JournalFixtures.started(1, "b", attempt: 2, at: 10)
        let dir = try TemporaryDirectory()
        // Every length from "the last line not begun" to "all of it but the newline".
        for cut in lastStart..<bytes.count {
            try dir.writeJournal(Array(bytes[..<cut]))
            let journal = try dir.openJournal()
            let torn = journal.recovery.tornTail
            if cut == lastStart {
                #expect(torn == nil)
            } else {
                #expect(torn == Journal.TornTail(line: 4, offset: lastStart, bytes: Array(bytes[lastStart..<cut])), "cut at \(cut)")
            }
            #expect(journal.state == SupervisorState(folding: complete), "cut at \(cut)")
            #expect(journal.eventCount == complete.count)
            try journal.append(next)
            journal.close()
            #expect(try dir.journalBytes() == Array(bytes[..<lastStart]) + next.encodedLine(), "cut at \(cut)")
            #expect(try Journal.read(at: dir.journal).events == complete + [next])
        }
    }

    @Test func readingWithoutTheLockReportsATornLineWithoutTouchingIt() throws {
        let dir = try TemporaryDirectory()
        let bytes = lines([JournalFixtures.started(1, "a")]) + Array(#"{"v":1,"kind":"sessionEn"#.utf8)
        try dir.writeJournal(bytes)
        let contents = try Journal.read(at: dir.journal)
        #expect(contents.events == [JournalFixtures.started(1, "a")])
        #expect(contents.tornTail?.line == 2)
        #expect(contents.tornTail?.description.contains("unfinished line 2") == true)
        #expect(try dir.journalBytes() == bytes)
    }

    @Test func zerosLeftByAPowerLossAfterTheLastLineAreCutOff() throws {
        let dir = try TemporaryDirectory()
        let good = lines([JournalFixtures.started(1, "a")])
        try dir.writeJournal(good + [UInt8](repeating: 0, count: 4096))
        let journal = try dir.openJournal()
        #expect(journal.recovery.tornTail?.bytes.count == 4096)
        #expect(journal.eventCount == 1)
        journal.close()
        #expect(try dir.journalBytes() == good)
    }

    @Test func aCorruptLineInTheMiddleIsAnErrorNamingItsLineNumber() throws {
        let dir = try TemporaryDirectory()
        let first = lines([JournalFixtures.started(1, "a")])
        let last = lines([JournalFixtures.ended("a")])
        for (bad, reason) in [
            (#"{"v":1,"kind":"sessionEnded","session":"a""#, "not JSON"),
            (#"{"v":1,"kind":"sessionEnded","session":"a","reason":"exited","changedFiles":"yes","at":1}"#,
             "sessionEnded: field 'changedFiles' must be true or false, found \"yes\""),
            (#"{"v":1,"kind":"sessionStarted","task":1}"#, "sessionStarted: field 'session' is missing"),
            (#"{"kind":"sessionEnded"}"#, "no format version 'v'"),
            (#"[1,2]"#, "not a JSON object"),
            ("", "not JSON"),
        ] {
            let bytes = first + Array(bad.utf8) + [0x0A] + last
            try dir.writeJournal(bytes)
            do {
                _ = try dir.openJournal()
                Issue.record("opened a journal with a corrupt line 2: \(bad)")
            } catch let error as JournalError {
                guard case let .corruptLine(path, line, why) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(path == dir.journal.path)
                #expect(line == 2)
                #expect(why.contains(reason), "\(why)")
                #expect(error.description.contains("line 2 is not a valid event"))
            }
            // Nothing was cut or rewritten, and the lock was given back.
            #expect(try dir.journalBytes() == bytes)
            #expect(try CommandRunner.run(Command("/usr/bin/flock", ["-n", dir.journalLock.path, "true"])).status == 0)
        }
    }

    @Test func aCorruptFinalLineThatEndsWithANewlineIsAnErrorNotATornLine() throws {
        let dir = try TemporaryDirectory()
        try dir.writeJournal(lines([JournalFixtures.started(1, "a")]) + Array("garbage\n".utf8))
        #expect(throws: JournalError.corruptLine(path: dir.journal.path, line: 2,
                                                 reason: "not JSON: unexpected character 'g' at byte 0")) {
            try dir.openJournal()
        }
    }

    @Test func anEventKindFromANewerBraidIsAnErrorNamingIt() throws {
        let dir = try TemporaryDirectory()
        let future = #"{"v":1,"kind":"mergeQueued","task":3,"at":1}"#
        try dir.writeJournal(lines([JournalFixtures.started(1, "a")]) + Array(future.utf8) + [0x0A])
        do {
            _ = try dir.openJournal()
            Issue.record("opened a journal with an unknown event kind")
        } catch let error as JournalError {
            #expect(error == .unknownEventKind(path: dir.journal.path, line: 2, kind: "mergeQueued"))
            #expect(error.description.contains("'mergeQueued'"))
            #expect(error.description.contains("upgrade Braid"))
        }
        #expect(throws: JournalEvent.DecodeError.unknownKind("mergeQueued")) { try JournalEvent(line: Array(future.utf8)) }
    }

    @Test func aLineInANewerFormatIsAnErrorNamingTheVersion() throws {
        let dir = try TemporaryDirectory()
        try dir.writeJournal(Array(#"{"v":2,"kind":"sessionStarted","whatever":true}"#.utf8) + [0x0A])
        #expect(throws: JournalError.newerFormat(path: dir.journal.path, line: 1, version: 2)) { try dir.openJournal() }
    }

    @Test func aCrashDuringCompactionLeavesATemporaryFileThatLosesNothing() throws {
        let dir = try TemporaryDirectory()
        var journal = try dir.openJournal()
        for n in 0..<20 {
            try journal.append(JournalFixtures.started(n % 3, "s\(n)", at: Double(n)))
            if n % 2 == 0 { try journal.append(JournalFixtures.ended("s\(n)", at: Double(n) + 0.5)) }
        }
        let state = journal.state
        let original = try dir.journalBytes()
        journal.close()

        // Killed while writing the temporary file: the journal itself is untouched.
        let compacted = lines(state.compactedEvents)
        let leftover = ".\(Journal.fileName).12345.678.tmp"
        try Data(compacted.prefix(compacted.count / 2)).write(to: dir.url.appendingPathComponent(leftover))
        journal = try dir.openJournal()
        #expect(journal.recovery.removedTemporaryFiles == [leftover])
        #expect(journal.state == state)
        #expect(try dir.journalBytes() == original)
        #expect(!FileManager.default.fileExists(atPath: dir.url.appendingPathComponent(leftover).path))
        journal.close()

        // Killed after the rename: the compacted journal folds to the same state.
        try dir.writeJournal(compacted)
        journal = try dir.openJournal()
        #expect(journal.recovery.isClean)
        #expect(journal.state == state)
    }
}
