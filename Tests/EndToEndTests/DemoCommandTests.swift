import Foundation
import Testing
import TestSupport

/// `braid demo`: the README's first command runs the whole loop on a new repository and leaves it
/// in the end state it announces.
@Suite struct DemoCommandTests {
    @Test func theDemoShowsEveryPartOfTheLoopAndEndsAsItSays() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-demo-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: folder) }
        let run = try ProgramRun.run(BraidBinary.path, ["demo", "--dir", folder.path])
        #expect(run.status == 0, "\(run.stderr)")
        let out = run.stdout

        // Live: three agents side by side, a gate failure retried, an escalation, a conflict sent
        // back, a stale base caught, landings one by one.
        let started = out.split(separator: "\n").filter { $0.contains("started: script, try 1") }.prefix(3)
        #expect(Set(started.compactMap { $0.split(separator: " ").first { $0.hasPrefix("#") } }) == ["#1", "#2", "#3"])
        #expect(out.contains("#4 try 1 failed: gate step test exited with status 1; retrying"))
        #expect(out.contains("#5 escalated: escalated after 3 tries"))
        #expect(out.contains("refused by the merge queue (conflict)"))
        #expect(out.contains("#3 refused by the merge queue (staleBase)") && out.contains("README.md line"))
        #expect(out.contains("The repository is left for you: \(folder.path)"))

        // The board's end state.
        let board = try String(contentsOf: folder.appendingPathComponent("BOARD.md"), encoding: .utf8)
        let done = board.components(separatedBy: "## Done").last ?? ""
        let blocked = (board.components(separatedBy: "## Blocked").last ?? "").components(separatedBy: "## Done").first ?? ""
        for id in [1, 2, 3, 4, 6] { #expect(done.contains("(#\(id))"), "#\(id) should be Done:\n\(board)") }
        #expect(blocked.contains("(#5)"))

        // main: five landings with their trailers, and the project's tests pass on it.
        let log = try ProgramRun.run("/usr/bin/env", ["git", "-C", folder.path, "log", "--format=%s|%(trailers:key=Braid-Task,valueonly,separator=)", "main"])
        let landed = log.stdout.split(separator: "\n").compactMap { line -> String? in
            let parts = line.split(separator: "|", omittingEmptySubsequences: false)
            return parts.count == 2 && !parts[1].isEmpty ? String(parts[1]) : nil
        }
        #expect(Set(landed) == ["1", "2", "3", "4", "6"])
        #expect(landed.count == 5)
        let tests = try ProgramRun.run("/bin/sh", ["test.sh"], directory: folder)
        #expect(tests.status == 0, "\(tests.stdout)")
        let readme = try String(contentsOf: folder.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("- farewell: says goodbye") && readme.contains("Usage:"))

        // The metrics table, from `braid metrics --json` in the demo's repository.
        let metrics = try ProgramRun.run(BraidBinary.path, ["metrics", "--json"], directory: folder)
        #expect(metrics.status == 0)
        let overall = try JSONSerialization.jsonObject(with: Data(metrics.stdout.utf8)) as? [String: Any]
        let row = overall?["overall"] as? [String: Any]
        #expect(row?["tasksCompleted"] as? Int == 5)
        #expect(row?["tasksFailed"] as? Int == 1)
        #expect(row?["escalations"] as? Int == 1)
        #expect((row?["mergeConflicts"] as? Int ?? 0) >= 1)
        #expect((row?["staleBaseCatches"] as? Int ?? 0) >= 1)
        #expect((row?["gateCatches"] as? Int ?? 0) >= 4)

        // `braid diff`: a landed task shows its landed commit; an escalated one its worktree's
        // change against its merge base, uncommitted work included.
        let landedDiff = try ProgramRun.run(BraidBinary.path, ["diff", "#2"], directory: folder)
        #expect(landedDiff.status == 0)
        #expect(landedDiff.stdout.contains("+shout() {") && landedDiff.stdout.contains(" greet.sh | +4 -0"))
        let worktree = try #require(try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent(".braid/worktrees").path)
            .first { $0.hasPrefix("5-") })
        try Data("scratch\n".utf8).write(to: folder.appendingPathComponent(".braid/worktrees/\(worktree)/notes.txt"))
        let open = try ProgramRun.run(BraidBinary.path, ["diff", "#5", "--json"], directory: folder)
        let json = try JSONSerialization.jsonObject(with: Data(open.stdout.utf8)) as? [String: Any]
        let paths = (json?["files"] as? [[String: Any]])?.compactMap { $0["path"] as? String }
        #expect(paths == ["greet.sh", "notes.txt"])
        #expect((json?["patch"] as? String)?.contains("Bonjour") == true)
        let none = try ProgramRun.run(BraidBinary.path, ["diff", "#42"], directory: folder)
        #expect(none.status == 1 && none.stderr.contains("no task #42"))
    }

    @Test func aFolderThatIsNotEmptyIsRefused() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-demo-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        try Data("mine\n".utf8).write(to: folder.appendingPathComponent("notes.txt"))
        let run = try ProgramRun.run(BraidBinary.path, ["demo", "--dir", folder.path])
        #expect(run.status == 1)
        #expect(run.stderr.contains("is not empty"))
        #expect(try String(contentsOf: folder.appendingPathComponent("notes.txt"), encoding: .utf8) == "mine\n")
    }
}
