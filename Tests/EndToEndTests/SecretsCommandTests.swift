import Foundation
import JSON
import Testing
import TestSupport

/// `braid secrets` and the built-in gate steps, through the real binary on real repositories.
@Suite struct SecretsCommandTests {
    /// Fake secrets, built from fragments when the tests run (no file of this repository holds one).
    static let githubToken = "gh" + "p_" + "R8fT2kQ9vL4mZ7xW1cN6bJ3hY5dS0aG8eU2p"
    static let awsKeyID = "AK" + "IA" + "Q7TZ4M2XW9KR5NLB"
    static let password = "pX7" + "#kQ2" + "vR9mL4" + "wZ1tB8"

    @Test func aCleanRepositoryExitsZeroAndPrintsNothing() throws {
        let project = try ProjectFixture()
        try project.write("src/app.py", "commit = \"\(String(repeating: "3f9a", count: 10))\"\npassword = os.environ[\"DB_PASSWORD\"]\n")
        try project.git("add", "-A")
        let run = try project.braid(["secrets"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty && run.stderr.isEmpty)
    }

    @Test func trackedFilesWithSecretsExitOneAndNameFileLineAndRuleOnly() throws {
        let project = try ProjectFixture()
        try project.write("config/settings.yml", "name: app\ngithub_token: \(Self.githubToken)\n")
        try project.write("deploy/env", "AWS_ACCESS_KEY_ID=\(Self.awsKeyID)\nDB_PASSWORD=\(Self.password)\n")
        try project.write("untracked.txt", "token: \(Self.githubToken)\n")
        try project.git("add", "config", "deploy")
        let run = try project.braid(["secrets"])
        #expect(run.status == 1)
        let lines = run.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 3, "\(run.stdout)")
        #expect(lines.first?.hasPrefix("config/settings.yml:2: github-token: ghp_…[40 chars] (sha256:") == true)
        #expect(lines.dropFirst().first?.hasPrefix("deploy/env:1: aws-access-key: AKIA…[20 chars] (sha256:") == true)
        #expect(lines.last?.hasPrefix("deploy/env:2: assigned-secret: DB_PASSWORD = pX7#…[19 chars] (sha256:") == true)
        for secret in [Self.githubToken, Self.awsKeyID, Self.password] {
            #expect(!run.stdout.contains(secret) && !run.stderr.contains(secret))
        }
        #expect(run.stderr == "braid: secrets: 3 findings; allow a false positive by adding its fingerprint to .braid/secrets-allow\n")
    }

