import Foundation
import JSON
import Testing
import TestSupport

/// `braid init` in real repositories, through the real binary.
@Suite struct InitCommandTests {
    static func repository(with files: [String: String]) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("braid-init-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        _ = try ProgramRun.run("/usr/bin/env", ["git", "init", "-q", "-b", "trunk", root.path])
        for (name, text) in files {
            try Data(text.utf8).write(to: root.appendingPathComponent(name))
        }
        return root
    }

    static func initialize(_ root: URL, _ extra: [String] = []) throws -> ProgramRun.Outcome {
        try ProgramRun.run(BraidBinary.path, ["init"] + extra, directory: root)
    }

    @Test(arguments: [
        ("Package.swift", "// swift-tools-version:6.0\n", ["swift", "test"]),
        ("Cargo.toml", "[package]\n", ["cargo", "test"]),
        ("package.json", "{}\n", ["npm", "test"]),
        ("pyproject.toml", "[project]\n", ["python3", "-m", "pytest"]),
        ("setup.cfg", "[metadata]\n", ["python3", "-m", "pytest"]),
        ("pytest.ini", "[pytest]\n", ["python3", "-m", "pytest"]),
        ("go.mod", "module x\n", ["go", "test", "./..."]),
        ("Makefile", "build:\n\tcc x.c\n\ntest: build\n\t./run-tests\n", ["make", "test"]),
    ])
    func detectsTheProjectsTestCommand(marker: String, contents: String, expected: [String]) throws {
        let root = try Self.repository(with: [marker: contents])
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try Self.initialize(root)
        #expect(outcome.status == 0, "\(outcome.stderr)")
        let config = try JSONParser.parse(Array(try Data(contentsOf: root.appendingPathComponent(".braid/config.json"))))
        #expect(config["gate"]?.arrayValue?.first?["run"] == .array(expected.map { .string($0) }))
        #expect(config["baseBranch"] == "trunk")
        let board = try String(contentsOf: root.appendingPathComponent("BOARD.md"), encoding: .utf8)
        for section in ["## Todo", "## In Progress", "## Review", "## Blocked", "## Done"] { #expect(board.contains(section)) }
        let ignore = try String(contentsOf: root.appendingPathComponent(".braid/.gitignore"), encoding: .utf8)
        #expect(ignore.contains("state/") && ignore.contains("worktrees/") && ignore.contains("logs/"))
    }

    @Test func aMakefileWithoutATestTargetIsNotAProject() throws {
        let root = try Self.repository(with: ["Makefile": "all:\n\tcc x.c\ntests:\n\ttrue\n"])
        defer { try? FileManager.default.removeItem(at: root) }
        let outcome = try Self.initialize(root)
        #expect(outcome.status == 0)
        #expect(outcome.stdout.contains("no test command detected"))
    }

    @Test func anExplicitTestCommandAndAgentAreUsed() throws {
        let root = try Self.repository(with: ["Cargo.toml": ""])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Self.initialize(root, ["--test", "make check && ./lint", "--agent", "claude"]).status == 0)
        let config = try JSONParser.parse(Array(try Data(contentsOf: root.appendingPathComponent(".braid/config.json"))))
        #expect(config["gate"]?.arrayValue?.first?["run"] == "make check && ./lint")
        #expect(config["gate"]?.arrayValue?.first?["shell"] == true)
        #expect(config["defaultAgent"] == "claude")
    }

    @Test func aBrokenConfigIsOneLineNamingFileLineAndField() throws {
        let root = try Self.repository(with: [:])
        defer { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".braid"), withIntermediateDirectories: true)
        try Data("{\n  \"maxSessions\": 0\n}\n".utf8).write(to: root.appendingPathComponent(".braid/config.json"))
        let outcome = try Self.initialize(root)
        #expect(outcome.status == 1)
        #expect(outcome.stderr == "braid: init: .braid/config.json:2: maxSessions: must be a whole number from 1 to 64\n")
    }

    @Test func outsideARepositoryItSaysSo() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("braid-norepo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let outcome = try ProgramRun.run(BraidBinary.path, ["init"], directory: dir)
        #expect(outcome.status == 1)
        #expect(outcome.stderr.contains("is not inside a git repository"))
    }
}
