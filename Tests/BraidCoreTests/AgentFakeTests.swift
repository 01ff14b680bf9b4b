import Foundation
import Testing
@testable import BraidCore

/// The fake CLIs run with the invocations Braid's profiles build: they must accept those, edit the
/// worktree as the prompt asks, report usage the reader understands, and refuse anything else.
@Suite struct AgentFakeTests {
    static let agents = ["claude", "codex", "aider", "opencode", "gemini"]

    /// What each fake reports for a successful session (see `Tests/Fixtures/agents/README.md`).
    static let expectedUsage: [String: AgentUsage] = [
        "claude": AgentUsage(costUSD: 0.0421, inputTokens: 1523, outputTokens: 412),
        "codex": AgentUsage(inputTokens: 2400, outputTokens: 320),
        "aider": AgentUsage(costUSD: 0.05, inputTokens: 1200, outputTokens: 310),
        "opencode": AgentUsage(costUSD: 0.03),
        "gemini": AgentUsage(costUSD: 0.04),
    ]

    /// A task whose description carries the fakes' instructions, through the real prompt composer.
    private func session(_ agent: String, instructions: [String], config: BraidConfig = BraidConfig(),
                         in sandbox: AgentSandbox) throws -> AgentInvocation {
        let task = try AgentTestSupport.task(body: instructions + ["- [ ] notes.txt says hello"])
        let prompt = PromptComposer.compose(task: task, conventions: ConventionsFile.read(in: sandbox.worktree))
        return try AgentProfile.named(agent, config: config).invocation(for: sandbox.request(task, prompt: prompt))
    }

    @Test(arguments: agents)
    func fakeAcceptsItsProfilesInvocationEditsTheWorktreeAndReportsUsage(agent: String) throws {
        let sandbox = try AgentSandbox()
        try sandbox.write("first line\n", to: "notes.txt")
        let run = try session(agent, instructions: ["WRITE notes.txt hello from \(agent)", "WRITE docs/new.md # New"],
                              in: sandbox)
        let result = try AgentTestSupport.run(run)
        #expect(result.succeeded, "\(agent): \(result.errorOutput)")
        #expect(sandbox.file("notes.txt") == "first line\nhello from \(agent)\n")
        #expect(sandbox.file("docs/new.md") == "# New\n")

        let output = AgentOutputReader.read(AgentTestSupport.log(of: result), exitStatus: result.status, format: run.outputFormat)
        #expect(output.usage == Self.expectedUsage[agent])
        #expect(!output.quotaExhausted)
    }

    @Test(arguments: agents)
    func fakeChangesNothingWhenTheTaskSaysDoNothing(agent: String) throws {
        let sandbox = try AgentSandbox()
        let run = try session(agent, instructions: ["DO-NOTHING", "WRITE notes.txt ignored"], in: sandbox)
        let result = try AgentTestSupport.run(run)
        #expect(result.succeeded, "\(agent): \(result.errorOutput)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: sandbox.worktree.path).isEmpty)
    }

    @Test(arguments: agents)
    func fakesQuotaFailureIsClassifiedAsQuotaExhausted(agent: String) throws {
        let sandbox = try AgentSandbox()
        let run = try session(agent, instructions: ["FAIL-QUOTA", "WRITE notes.txt never"], in: sandbox)
        let result = try AgentTestSupport.run(run)
        #expect(result.status == 1)
        #expect(sandbox.file("notes.txt") == nil)
        let output = AgentOutputReader.read(AgentTestSupport.log(of: result), exitStatus: result.status, format: run.outputFormat)
        #expect(output.quotaExhausted, "\(agent) printed: \(AgentTestSupport.log(of: result))")
    }

    /// An invocation missing what the headless mode needs.
    struct WrongInvocation: Sendable, CustomTestStringConvertible {
        let agent: String
        let argv: [String]
        var stdin: String? = nil
        let missing: String
        var testDescription: String { "\(agent) without \(missing)" }
    }

