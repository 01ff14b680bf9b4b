import Dispatch
import Foundation
import JSON
import Synchronization
import Testing
import TestSupport

/// `braid add` and `braid status` on real repositories, through the real binary.
@Suite struct BoardCommandTests {
    static func initializedRepository() throws -> URL {
        let root = try InitCommandTests.repository(with: [:])
        let outcome = try ProgramRun.run(BraidBinary.path, ["init"], directory: root)
        #expect(outcome.status == 0)
        return root
    }

    @Test func concurrentAddProcessesAllLandWithDistinctIDs() throws {
        let root = try Self.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let outcomes = Mutex<[ProgramRun.Outcome]>([])
        DispatchQueue.concurrentPerform(iterations: 8) { writer in
            for n in 0..<4 {
                if let outcome = try? ProgramRun.run(BraidBinary.path, ["add", "writer \(writer) task \(n)", "--json"], directory: root) {
                    outcomes.withLock { $0.append(outcome) }
                }
            }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.count == 32)
        #expect(all.allSatisfy { $0.status == 0 })
        let ids = all.compactMap { try? JSONParser.parse($0.stdout)["id"]?.intValue }
        #expect(Set(ids) == Set(1...32))
        let status = try JSONParser.parse(try ProgramRun.run(BraidBinary.path, ["status", "--json"], directory: root).stdout)
        #expect(status["tasks"]?.arrayValue?.count == 32)
    }

    @Test func statusShowsSectionOwnerAndWhyATaskIsBlocked() throws {
        let root = try Self.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let board = """
            # Board
            ## Todo
            - [ ] Write docs (#4)
            - [?] not a checkbox
            ## In Progress
            - [ ] Fix the parser (#2) — claude
            ## Blocked
            - [ ] Flaky thing (#3)
              blocked: gate failed 3 times (escalated)
            ## Done
            - [x] Old task (#1)

            """
        try Data(board.utf8).write(to: root.appendingPathComponent("BOARD.md"))
        let outcome = try ProgramRun.run(BraidBinary.path, ["status", "--json"], directory: root)
        #expect(outcome.status == 0)
        #expect(outcome.stderr.contains("BOARD.md:4:"))
        let tasks = try JSONParser.parse(outcome.stdout)["tasks"]?.arrayValue ?? []
        let byID = Dictionary(uniqueKeysWithValues: tasks.compactMap { t in t["id"]?.intValue.map { ($0, t) } })
        #expect(byID[2]?["section"] == "inProgress")
        #expect(byID[2]?["owner"] == "claude")
        #expect(byID[3]?["blockedReason"] == "gate failed 3 times (escalated)")
        #expect(byID[1]?["section"] == "done")
        let table = try ProgramRun.run(BraidBinary.path, ["status"], directory: root).stdout
        #expect(table.contains("#3  Blocked      Flaky thing"))
        #expect(table.hasPrefix("ID  SECTION      TITLE"))
        // Reading never rewrote the board, malformed line included.
        #expect(try String(contentsOf: root.appendingPathComponent("BOARD.md"), encoding: .utf8) == board)
    }

    @Test func aHostileTitleIsStoredAsTextAndRunsNothing() throws {
        let root = try Self.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let canary = root.appendingPathComponent("pwned")
        let title = "$(touch \(canary.path)); `touch \(canary.path)` --upload-pack=x ../../etc/passwd"
        let outcome = try ProgramRun.run(BraidBinary.path, ["add", title], directory: root)
        #expect(outcome.status == 0)
        #expect(!FileManager.default.fileExists(atPath: canary.path))
        let status = try JSONParser.parse(try ProgramRun.run(BraidBinary.path, ["status", "--json"], directory: root).stdout)
        #expect(status["tasks"]?.arrayValue?.first?["title"] == .string(title))
    }

    @Test func anIDIsNeverHandedOutTwiceAndHandWrittenTasksGetOne() throws {
        let root = try Self.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        for title in ["one", "two", "three"] { _ = try ProgramRun.run(BraidBinary.path, ["add", title], directory: root) }
        // A person deletes the newest task, and writes one without an id, and mentions (#40) in prose.
        var board = try String(contentsOf: root.appendingPathComponent("BOARD.md"), encoding: .utf8)
        board = board.replacingOccurrences(of: "- [ ] three (#3)\n", with: "- [ ] written by hand\n")
        board += "\nSee also (#40) and (#9223372036854775807).\n"
        try Data(board.utf8).write(to: root.appendingPathComponent("BOARD.md"))
        let added = try JSONParser.parse(try ProgramRun.run(BraidBinary.path, ["add", "four", "--json"], directory: root).stdout)
        let status = try JSONParser.parse(try ProgramRun.run(BraidBinary.path, ["status", "--json"], directory: root).stdout)
        let ids = (status["tasks"]?.arrayValue ?? []).compactMap { $0["id"]?.intValue }
        #expect(!ids.contains(3) || ids.filter { $0 == 3 }.count == 1)
        #expect(Set(ids).count == ids.count)
        #expect((added["id"]?.intValue ?? 0) > 40)
        let handWritten = (status["tasks"]?.arrayValue ?? []).first { $0["title"] == "written by hand" }
        #expect(handWritten?["id"]?.intValue.map { $0 > 40 } == true)
    }

    @Test func aConfigPointingIntoGitIsRefused() throws {
        let root = try Self.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        try Data("{\n  \"board\": \".git/config\"\n}\n".utf8).write(to: root.appendingPathComponent(".braid/config.json"))
        let outcome = try ProgramRun.run(BraidBinary.path, ["add", "x"], directory: root)
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "braid: add: .braid/config.json:2: board: must not point into .git\n")
    }

    @Test func commandsOutsideAnInitializedRepositorySaySo() throws {
        let root = try InitCommandTests.repository(with: [:])
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try ProgramRun.run(BraidBinary.path, ["status"], directory: root)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.hasSuffix("has no .braid/config.json (run 'braid init' first)\n"))
    }
}
