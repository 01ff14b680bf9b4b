import Foundation
import Testing
@testable import BraidCore

/// The built-in gate steps, each passing and failing on a crafted change in a real repository.
@Suite struct DefinitionOfDoneTests {
    /// A repository with a changelog, conventions, code and its doc committed as the task's base.
    final class Change {
        let fixture: GitFixture
        let repo: URL
        let base: String

        init() throws {
            fixture = try GitFixture()
            repo = try fixture.repository(files: [
                "README.md": "# App\n",
                "CHANGELOG.md": "# Changelog\n\n## Unreleased\n\n## 1.0.0\n- First release.\n",
                "AGENTS.md": "Run the tests before you commit.\n",
                "Sources/api/Routes.swift": "let routes = [\"/health\"]\n",
                "docs/api.md": "# API\n- GET /health\n",
            ])
            base = try fixture.git(["rev-parse", "HEAD"], in: repo)
        }

        @discardableResult
        func commit(_ files: [String: String], message: String = "Change things") throws -> String {
            for (path, text) in files { try fixture.write(text, to: path, in: repo) }
            try fixture.git(["add", "--all"], in: repo)
            try fixture.git(["commit", "--quiet", "-m", message], in: repo)
            return try fixture.git(["rev-parse", "HEAD"], in: repo)
        }

        func gate(_ step: BuiltinGateStep, title: String = "Add a route", text: String? = nil,
                  criteria: [BoardTask.Criterion] = [], report: String = "") async -> GateStepResult {
            let context = GateContext(base: base, taskTitle: title, taskText: text ?? title, criteria: criteria, agentReport: report)
            let result = await GateRunner(steps: [GateStepConfig(name: step.name, command: .builtin(step))]).run(in: repo, context: context)
            #expect(result.steps.count == 1)
            #expect(result.steps.first?.command == [step.name])
            return result.steps[0]
        }
    }

    static let changelog = BuiltinGateStep.changelog(file: "CHANGELOG.md", conventionalCommits: true)

    // MARK: braid:changelog

