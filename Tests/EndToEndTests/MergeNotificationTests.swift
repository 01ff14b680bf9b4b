import Foundation
import JSON
import Testing
import TestSupport

/// `braid serve` tells its client of the merge queue's decisions, whichever Braid process makes them.
@Suite struct MergeNotificationTests {
    /// A project with tasks #1 (changes a.txt) and #2 (changes a.txt differently), each with its
    /// work committed in its worktree.
    static func project() throws -> ProjectFixture {
        let project = try ProjectFixture()
        try project.write("a.txt", "base\n")
        try project.git("add", "-A")
        try project.git("commit", "-q", "-m", "a.txt")
        for title in ["Change a one way", "Change a another way"] {
            #expect(try project.braid(["add", title]).status == 0)
        }
        #expect(try project.braid(["worktree", "create", "#1", "#2"]).status == 0)
        for (id, text) in [(1, "one\n"), (2, "two\n")] {
            let folder = try #require(try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent(".braid/worktrees").path)
                .first { $0.hasPrefix("\(id)-") })
            let worktree = project.root.appendingPathComponent(".braid/worktrees/\(folder)")
            try Data(text.utf8).write(to: worktree.appendingPathComponent("a.txt"))
            let commit = try ProgramRun.run("/usr/bin/env", ["git", "-C", worktree.path, "-c", "user.name=T", "-c", "user.email=t@t.invalid",
                                                             "commit", "-q", "-am", "work of #\(id)"])
            #expect(commit.status == 0, "\(commit.stderr)")
        }
        return project
    }

    @Test func aClientHearsOfLandingsAndRefusalsMadeByAnotherProcess() throws {
        let project = try Self.project()
        // Started elsewhere: `initialize`'s rootPath names the repository, whose daemon serves.
        let server = try RawServer()
        server.send(["jsonrpc": "2.0", "id": 1, "method": "initialize",
                     "params": ["processId": .null, "rootPath": .string(project.root.path), "capabilities": [:]]])
        #expect(server.next()?["id"] == 1)
        server.send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        #expect(server.next()?["method"] == "window/logMessage")

        // Another process works the queue: #1 lands, #2 then conflicts with it.
        let merge = try project.braid(["merge", "#1", "#2"])
        #expect(merge.status == 1, "\(merge.stdout)\(merge.stderr)")

        // Cards move as the queue decides: only the queue's own notifications matter here.
        func nextMerge() -> JSONValue? {
            while let message = server.next() {
                if message["method"]?.stringValue?.hasPrefix("merge/") == true { return message }
            }
            return nil
        }
        let landed = nextMerge()
        #expect(landed?["method"] == "merge/landed")
        #expect(landed?["params"]?["task"] == 1)
        #expect(landed?["params"]?["alreadyLanded"] == false)
        let head = try project.git("rev-parse", "main").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(landed?["params"]?["commit"]?.stringValue == head)
        let refused = nextMerge()
        #expect(refused?["method"] == "merge/refused")
        #expect(refused?["params"]?["task"] == 2)
        #expect(refused?["params"]?["reason"] == "conflict")
        #expect(refused?["params"]?["detail"]?.stringValue?.contains("a.txt") == true)

        server.send(["jsonrpc": "2.0", "id": 2, "method": "shutdown"])
        #expect(server.nextWithID()?["id"] == 2)
        server.send(["jsonrpc": "2.0", "method": "exit"])
    }
}
