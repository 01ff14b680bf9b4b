import Foundation
import Testing
@testable import BraidCore

@Suite struct AgentProfileTests {
    let prompt = "# Task #12: Add a greeting\n\nSay hello.\n"

    private func invocation(_ agent: String, config: BraidConfig = BraidConfig(), task: BoardTask? = nil,
                            prompt: String? = nil, in sandbox: AgentSandbox) throws -> AgentInvocation {
        let task = try task ?? AgentTestSupport.task()
        return try AgentProfile.named(agent, config: config).invocation(for: sandbox.request(task, prompt: prompt ?? self.prompt))
    }

    // MARK: Built-in profiles

    @Test func claudeRunsHeadlessWithJSONOutputAcceptEditsAndBraidsSystemPrompt() throws {
        let sandbox = try AgentSandbox()
        let run = try invocation("claude", in: sandbox)
        #expect(run.argv == ["claude", "-p", prompt, "--output-format", "json", "--permission-mode", "acceptEdits",
                             "--append-system-prompt", AgentProfile.systemPrompt])
        #expect(AgentProfile.systemPrompt.contains("Work only inside this folder"))
        #expect(AgentProfile.systemPrompt.contains("Run the project's tests"))
        #expect(AgentProfile.systemPrompt.contains("Commit nothing you are unsure of"))
        #expect(run.standardInput == nil)
        #expect(run.files.isEmpty)
        #expect(run.workingDirectory == sandbox.worktree)
        #expect(run.outputFormat == .claudeJSON)
    }

    @Test func codexExecReadsThePromptFromStandardInput() throws {
        let sandbox = try AgentSandbox()
        let run = try invocation("codex", in: sandbox)
        #expect(run.argv == ["codex", "exec", "--json", "--full-auto", "-"])
        #expect(run.standardInput == Data(prompt.utf8))
        #expect(run.outputFormat == .codexJSONLines)
    }

    @Test func aiderGetsThePromptAsItsMessageWithoutConfirmationsOrStreaming() throws {
        let sandbox = try AgentSandbox()
        let run = try invocation("aider", in: sandbox)
        #expect(run.argv == ["aider", "--yes-always", "--no-stream", "--message", prompt])
        #expect(run.standardInput == nil)
        #expect(run.outputFormat == .aider)
    }

    @Test func opencodeRunsThePromptAsOneMessage() throws {
        let sandbox = try AgentSandbox()
        let run = try invocation("opencode", in: sandbox)
        #expect(run.argv == ["opencode", "run", prompt])
        #expect(run.standardInput == nil)
        #expect(run.outputFormat == .generic)
    }

    @Test func geminiGetsThePromptWithDashPAndYolo() throws {
        let sandbox = try AgentSandbox()
        let run = try invocation("gemini", in: sandbox)
        #expect(run.argv == ["gemini", "-p", prompt, "--yolo"])
        #expect(run.standardInput == nil)
        #expect(run.outputFormat == .generic)
    }

    @Test(arguments: ["claude", "codex", "aider", "opencode", "gemini"])
    func everyAgentLearnsItsTaskAndWorktreeFromTheEnvironment(agent: String) throws {
        let sandbox = try AgentSandbox()
        let run = try invocation(agent, in: sandbox)
        #expect(run.environment == ["BRAID_TASK_ID": "12", "BRAID_WORKTREE": sandbox.worktree.path])
    }

    // MARK: Config overrides

    @Test func configCommandReplacesTheBuiltInArgvAndKeepsItsOutputFormat() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["claude": AgentProfileConfig(
            command: ["/opt/claude/bin/claude", "--print", "--output-format=json", "--model", "opus", "{prompt}"])])
        let run = try invocation("claude", config: config, in: sandbox)
        #expect(run.argv == ["/opt/claude/bin/claude", "--print", "--output-format=json", "--model", "opus", prompt])
        #expect(run.outputFormat == .claudeJSON)
    }

    @Test func extraArgumentsAreAppendedAndEnvironmentAdded() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config([
            "codex": AgentProfileConfig(extraArguments: ["--model", "gpt-5-codex", "-C", "{worktree}"],
                                        environment: ["CODEX_HOME": "/tmp/codex-home", "BRAID_TASK_ID": "override"]),
        ])
        let run = try invocation("codex", config: config, in: sandbox)
        #expect(run.argv == ["codex", "exec", "--json", "--full-auto", "-", "--model", "gpt-5-codex", "-C", sandbox.worktree.path])
        #expect(run.environment == ["CODEX_HOME": "/tmp/codex-home", "BRAID_TASK_ID": "override",
                                    "BRAID_WORKTREE": sandbox.worktree.path])
        #expect(run.standardInput == Data(prompt.utf8))
    }

    @Test func overridingOneAgentLeavesTheOthersAsBuilt() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["aider": AgentProfileConfig(extraArguments: ["--model", "sonnet"])])
        #expect(try invocation("gemini", config: config, in: sandbox).argv == ["gemini", "-p", prompt, "--yolo"])
        #expect(try invocation("aider", config: config, in: sandbox).argv
            == ["aider", "--yes-always", "--no-stream", "--message", prompt, "--model", "sonnet"])
    }

    // MARK: Command profiles and placeholders

    @Test func commandPlaceholdersAreFilledWithinEachArgumentAndAHostilePromptStaysOneArgument() throws {
        let sandbox = try AgentSandbox()
        let canary = sandbox.folder.appendingPathComponent("canary")
        let hostile = "\"; rm -rf ~; touch \(canary.path)\n$(touch \(canary.path))\n`touch \(canary.path)`\nsecond line"
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(
            command: ["printf", "%s\\0", "{prompt}", "--message={prompt}", "--dir={worktree}", "task-{task_id}.log", "{task_id}"])])
        let run = try invocation("mybot", config: config, prompt: hostile, in: sandbox)
        let expected = [hostile, "--message=" + hostile, "--dir=" + sandbox.worktree.path, "task-12.log", "12"]
        #expect(run.executable == "printf")
        #expect(run.arguments == ["%s\\0"] + expected)
        #expect(run.standardInput == nil)

        // Run it: each value arrives as one argument, and nothing is read by a shell.
        let result = try AgentTestSupport.run(run)
        #expect(result.succeeded)
        #expect(result.output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == expected)
        #expect(!FileManager.default.fileExists(atPath: canary.path))
    }

    @Test func aValueIsNeverSearchedForPlaceholdersAndUnknownBracesStay() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(
            command: ["bot", "{prompt}", "{\"json\":{task_id}}", "{unknown}", "{{worktree}}"])])
        let run = try invocation("mybot", config: config, prompt: "use {worktree} and {task_id}", in: sandbox)
        #expect(run.arguments == ["use {worktree} and {task_id}", "{\"json\":12}", "{unknown}", "{\(sandbox.worktree.path)}"])
    }

    @Test func promptFilePlaceholderAsksForThePromptInTheSessionFolder() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(
            command: ["cat", "{prompt_file}"], environment: ["BOT_PROMPT": "{prompt_file}"])])
        let run = try invocation("mybot", config: config, in: sandbox)
        let promptFile = sandbox.session.appendingPathComponent("prompt.md")
        #expect(run.promptFile == promptFile)
        #expect(run.arguments == [promptFile.path])
        #expect(run.environment["BOT_PROMPT"] == promptFile.path)
        #expect(run.standardInput == nil)
        #expect(!promptFile.path.hasPrefix(sandbox.worktree.path))

        let result = try AgentTestSupport.run(run)
        #expect(result.succeeded)
        #expect(result.output == prompt)
    }

    @Test func commandWithoutAPromptArgumentGetsThePromptOnStandardInput() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(command: ["cat"])])
        let run = try invocation("mybot", config: config, in: sandbox)
        #expect(run.standardInput == Data(prompt.utf8))
        let result = try AgentTestSupport.run(run)
        #expect(result.output == prompt)
    }

    @Test func emptyProgramNameAfterFillingInIsAnError() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(command: ["{task_id}", "x"])])
        let task = try AgentTestSupport.task(["- [ ] No id yet"])
        #expect(throws: AgentError.emptyExecutable(context: "starting 'No id yet' with agent 'mybot'", name: "mybot")) {
            try invocation("mybot", config: config, task: task, in: sandbox)
        }
    }

    // MARK: The script agent

    @Test func scriptAgentRunsTheFirstShellBlockWithShDashEInTheWorktree() throws {
        let sandbox = try AgentSandbox()
        let task = try AgentTestSupport.task(body: [
            "```python", "print('not this one')", "```",
            "```sh", "echo first > out.txt", "false", "echo never >> out.txt", "```",
            "```sh", "echo second > out.txt", "```",
        ])
        let run = try invocation("script", task: task, in: sandbox)
        let script = sandbox.session.appendingPathComponent("script.sh")
        #expect(run.argv == ["/bin/sh", "-e", script.path])
        #expect(run.files == [AgentInvocation.File(url: script, contents: Data("echo first > out.txt\nfalse\necho never >> out.txt\n".utf8),
                                                    role: .script)])
        #expect(run.standardInput == nil)
        #expect(run.workingDirectory == sandbox.worktree)

        // `-e`: the script stops at `false`, with the failure as its exit status.
        let result = try AgentTestSupport.run(run)
        #expect(!result.succeeded)
        #expect(sandbox.file("out.txt") == "first\n")
    }

    @Test(arguments: ["sh", "shell", "bash", "SH", "sh title=setup"])
    func scriptAgentAcceptsShShellAndBashBlocks(info: String) throws {
        let sandbox = try AgentSandbox()
        let task = try AgentTestSupport.task(body: ["```\(info)", "echo ran > ran.txt", "```"])
        let result = try AgentTestSupport.run(try invocation("script", task: task, in: sandbox))
        #expect(result.succeeded)
        #expect(sandbox.file("ran.txt") == "ran\n")
    }

    @Test func scriptAgentRunsABashBlockWithBashUnlessTheConfigSaysOtherwise() throws {
        let sandbox = try AgentSandbox()
        let task = try AgentTestSupport.task(body: ["```bash", "[[ 1 == 1 ]] && echo yes", "```"])
        let script = sandbox.session.appendingPathComponent("script.sh").path
        #expect(try invocation("script", task: task, in: sandbox).argv == ["bash", "-e", script])

        let config = AgentTestSupport.config(["script": AgentProfileConfig(command: ["/bin/sh", "-eu", "{script_file}"],
                                                                           extraArguments: ["first-arg"])])
        #expect(try invocation("script", config: config, task: task, in: sandbox).argv == ["/bin/sh", "-eu", script, "first-arg"])
    }

    @Test func scriptAgentWithoutAShellBlockIsAnErrorNamingTheTask() throws {
        let sandbox = try AgentSandbox()
        let task = try AgentTestSupport.task(title: "Rename the flag", id: 7, body: ["```python", "print(1)", "```"])
        let error = #expect(throws: AgentError.self) { try invocation("script", task: task, in: sandbox) }
        #expect(error == .noScript(context: "starting #7 'Rename the flag' with the script agent"))
        #expect(error?.description.contains("#7 'Rename the flag'") == true)
        #expect(error?.description.contains("```sh") == true)
    }

    // MARK: Names

    @Test func unknownAgentIsATypedErrorListingTheKnownOnesWithADidYouMeanHint() throws {
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(command: ["mybot"])])
        let error = #expect(throws: AgentError.self) { try AgentProfile.named("claud", config: config, context: "starting #3") }
        #expect(error == .unknownAgent(context: "starting #3", name: "claud",
                                       known: ["aider", "claude", "codex", "command", "gemini", "mybot", "opencode", "script"],
                                       suggestion: "claude"))
        #expect(error?.description
            == "starting #3: unknown agent 'claud' (did you mean 'claude'?); known agents: aider, claude, codex, command, "
            + "gemini, mybot, opencode, script; or define it with agents.claud.command in .braid/config.json")
    }

    @Test(arguments: [("codx", "codex"), ("claude-code", "claude"), ("gemini-cli", "gemini"), ("open-code", "opencode"),
                      ("scripts", "script"), ("mybt", "mybot")])
    func didYouMeanSuggestsTheClosestKnownName(typed: String, suggested: String) throws {
        let config = AgentTestSupport.config(["mybot": AgentProfileConfig(command: ["mybot"])])
        let error = #expect(throws: AgentError.self) { try AgentProfile.named(typed, config: config) }
        guard case .unknownAgent(_, _, _, let suggestion) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(suggestion == suggested)
    }

    @Test func aNameLikeNoKnownOneGetsNoSuggestion() throws {
        let error = #expect(throws: AgentError.self) { try AgentProfile.named("quux-gpt", config: BraidConfig()) }
        guard case .unknownAgent(_, _, _, let suggestion) = error else { Issue.record("\(String(describing: error))"); return }
        #expect(suggestion == nil)
        #expect(error?.description.contains("did you mean") == false)
    }

    @Test func commandAgentAndConfiguredNamesWithoutACommandAreErrors() throws {
        #expect(throws: AgentError.missingCommand(context: "choosing an agent", name: "command")) {
            try AgentProfile.named("command", config: BraidConfig())
        }
        let config = AgentTestSupport.config(["helper": AgentProfileConfig(extraArguments: ["--fast"])])
        let error = #expect(throws: AgentError.self) { try AgentProfile.named("helper", config: config) }
        #expect(error == .missingCommand(context: "choosing an agent", name: "helper"))
        #expect(error?.description.contains("agents.helper.command") == true)
        // Not offered as a known agent either.
        #expect(!AgentProfile.knownNames(config: config).contains("helper"))
    }

    @Test func commandAgentTakesItsArgvFromTheConfig() throws {
        let sandbox = try AgentSandbox()
        let config = AgentTestSupport.config(["command": AgentProfileConfig(command: ["./agent.sh", "{task_id}"])])
        let run = try invocation("command", config: config, in: sandbox)
        #expect(run.argv == ["./agent.sh", "12"])
        #expect(run.standardInput == Data(prompt.utf8))
    }

    @Test func agentNamesMatchRegardlessOfCaseWhenOnlyOneFits() throws {
        #expect(try AgentProfile.named("Claude", config: BraidConfig()).name == "claude")
        #expect(try AgentProfile.named("GEMINI", config: BraidConfig()).kind == .gemini)
    }
}