    @Test func changelogPassesWhenTheChangeAddsAnEntry() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\n",
                           "CHANGELOG.md": "# Changelog\n\n## Unreleased\n- A /ready route.\n\n## 1.0.0\n- First release.\n"])
        let step = await change.gate(Self.changelog)
        #expect(step.passed, "\(step.output.text)")
        #expect(step.output.text.contains("CHANGELOG.md gains 1 line"))
    }

    @Test func changelogFailsWithoutAnEntryOrAConventionalSubject() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\n"], message: "Add the ready route")
        let step = await change.gate(Self.changelog)
        #expect(step.outcome == .exited(1))
        #expect(step.output.text.contains("The change adds no entry to CHANGELOG.md."))
        #expect(step.output.text.contains("\"Add the ready route\""))
        // A blank line is no entry either.
        try change.commit(["CHANGELOG.md": "# Changelog\n\n\n## Unreleased\n\n## 1.0.0\n- First release.\n"], message: "Spacing")
        #expect(!(await change.gate(Self.changelog)).passed)
    }

    @Test func changelogPassesWhenEveryOwnSubjectIsAConventionalCommit() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\n"], message: "feat(api): add the ready route")
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/ready\", \"/health\"]\n"], message: "Braid: #4 Add a route")
        #expect(await change.gate(Self.changelog).passed)
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\"]\n"], message: "oops, revert")
        #expect(!(await change.gate(Self.changelog)).passed)
        // Without conventional subjects allowed, only the changelog counts.
        let change2 = try Change()
        try change2.commit(["Sources/api/Routes.swift": "let routes = [\"/live\"]\n"], message: "fix!: drop the health route")
        #expect(!(await change2.gate(.changelog(file: "CHANGELOG.md", conventionalCommits: false))).passed)
    }

    @Test func changelogPassesWhenTheTasksTitleIsTheConventionalSubject() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/live\"]\n"], message: "Braid: #3 work left uncommitted")
        #expect(await change.gate(Self.changelog, title: "fix(api): rename the health route").passed)
        #expect(!(await change.gate(Self.changelog, title: "Rename the health route")).passed)
    }

    @Test func conventionalCommitSubjects() {
        for subject in ["feat: add x", "fix(parser): y", "feat!: z", "refactor(core)!: w", "Docs: readme", "chore(deps): bump"] {
            #expect(ConventionalCommit.isConventional(subject), "\(subject)")
        }
        for subject in ["Add x", "feat:add x", "feat: ", "feature: x", "fix(): x", "fix(a: x", "Braid: #3 x", "update: things"] {
            #expect(!ConventionalCommit.isConventional(subject), "\(subject)")
        }
    }

    // MARK: braid:docs

    static let docs = BuiltinGateStep.docs([.init(paths: "Sources/api/", doc: "docs/api.md")])

    @Test func docsFailsWhenCodeUnderAPathChangesWithoutItsDoc() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\n", "Sources/api/Ready.swift": "// ready\n"])
        let step = await change.gate(Self.docs)
        #expect(!step.passed)
        #expect(step.output.text.contains("Sources/api/Ready.swift and 1 more changed (under Sources/api/), but docs/api.md did not"))
    }

    @Test func docsPassesWhenTheDocChangesTooOrNothingDocumentedChanges() async throws {
        let change = try Change()
        try change.commit(["README.md": "# App, now with more\n"])
        let untouched = await change.gate(Self.docs)
        #expect(untouched.passed)
        #expect(untouched.output.text.contains("touches no documented path"))
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\n", "docs/api.md": "# API\n- GET /health\n- GET /ready\n"])
        #expect(await change.gate(Self.docs).passed)
        #expect(await change.gate(.docs([.init(paths: "Sources/**/*.swift", doc: "docs/api.md")])).passed)
    }

    // MARK: braid:conventions

    static let conventions = BuiltinGateStep.conventions(files: BuiltinGateStep.defaultConventionsFiles)

    @Test func conventionsFailsWhenTheChangeTouchesAGENTSmdUnasked() async throws {
        let change = try Change()
        try change.commit(["AGENTS.md": "Tests are optional.\n", "lib/CLAUDE.md": "Anything goes.\n"])
        let step = await change.gate(Self.conventions, text: "Add a route\nMake /ready answer 200.")
        #expect(!step.passed)
        #expect(step.output.text.contains("The change touches AGENTS.md, lib/CLAUDE.md, which the task does not mention."))
    }

    @Test func conventionsPassesWhenTheTaskMentionsTheFileOrItIsUntouched() async throws {
        let change = try Change()
        try change.commit(["README.md": "# App!\n"])
        #expect(await change.gate(Self.conventions).passed)
        try change.commit(["AGENTS.md": "Run `swift test` before you commit.\n"])
        #expect(await change.gate(Self.conventions, text: "Document the test command in agents.md").passed)
        #expect(!(await change.gate(.conventions(files: ["AGENTS.md"]), text: "Document the test command")).passed)
        #expect(await change.gate(.conventions(files: ["docs/RULES.md"]), text: "Document the test command").passed)
    }

    // MARK: braid:acceptance

    static let criteria = [BoardTask.Criterion(isChecked: false, text: "GET /ready answers 200"),
                           BoardTask.Criterion(isChecked: false, text: "The route is documented in `docs/api.md`"),
                           BoardTask.Criterion(isChecked: true, text: "Agreed on the route's name")]

    @Test func acceptancePassesWhenTheAgentTicksEveryOpenCriterion() async throws {
        let change = try Change()
        let report = """
            Done. Summary:
            - [x] GET /ready answers 200
            * [X] the route is documented in docs/api.md.
            """
        let step = await change.gate(.acceptance, criteria: Self.criteria, report: report)
        #expect(step.passed, "\(step.output.text)")
        #expect(step.output.text.contains("all 2 acceptance criteria done"))
    }

    @Test func acceptanceFailsNamingTheCriteriaNotReportedDone() async throws {
        let change = try Change()
        let report = "- [x] GET /ready answers 200\n- [ ] The route is documented in `docs/api.md`\n"
        let step = await change.gate(.acceptance, criteria: Self.criteria, report: report)
        #expect(!step.passed)
        #expect(step.output.text.contains("Not reported done (1 of 2):\n- [ ] The route is documented in `docs/api.md`"))
        #expect(!step.output.text.contains("answers 200\n- [ ]"))
        #expect(!(await change.gate(.acceptance, criteria: Self.criteria, report: "")).passed)
    }

    @Test func acceptanceReadsTheFinalMessageInsideJSONOutput() async throws {
        let change = try Change()
        let report = """
            {"type":"system","subtype":"init"}
            {"type":"result","result":"All done.\\n\\n- [x] GET /ready answers 200\\n- [x] The route is documented in `docs/api.md`\\n","total_cost_usd":0.1}
            """
        #expect(await change.gate(.acceptance, criteria: Self.criteria, report: report).passed)
        let none = await change.gate(.acceptance, criteria: [], report: "")
        #expect(none.passed && none.output.text.contains("no acceptance criteria"))
    }

    // MARK: braid:secrets

    static func token() -> String {
        var random = FakeRandom(seed: 42)
        return "gh" + "p_" + random.string(36)
    }

    @Test func secretsFailsOnASecretInTheAddedLinesWithoutPrintingIt() async throws {
        let change = try Change()
        let token = Self.token()
        try change.commit(["Sources/api/Client.swift": "import Foundation\n\nlet fallbackToken = \"\(token)\"\n"])
        let step = await change.gate(.secrets)
        #expect(!step.passed)
        #expect(step.output.text.contains("Sources/api/Client.swift:3: github-token: ghp_…[40 chars] (sha256:"), "\(step.output.text)")
        #expect(!step.output.text.contains(token))
        #expect(!step.output.text.contains(String(token.dropFirst(4))))
    }

    @Test func secretsPassesOnACleanChangeAndOnRemovedSecrets() async throws {
        let change = try Change()
        try change.commit(["Sources/api/Routes.swift": "let routes = [\"/health\", \"/ready\"]\nlet sha = \"\(String(repeating: "ab12", count: 10))\"\n"])
        let clean = await change.gate(.secrets)
        #expect(clean.passed && clean.output.text.contains("No secret in the added lines."))
        // A secret already in the base and now removed is not the change's.
        let withSecret = try Change()
        try withSecret.fixture.write("token: \(Self.token())\n", to: "old.yml", in: withSecret.repo)
        try withSecret.fixture.git(["add", "--all"], in: withSecret.repo)
        try withSecret.fixture.git(["commit", "--quiet", "--amend", "-m", "initial"], in: withSecret.repo)
        let base = try withSecret.fixture.git(["rev-parse", "HEAD"], in: withSecret.repo)
        try withSecret.fixture.git(["rm", "--quiet", "old.yml"], in: withSecret.repo)
        try withSecret.fixture.git(["commit", "--quiet", "-m", "remove"], in: withSecret.repo)
        let context = GateContext(base: base, taskTitle: "x")
        let result = await GateRunner(steps: [GateStepConfig(name: "secrets", command: .builtin(.secrets))]).run(in: withSecret.repo, context: context)
        #expect(result.passed)
    }

    @Test func secretsHonoursTheAllowListCommittedAtTheBaseOnly() async throws {
        let change = try Change()
        let token = Self.token()
        let fingerprint = SecretFinding.fingerprint(of: Array(token.utf8))
        // The agent allows its own finding in the same change: that does not count.
        try change.commit(["Sources/api/Client.swift": "let t = \"\(token)\"\n", ".braid/secrets-allow": "\(fingerprint)\n"])
        #expect(!(await change.gate(.secrets)).passed)
        // The same entry committed at the base does.
        let allowed = try Change()
        try allowed.fixture.write("# test fixture token\n\(fingerprint)\n", to: ".braid/secrets-allow", in: allowed.repo)
        try allowed.fixture.git(["add", "--all"], in: allowed.repo)
        try allowed.fixture.git(["commit", "--quiet", "-m", "allow"], in: allowed.repo)
        let base = try allowed.fixture.git(["rev-parse", "HEAD"], in: allowed.repo)
        try allowed.commit(["Sources/api/Client.swift": "let t = \"\(token)\"\n"])
        let context = GateContext(base: base, taskTitle: "x")
        let result = await GateRunner(steps: [GateStepConfig(name: "secrets", command: .builtin(.secrets))]).run(in: allowed.repo, context: context)
        #expect(result.passed, "\(result.summary)")
        #expect(result.steps.first?.output.text.contains("1 finding allowed by .braid/secrets-allow") == true)
    }

    // MARK: The gate around them

    @Test func withoutATaskChangeBuiltInStepsPassSayingSo() async throws {
        let change = try Change()
        try change.commit(["AGENTS.md": "changed\n", "x.env": "token: \(Self.token())\n"])
        let steps = [BuiltinGateStep.secrets, Self.changelog, Self.docs, Self.conventions, .acceptance]
        let result = await GateRunner(steps: steps.map { GateStepConfig(name: $0.name, command: .builtin($0)) }).run(in: change.repo)
        #expect(result.passed)
        #expect(result.steps.allSatisfy { $0.output.text.contains("nothing to check here") })
    }

    @Test func aFailingBuiltInStepStopsTheGateAndReadsLikeAProgramStep() async throws {
        let change = try Change()
        try change.commit(["AGENTS.md": "changed\n"])
        let gate = GateRunner(steps: [GateStepConfig(name: "conventions", command: .builtin(Self.conventions)),
                                      GateStepConfig(name: "after", command: .argv(["touch", "after"]))])
        let result = await gate.run(in: change.repo, context: GateContext(base: change.base, taskTitle: "Add a route", taskText: "Add a route"))
        #expect(!result.passed)
        #expect(result.skipped == ["after"])
        #expect(!FileManager.default.fileExists(atPath: change.repo.appendingPathComponent("after").path))
        #expect(result.summary.hasPrefix("The gate failed at step \"conventions\" (1 of 2): exited with status 1"))
        #expect(result.summary.contains("Command: braid:conventions"))
        #expect(result.summary.contains("The change touches AGENTS.md"))
    }

    @Test func aBaseThatIsNotACommitIdFailsTheStep() async throws {
        let change = try Change()
        let result = await GateRunner(steps: [GateStepConfig(name: "s", command: .builtin(.secrets))])
            .run(in: change.repo, context: GateContext(base: "--output=/tmp/x"))
        #expect(!result.passed)
        #expect(result.steps.first?.output.text.contains("is not a commit id") == true)
    }

    @Test func theContextOfATaskHoldsItsTextCriteriaAndGuidance() throws {
        let board = Board.parse("# Board\n## Todo\n- [ ] Add a route (#3)\n  Make /ready answer.\n  - [ ] GET /ready answers 200\n")
        let task = try #require(board.task(id: 3))
        let context = GateContext(task: task, guidance: "You may edit AGENTS.md.", base: "abc1234", agentReport: "done")
        #expect(context.taskTitle == "Add a route")
        #expect(context.taskText.contains("Make /ready answer.") && context.taskText.contains("You may edit AGENTS.md."))
        #expect(context.criteria.map(\.text) == ["GET /ready answers 200"])
        #expect(context.base == "abc1234" && context.agentReport == "done")
    }
}