    @Test func diffScansOnlyTheLinesAddedSinceTheRevision() throws {
        let project = try ProjectFixture()
        try project.write("old.env", "TOKEN=\(Self.githubToken)\n")
        try project.git("add", "-A")
        try project.git("commit", "-q", "-m", "old secret")
        #expect(try project.braid(["secrets", "--diff", "HEAD"]).status == 0)
        try project.write("app.js", "const a = 1;\nconst b = 2;\n")
        try project.git("add", "-A")
        try project.git("commit", "-q", "-m", "app")
        try project.write("app.js", "const a = 1;\nconst key = \"\(Self.awsKeyID)\";\nconst b = 2;\n")
        let run = try project.braid(["secrets", "--diff", "HEAD"])
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("app.js:2: aws-access-key: AKIA…[20 chars]"), "\(run.stdout)")
        #expect(run.stdout.split(separator: "\n").count == 1)
        // Two commits back, the old secret's line is not added either: it predates them.
        #expect(try project.braid(["secrets", "--diff", "HEAD~1"]).stdout.split(separator: "\n").count == 1)
        // Paths narrow the diff.
        #expect(try project.braid(["secrets", "--diff", "HEAD", "--", "old.env"]).status == 0)
    }

    @Test func theAllowListSilencesByFingerprintAndByRuleAndPath() throws {
        let project = try ProjectFixture()
        try project.write("Tests/Fixtures/token.txt", "token: \(Self.githubToken)\n")
        try project.write("src/aws.txt", "key = \(Self.awsKeyID)\n")
        try project.git("add", "-A")
        let first = try project.braid(["secrets", "--json"])
        #expect(first.status == 1)
        let findings = try JSONParser.parse(first.stdout)["findings"]?.arrayValue ?? []
        #expect(findings.compactMap { $0["rule"]?.stringValue } == ["github-token", "aws-access-key"])
        let fingerprint = try #require(findings.last?["fingerprint"]?.stringValue)
        try project.write(".braid/secrets-allow", "# reviewed\n\(fingerprint)\ngithub-token:Tests/Fixtures/**\nsha256:zz\n")
        let second = try project.braid(["secrets", "--json"])
        #expect(second.status == 0, "\(second.stdout)")
        #expect(try JSONParser.parse(second.stdout)["allowed"]?.intValue == 2)
        #expect(second.stderr.contains("braid: warning: .braid/secrets-allow: line 4: a fingerprint is sha256:"))
        // A file named from a subfolder is matched by its path from the top.
        let sub = try ProgramRun.run(BraidBinary.path, ["secrets", "Fixtures"], directory: project.root.appendingPathComponent("Tests"))
        #expect(sub.status == 0, "\(sub.stdout)")
    }

    @Test func pathsAreScannedRecursivelySkippingGitBuildAndBinaryFiles() throws {
        let project = try ProjectFixture()
        try project.write("notes/a/b/c.md", "Use \(Self.githubToken) here.\n")
        try project.write("notes/.build/cache.txt", "token: \(Self.githubToken)\n")
        try project.write("notes/image.bin", "\u{0}\u{1}token: \(Self.githubToken)\n")
        let run = try project.braid(["secrets", "notes", "README.md"])
        #expect(run.status == 1)
        #expect(run.stdout.split(separator: "\n").map { $0.split(separator: ":").first.map(String.init) ?? "" } == ["notes/a/b/c.md"])
        #expect(try project.braid(["secrets", "README.md"]).status == 0)
    }

    @Test func usageErrorsExitTwoWithOneLine() throws {
        let project = try ProjectFixture()
        let cases: [([String], String)] = [
            (["secrets", "--dif", "HEAD"], "braid: secrets: unknown option '--dif' (did you mean '--diff'?)\n"),
            (["secrets", "--diff"], "braid: secrets: --diff needs a value\n"),
            (["secrets", "--diff", "--json"], "braid: secrets: --diff needs a revision, not '--json'\n"),
            (["secrets", "--diff", "no-such-branch"], "braid: secrets: unknown revision 'no-such-branch'\n"),
            (["secrets", "--stdin-diff", "file.txt"], "braid: secrets: --stdin-diff reads the diff from standard input and takes no --diff or PATH\n"),
            (["secrets", "missing.txt"], "braid: secrets: no such file or folder: missing.txt\n"),
        ]
        for (arguments, message) in cases {
            let run = try project.braid(arguments)
            #expect(run.status == 2, "\(arguments)")
            #expect(run.stderr == message)
            #expect(run.stdout.isEmpty)
        }
        let outside = FileManager.default.temporaryDirectory.appendingPathComponent("braid-no-repo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: outside) }
        let noRepository = try ProgramRun.run(BraidBinary.path, ["secrets"], directory: outside)
        #expect(noRepository.status == 2)
        #expect(noRepository.stderr.hasSuffix("is not inside a git repository: name the files or folders to scan\n"))
        #expect(try ProgramRun.run(BraidBinary.path, ["secrets", "."], directory: outside).status == 0)
        #expect(try project.braid(["secrts"]).stderr == "braid: unknown command 'secrts' (did you mean 'secrets'?)\n")
    }

    @Test func aDiffOnStandardInputIsScanned() throws {
        let diff = "diff --git a/x.env b/x.env\n--- a/x.env\n+++ b/x.env\n@@ -1,2 +1,3 @@\n A=1\n+TOKEN=\(Self.githubToken)\n B=2\n"
        let run = try ProgramRun.run(BraidBinary.path, ["secrets", "--stdin-diff"], stdin: diff)
        #expect(run.status == 1)
        #expect(run.stdout.hasPrefix("x.env:2: github-token: ghp_…[40 chars]"))
        #expect(try ProgramRun.run(BraidBinary.path, ["secrets", "--stdin-diff"], stdin: "").status == 0)
    }

    // MARK: Built-in gate steps under `braid run`

    static func scriptTask(_ id: Int, _ title: String, body: [String], _ script: String) -> String {
        let indented = script.split(separator: "\n").map { "  \($0)" }.joined(separator: "\n")
        return "- [ ] \(title) (#\(id))\n" + body.map { "  \($0)\n" }.joined() + "  ```sh\n\(indented)\n  ```\n"
    }

    static func board(_ tasks: [String]) -> String {
        "# Board\n\n## Todo\n" + tasks.joined() + "\n## In Progress\n\n## Review\n\n## Blocked\n\n## Done\n"
    }

    @Test func builtInStepsGateTheTasksOfBraidRun() throws {
        let gate = #"[{"name": "check", "run": ["./check.sh"]}, {"run": "braid:secrets"}, {"run": "braid:acceptance"}, {"run": "braid:conventions"}]"#
        let project = try ProjectFixture(config: ["gate": gate, "maxRetries": "0"])
        try project.write("AGENTS.md", "Be careful.\n")
        try project.git("add", "-A")
        try project.git("commit", "-q", "-m", "conventions")
        try project.write("BOARD.md", Self.board([
            Self.scriptTask(1, "Add the greeting", body: ["- [ ] hello.txt says hello"],
                            "echo hello > hello.txt\necho 'Done.'\necho '- [x] hello.txt says hello'"),
            Self.scriptTask(2, "Add the config", body: ["- [ ] config.env exists"],
                            "echo 'TOKEN=\(Self.githubToken)' > config.env\necho '- [x] config.env exists'"),
            Self.scriptTask(3, "Add the notes", body: ["- [ ] notes.txt exists"], "echo notes > notes.txt\necho 'I made notes.'"),
            Self.scriptTask(4, "Tidy up", body: [], "name=AGENTS; echo 'Be reckless.' > \"$name.md\""),
        ]))
        let run = try project.braid(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let tasks = try JSONParser.parse(try project.braid(["status", "--json"]).stdout)["tasks"]?.arrayValue ?? []
        let section = Dictionary(uniqueKeysWithValues: tasks.compactMap { t in t["id"]?.intValue.map { ($0, t["section"]?.stringValue ?? "") } })
        #expect(section == [1: "review", 2: "blocked", 3: "blocked", 4: "blocked"], "\(run.stdout)")
        let log2 = try project.braid(["log", "#2"]).stdout
        #expect(log2.contains("braid:secrets"), "\(log2)")
        #expect(log2.contains("config.env:1: github-token: ghp_…[40 chars]"))
        #expect(!log2.contains(Self.githubToken))
        #expect(try project.braid(["log", "#3"]).stdout.contains("Not reported done (1 of 1):\n- [ ] notes.txt exists"))
        #expect(try project.braid(["log", "#4"]).stdout.contains("The change touches AGENTS.md, which the task does not mention."))
        // The agent was told how to report its criteria.
        let prompt = try String(contentsOf: try Self.promptFile(project, task: 1), encoding: .utf8)
        #expect(prompt.contains("end your final message with this list"))
    }

    static func promptFile(_ project: ProjectFixture, task: Int) throws -> URL {
        let log = try project.braid(["log", "#\(task)"]).stdout
        let line = try #require(log.split(separator: "\n").first { $0.hasPrefix("== #\(task) session ") })
        let session = line.split(separator: " ")[3].dropLast()
        return project.root.appendingPathComponent(".braid/logs/\(session)/prompt.txt")
    }
}
