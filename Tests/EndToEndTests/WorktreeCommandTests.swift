import Dispatch
import Foundation
import Synchronization
import JSON
import Testing
import TestSupport

/// `braid worktree create|list|prune` on a real repository, through the real binary.
@Suite struct WorktreeCommandTests {
    static func braid(_ root: URL, _ arguments: String...) throws -> ProgramRun.Outcome {
        try ProgramRun.run(BraidBinary.path, arguments, directory: root)
    }

    @Test func createListAndPruneATasksWorktree() throws {
        let root = try BoardCommandTests.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try ProgramRun.run("/usr/bin/env", ["git", "-C", root.path, "-c", "user.name=t", "-c", "user.email=t@t",
                                                "commit", "-q", "--allow-empty", "-m", "start"])
        _ = try Self.braid(root, "add", "--", "--upload-pack=x; touch pwned")
        let created = try Self.braid(root, "worktree", "create", "#1", "--json")
        #expect(created.status == 0, "\(created.stderr)")
        let worktree = try JSONParser.parse(created.stdout)
        #expect(worktree["branch"] == "braid/1-upload-pack-x-touch-pwned")
        let path = worktree["path"]?.stringValue ?? ""
        #expect(path.hasPrefix(root.appendingPathComponent(".braid/worktrees").path))
        #expect(FileManager.default.fileExists(atPath: path))
        #expect(!FileManager.default.fileExists(atPath: root.appendingPathComponent("pwned").path))
        // Creating again reports the same worktree.
        #expect(try JSONParser.parse(try Self.braid(root, "worktree", "create", "1", "--json").stdout)["path"]?.stringValue == path)

        let listed = try JSONParser.parse(try Self.braid(root, "worktree", "list", "--json").stdout).arrayValue ?? []
        #expect(listed.count == 1)
        #expect(listed.first?["task"] == 1)
        #expect(listed.first?["startCommit"] == worktree["startCommit"])

        try FileManager.default.removeItem(atPath: path)
        #expect(try JSONParser.parse(try Self.braid(root, "worktree", "list", "--json").stdout).arrayValue?.first?["missing"] == true)
        let pruned = try Self.braid(root, "worktree", "prune")
        #expect(pruned.status == 0)
        #expect(pruned.stdout.contains("folder deleted"))
        #expect(try JSONParser.parse(try Self.braid(root, "worktree", "list", "--json").stdout).arrayValue?.isEmpty == true)
    }

    @Test func concurrentCreatesForOneTaskMakeOneWorktree() throws {
        let root = try BoardCommandTests.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        _ = try ProgramRun.run("/usr/bin/env", ["git", "-C", root.path, "-c", "user.name=t", "-c", "user.email=t@t",
                                                "commit", "-q", "--allow-empty", "-m", "start"])
        _ = try Self.braid(root, "add", "Race me")
        let paths = Mutex<Set<String>>([])
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            if let outcome = try? Self.braid(root, "worktree", "create", "#1", "--json"),
               let path = try? JSONParser.parse(outcome.stdout)["path"]?.stringValue {
                paths.withLock { _ = $0.insert(path) }
            }
        }
        #expect(paths.withLock { $0.count } == 1)
        #expect(try JSONParser.parse(try Self.braid(root, "worktree", "list", "--json").stdout).arrayValue?.count == 1)
    }

    @Test func aWorktreeRootLeadingOutOfTheRepositoryIsRefused() throws {
        let root = try BoardCommandTests.initializedRepository()
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("braid-outside-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer {
            try? FileManager.default.removeItem(at: root)
            try? FileManager.default.removeItem(at: outside)
        }
        _ = try Self.braid(root, "add", "Escape")
        try FileManager.default.createSymbolicLink(at: root.appendingPathComponent(".braid/worktrees"), withDestinationURL: outside)
        let outcome = try Self.braid(root, "worktree", "create", "#1")
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("worktreeRoot"))
        #expect(outcome.stderr.contains("leads out of the repository"))
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
    }

    @Test func anUnknownTaskOrSubcommandIsOneLine() throws {
        let root = try BoardCommandTests.initializedRepository()
        defer { try? FileManager.default.removeItem(at: root) }
        let unknown = try Self.braid(root, "worktree", "create", "#9")
        #expect(unknown.status == 1)
        #expect(unknown.stderr == "braid: worktree create: no task #9 on BOARD.md\n")
        let folders = (try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent(".braid/worktrees").path)) ?? []
        #expect(folders.isEmpty)
        let typo = try Self.braid(root, "worktree", "lst")
        #expect(typo.status == 2)
        #expect(typo.stderr == "braid: worktree: unknown subcommand 'lst' (did you mean 'list'?)\n")
    }
}