    /// Each fake must refuse these, proving that it really checks the flags the profiles pass.
    static let wrongInvocations = [
        WrongInvocation(agent: "claude", argv: ["WRITE notes.txt x", "--output-format", "json", "--permission-mode", "acceptEdits"],
                        missing: "-p"),
        WrongInvocation(agent: "claude", argv: ["-p", "WRITE notes.txt x", "--permission-mode", "acceptEdits"],
                        missing: "--output-format json"),
        WrongInvocation(agent: "claude", argv: ["-p", "WRITE notes.txt x", "--output-format", "json"],
                        missing: "a permission mode"),
        WrongInvocation(agent: "claude", argv: ["-p", "WRITE notes.txt x", "--output-format", "json", "--permission-mode",
                                                "acceptEdits", "--frobnicate"],
                        missing: "unknown options"),
        WrongInvocation(agent: "codex", argv: ["--json", "-"], stdin: "WRITE notes.txt x", missing: "exec"),
        WrongInvocation(agent: "codex", argv: ["exec", "--full-auto", "-"], stdin: "WRITE notes.txt x", missing: "--json"),
        WrongInvocation(agent: "codex", argv: ["exec", "--json", "--full-auto", "-"], missing: "a prompt on stdin"),
        WrongInvocation(agent: "aider", argv: ["--no-stream", "--message", "WRITE notes.txt x"], missing: "--yes-always"),
        WrongInvocation(agent: "aider", argv: ["--yes-always", "--no-stream", "WRITE notes.txt x"], missing: "--message"),
        WrongInvocation(agent: "opencode", argv: ["WRITE notes.txt x"], missing: "run"),
        WrongInvocation(agent: "opencode", argv: ["run"], missing: "a message"),
        WrongInvocation(agent: "gemini", argv: ["WRITE notes.txt x", "--yolo"], missing: "-p"),
        WrongInvocation(agent: "gemini", argv: ["--yolo"], missing: "a prompt"),
    ]

    @Test(arguments: wrongInvocations)
    func fakeRefusesAnInvocationWithoutItsHeadlessFlags(_ wrong: WrongInvocation) throws {
        let sandbox = try AgentSandbox()
        let command = Command(wrong.agent, wrong.argv, workingDirectory: sandbox.worktree,
                              environment: ["PATH": AgentTestSupport.fakePATH],
                              standardInput: wrong.stdin.map { Data($0.utf8) }, timeLimit: .seconds(60))
        let result = try CommandRunner.run(command)
        #expect(!result.succeeded, "\(wrong.agent) \(wrong.argv) was accepted")
        #expect(result.errorOutput.hasPrefix("\(wrong.agent): "), "\(wrong.agent) \(wrong.argv): \(result.errorOutput)")
        #expect(sandbox.file("notes.txt") == nil)
    }

    @Test func fakeAiderReadsAPromptFileWhenTheConfigAsksForOne() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["aider": AgentProfileConfig(
            command: ["aider", "--yes-always", "--no-stream", "--message-file", "{prompt_file}"])])
        let run = try session("aider", instructions: ["WRITE notes.txt from a file"], config: config, in: sandbox)
        #expect(run.promptFile != nil)
        let result = try AgentTestSupport.run(run)
        #expect(result.succeeded, "\(result.errorOutput)")
        #expect(sandbox.file("notes.txt") == "from a file\n")
    }

    @Test func fakesTakeTheConfigsExtraArguments() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config([
            "claude": AgentProfileConfig(extraArguments: ["--model", "opus", "--max-turns", "30"]),
            "gemini": AgentProfileConfig(extraArguments: ["--model", "gemini-2.5-pro"]),
        ])
        for agent in ["claude", "gemini"] {
            let result = try AgentTestSupport.run(try session(agent, instructions: ["WRITE notes.txt \(agent)"],
                                                              config: config, in: sandbox))
            #expect(result.succeeded, "\(agent): \(result.errorOutput)")
        }
        #expect(sandbox.file("notes.txt") == "claude\ngemini\n")
    }

    @Test func fakesRefuseToWriteOutsideTheirFolder() throws {
        let sandbox = try AgentSandbox()
        let result = try AgentTestSupport.run(try session("claude", instructions: ["WRITE ../escaped.txt x"], in: sandbox))
        #expect(!result.succeeded)
        #expect(!FileManager.default.fileExists(atPath: sandbox.folder.appendingPathComponent("escaped.txt").path))
    }
}
