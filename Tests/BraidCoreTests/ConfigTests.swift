import BraidCore
import Testing

@Suite struct ConfigTests {
    @Test func anEmptyObjectGivesTheDocumentedDefaults() throws {
        let config = try ConfigFile.parse("{}")
        #expect(config == BraidConfig())
        #expect(config.maxSessions == 3)
        #expect(config.maxRetries == 2)
        #expect(config.board == "BOARD.md")
        #expect(config.worktreeRoot == ".braid/worktrees")
    }

    @Test func everyFieldRoundTripsThroughTheFile() throws {
        var config = BraidConfig()
        config.board = "docs/BOARD.md"
        config.baseBranch = "trunk"
        config.maxSessions = 5
        config.maxRetries = 1
        config.defaultAgent = "claude"
        config.fallback = ["codex", "gemini"]
        config.agents = ["claude": AgentProfileConfig(command: ["claude", "-p", "{prompt}"], extraArguments: ["--verbose"], environment: ["X": "1"])]
        config.gate = [GateStepConfig(name: "test", command: .argv(["swift", "test"]), timeoutSeconds: 600),
                       GateStepConfig(name: "lint", command: .shell("swiftlint | tee lint.txt"))]
        config.stepTimeoutSeconds = 100
        config.sessionTimeoutSeconds = 200
        config.worktreeRoot = "../not-allowed".isEmpty ? "" : "wt"
        config.symlink = ["node_modules"]
        config.copy = [".env"]
        #expect(try ConfigFile.parse(ConfigFile.render(config)) == config)
    }

    func error(_ text: String) -> ConfigError? {
        do {
            _ = try ConfigFile.parse(text)
            return nil
        } catch {
            return error
        }
    }

    @Test func aSyntaxErrorNamesTheFileAndLine() {
        #expect(error("{\n  \"board\": \"B.md\",\n  \"maxSessions\": 3\n  \"maxRetries\": 1\n}")?.description
            == ".braid/config.json:4: invalid JSON: expected ',' or '}' in object")
    }

    @Test func anUnknownFieldIsAnErrorWithASuggestion() {
        #expect(error("{\n  \"board\": \"B.md\",\n  \"maxSesions\": 3\n}")?.description
            == ".braid/config.json:3: maxSesions: unknown field (did you mean 'maxSessions'?)")
    }

    @Test func aWrongValueNamesTheFieldAndItsLine() {
        #expect(error("{\n\n  \"maxSessions\": true\n}")?.description
            == ".braid/config.json:3: maxSessions: must be a whole number from 1 to 64")
        #expect(error("{\"maxRetries\": 1.5}")?.description == ".braid/config.json:1: maxRetries: must be a whole number from 0 to 20")
        #expect(error("{\n \"gate\": [\n  {\"name\": \"t\",\n   \"timeoutSeconds\": \"x\", \"run\": [\"a\"]}]}")?.description
            == ".braid/config.json:4: gate[0].timeoutSeconds: must be a whole number from 1 to 604800")
    }

    @Test func aShellCommandMustBeAskedFor() {
        #expect(error(#"{"gate": [{"name": "t", "run": "make test && echo ok"}]}"#)?.field == "gate[0].run")
        let shell = try? ConfigFile.parse(#"{"gate": [{"name": "t", "run": "make test && echo ok", "shell": true}]}"#)
        #expect(shell?.gate.first?.command == .shell("make test && echo ok"))
    }

    @Test func pathsMustStayInsideTheRepository() {
        #expect(error(#"{"worktreeRoot": "../elsewhere"}"#)?.field == "worktreeRoot")
        #expect(error(#"{"symlink": ["/etc"]}"#)?.field == "symlink[0]")
        #expect(error(#"{"board": "a/../../b.md"}"#)?.field == "board")
        #expect(error(#"{"baseBranch": "--upload-pack=x"}"#)?.field == "baseBranch")
    }

    @Test func plainTestCommandsBecomeArgvAndShellSyntaxAShellStep() {
        #expect(ProjectDetector.gateStep(forCommandLine: "go test ./...").command == .argv(["go", "test", "./..."]))
        #expect(ProjectDetector.gateStep(forCommandLine: "npm test && npm run lint").command == .shell("npm test && npm run lint"))
        #expect(ProjectDetector.gateStep(forCommandLine: "pytest -k 'not slow'").command == .shell("pytest -k 'not slow'"))
    }
}
