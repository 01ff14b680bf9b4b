#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
@testable import BraidCore

/// Figures for the journal, printed rather than asserted: run with
/// `BRAID_JOURNAL_BENCH=1 swift test --filter JournalBenchmark` (add `-c release` for release figures).
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["BRAID_JOURNAL_BENCH"] != nil))
struct JournalBenchmark {
    typealias F = JournalFixtures

    private func seconds(_ body: () throws -> Void) rethrows -> Double {
        let start = ContinuousClock.now
        try body()
        let elapsed = ContinuousClock.now - start
        return Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
    }

    /// A realistic mix: per session a start, an end, a gate (a short output) and an outcome.
    private func mix(_ count: Int) -> [JournalEvent] {
        var events: [JournalEvent] = []
        events.reserveCapacity(count)
        var n = 0
        while events.count < count {
            let task = n % 500, session = "session-\(n)"
            events += [F.started(task, session, at: Double(n)), F.ended(session, at: Double(n) + 1),
                       F.gate(task, session, passed: n % 3 == 0, output: "error: expected 3, got 4", at: Double(n) + 2),
                       F.outcome(task, n % 3 == 0 ? .review : .retry, at: Double(n) + 2)]
            n += 1
        }
        return Array(events.prefix(count))
    }

    @Test func appendsPerSecondWithTheFlush() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        let events = mix(2_000)
        let elapsed = try seconds { for event in events { try journal.append(event) } }
        print("journal: \(events.count) appends in \(String(format: "%.3f", elapsed)) s = "
              + "\(Int(Double(events.count) / elapsed)) appends/s (\(String(format: "%.0f", elapsed / Double(events.count) * 1e6)) µs each)")

        // The system calls alone, for comparison: write + fdatasync, write + fsync, write only.
        let line = events[1].encodedLine()
        for (name, flush) in [("write+fdatasync", fdatasync), ("write+fsync", fsync), ("write only", { _ in Int32(0) })] as [(String, (Int32) -> Int32)] {
            let path = dir.url.appendingPathComponent("raw-\(name)").path
            let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
            defer { close(fd) }
            let t = seconds {
                for _ in 0..<2_000 {
                    _ = line.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) }
                    _ = flush(fd)
                }
            }
            print("raw \(name): \(Int(2_000 / t)) per second")
        }
    }

    @Test func replayOfOneHundredThousandEvents() throws {
        let dir = try TemporaryDirectory()
        let events = mix(100_000)
        try dir.writeJournal(lines(events))
        let size = try dir.journalBytes().count
        var contents: Journal.Contents?
        let read = try seconds { contents = try Journal.read(at: dir.journal) }
        var state = SupervisorState()
        let fold = seconds { state = SupervisorState(folding: contents?.events ?? []) }
        var journal: Journal?
        let open = try seconds { journal = try dir.openJournal() }
        #expect(journal?.state == state)
        print("replay: 100,000 events, \(size / 1024) KiB: read+parse \(String(format: "%.3f", read)) s, "
              + "fold \(String(format: "%.3f", fold)) s, open (lock, read, parse, fold) \(String(format: "%.3f", open)) s")
        var report: Journal.CompactionReport?
        let compact = try seconds { report = try journal?.compact() }
        print("compaction: \(report.map { "\($0.eventsBefore) → \($0.eventsAfter) events, \($0.bytesBefore / 1024) → \($0.bytesAfter / 1024) KiB" } ?? "-") "
              + "in \(String(format: "%.3f", compact)) s")
    }

    /// The same event through Foundation's JSONEncoder and JSONDecoder, for the choice of format.
    private struct CodableStarted: Codable {
        var v: Int, kind: String, task: Int, session: String, agent: String, attempt: Int, pid: Int32
        var worktree: String, branch: String, startCommit: String, log: String, at: Double
    }

    @Test func inHouseJSONAgainstCodable() throws {
        let count = 50_000
        let event = F.started(12, "session-12-1")
        var lineBytes = 0
        let inHouse = try seconds {
            for _ in 0..<count {
                let line = event.encodedLine()
                lineBytes = line.count
                _ = try JournalEvent(line: line.dropLast())
            }
        }
        let mirror = CodableStarted(v: 1, kind: "sessionStarted", task: 12, session: "session-12-1", agent: "claude",
                                    attempt: 1, pid: 4242, worktree: "/repo/.braid/worktrees/12-task", branch: "braid/12-task",
                                    startCommit: "0123456789abcdef0123456789abcdef01234567",
                                    log: "/repo/.braid/logs/session-12-1.log", at: 1_763_967_376)
        let encoder = JSONEncoder(), decoder = JSONDecoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let codable = try seconds {
            for _ in 0..<count {
                let data = try encoder.encode(mirror)
                _ = try decoder.decode(CodableStarted.self, from: data)
            }
        }
        print("encode+decode of one sessionStarted (\(lineBytes) bytes): in-house \(String(format: "%.1f", inHouse / Double(count) * 1e6)) µs, "
              + "Codable \(String(format: "%.1f", codable / Double(count) * 1e6)) µs")
    }
}
