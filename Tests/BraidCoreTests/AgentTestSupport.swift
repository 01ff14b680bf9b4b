import Foundation
import Testing
@testable import BraidCore

/// Tasks, folders and the fake agent CLIs (`Tests/Fixtures/agents`) for the agent tests.
enum AgentTestSupport {
    /// The fakes, read through `#filePath` like the board fixtures.
    static let fakes = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/agents")

    /// The fakes first, then the system's own programs: no real agent can be found by mistake.
    static let fakePATH = "\(fakes.path):/usr/bin:/bin"

    /// The one task of a board whose Todo section holds `lines` (the task line, then its body).
    static func task(_ lines: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> BoardTask {
        let board = Board.parse("## Todo\n" + lines.map { $0 + "\n" }.joined())
        return try #require(board.tasks.first, "no task in \(lines)", sourceLocation: sourceLocation)
    }

    /// Task #12 with `body` lines indented under it.
    static func task(title: String = "Add a greeting", id: Int = 12, body: [String] = []) throws -> BoardTask {
        try task(["- [ ] \(title) (#\(id))"] + body.map { "  " + $0 })
    }

    static func config(_ agents: [String: AgentProfileConfig] = [:]) -> BraidConfig {
        var config = BraidConfig()
        config.agents = agents
        return config
    }

    /// Runs an invocation as the process layer would (files first), with the fakes on `PATH`.
    static func run(_ invocation: AgentInvocation) throws -> CommandResult {
        try invocation.writeFiles()
        var command = invocation.command(timeLimit: .seconds(60))
        command.environment["PATH"] = fakePATH
        return try CommandRunner.run(command)
    }

    /// The session's log as the process layer keeps it: everything the agent wrote.
    static func log(of result: CommandResult) -> String {
        result.output + result.errorOutput
    }
}

/// A temporary folder with a worktree and a session folder in it; deleted when dropped.
final class AgentSandbox {
    let folder: URL
    let worktree: URL
    let session: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("braid-agent-tests-\(UUID().uuidString)")
            .resolvingSymlinksInPath()
        worktree = folder.appendingPathComponent("worktree")
        session = folder.appendingPathComponent("session")
        try FileManager.default.createDirectory(at: worktree, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    func request(_ task: BoardTask, prompt: String) -> AgentRequest {
        AgentRequest(task: task, prompt: prompt, worktree: worktree, sessionDirectory: session)
    }

    /// A worktree file's text, nil when it does not exist.
    func file(_ path: String) -> String? {
        try? String(contentsOf: worktree.appendingPathComponent(path), encoding: .utf8)
    }

    func write(_ text: String, to path: String) throws {
        try Data(text.utf8).write(to: worktree.appendingPathComponent(path))
    }
}