@Suite struct BuiltinGateStepConfigTests {
    @Test func builtInStepsReadWithTheirOptionsAndRoundTrip() throws {
        let config = try ConfigFile.parse("""
            {"gate": [
              {"name": "test", "run": ["swift", "test"]},
              {"run": "braid:secrets"},
              {"name": "changelog", "run": "braid:changelog", "file": "docs/CHANGES.md", "conventionalCommits": false},
              {"run": "braid:docs", "paths": {"Sources/api/": "docs/api.md", "Protocol/**": "Protocol/README.md"}},
              {"run": "braid:conventions", "files": ["AGENTS.md", "docs/RULES.md"]},
              {"run": "braid:acceptance"}
            ]}
            """)
        #expect(config.gate.map(\.name) == ["test", "braid:secrets", "changelog", "braid:docs", "braid:conventions", "braid:acceptance"])
        #expect(config.gate.map(\.builtin) == [nil, .secrets, .changelog(file: "docs/CHANGES.md", conventionalCommits: false),
                                               .docs([.init(paths: "Protocol/**", doc: "Protocol/README.md"), .init(paths: "Sources/api/", doc: "docs/api.md")]),
                                               .conventions(files: ["AGENTS.md", "docs/RULES.md"]), .acceptance])
        #expect(try ConfigFile.parse(ConfigFile.render(config)) == config)
        let defaults = try ConfigFile.parse(#"{"gate": [{"run": "braid:changelog"}, {"run": "braid:conventions"}]}"#)
        #expect(defaults.gate.map(\.builtin) == [.changelog(file: "CHANGELOG.md", conventionalCommits: true), .conventions(files: BuiltinGateStep.defaultConventionsFiles)])
        #expect(BuiltinGateStep.defaultConventionsFiles.contains(".braid/config.json"))
        // With "shell": true the string is the user's own command line.
        #expect(try ConfigFile.parse(#"{"gate": [{"name": "x", "run": "braid:secrets", "shell": true}]}"#).gate.first?.command == .shell("braid:secrets"))
    }

    func error(_ text: String) -> String {
        do {
            _ = try ConfigFile.parse(text)
            return ""
        } catch {
            return error.description
        }
    }

    @Test func mistakesInBuiltInStepsAreNamedWithTheirLine() {
        #expect(error(#"{"gate": [{"run": "braid:secret"}]}"#)
                == ".braid/config.json:1: gate[0].run: unknown built-in step 'braid:secret' (did you mean 'braid:secrets'?); "
                   + "the built-in steps are braid:secrets, braid:changelog, braid:docs, braid:conventions, braid:acceptance")
        #expect(error("{\"gate\": [\n{\"run\": \"braid:secrets\",\n \"files\": []}]}")
                == ".braid/config.json:3: gate[0].files: braid:secrets does not take \"files\": it takes no option")
        #expect(error(#"{"gate": [{"run": "braid:docs"}]}"#).contains("braid:docs needs \"paths\""))
        #expect(error(#"{"gate": [{"run": "braid:docs", "paths": {}}]}"#).contains("gate[0].paths: must be an object from a glob to a doc file"))
        #expect(error(#"{"gate": [{"run": "braid:docs", "paths": {"src/": "../x.md"}}]}"#).contains("must be a relative path inside the repository"))
        #expect(error(#"{"gate": [{"run": "braid:acceptance", "timeoutSeconds": 5}]}"#).contains("built-in steps run inside Braid"))
        #expect(error(#"{"gate": [{"run": "braid:changelog", "conventionalCommits": "yes"}]}"#).contains("conventionalCommits: must be true or false"))
        #expect(error(#"{"gate": [{"name": "t", "run": "swift test"}]}"#).contains("or a built-in step: braid:secrets"))
    }

    @Test func thePromptAsksForTickedCriteriaOnlyWhenTheGateChecksThem() throws {
        let board = Board.parse("# Board\n## Todo\n- [ ] Add a route (#3)\n  - [ ] GET /ready answers 200\n")
        let task = try #require(board.task(id: 3))
        let asked = PromptComposer.compose(task: task, reportCriteria: true)
        #expect(asked.contains("- [ ] GET /ready answers 200\n\nWhen you are done, end your final message with this list"))
        #expect(!PromptComposer.compose(task: task).contains("end your final message"))
    }
}
