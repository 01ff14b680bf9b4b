import Foundation
import Testing
@testable import BraidCore

@Suite struct SecretScannerTests {
    static let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The text as the added lines of a new file in a git diff.
    static func asDiff(_ text: String, path: String = "config/app.env") -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast(text.hasSuffix("\n") ? 1 : 0)
        return """
            diff --git a/\(path) b/\(path)
            new file mode 100644
            index 0000000..1111111
            --- /dev/null
            +++ b/\(path)
            @@ -0,0 +1,\(lines.count) @@

            """ + lines.map { "+" + $0 + "\n" }.joined()
    }

    /// Every 8-character run of the secret after the four characters a finding may show.
    static func hiddenParts(of secret: String) -> [String] {
        let characters = Array(secret)
        guard characters.count > 12 else { return [String(characters.dropFirst(4))] }
        return (4...(characters.count - 8)).map { String(characters[$0..<($0 + 8)]) }
    }

    @Test func theCorpusHasThirtyFakeSecretsCoveringEveryRule() {
        #expect(SecretCorpus.all.count >= 30)
        #expect(Set(SecretCorpus.all.map(\.rule)) == Set(SecretRule.allCases))
        #expect(Set(SecretCorpus.all.map(\.secret)).count == SecretCorpus.all.count)
    }

    @Test(arguments: SecretCorpus.all)
    func eachFakeSecretIsFoundByItsRuleAndNeverPrintedInFull(_ fake: FakeSecret) throws {
        let findings = SecretScanner().scanText(Array(fake.text.utf8), path: "src/settings.txt")
        #expect(findings.map(\.rule) == [fake.rule], "\(findings)")
        let finding = try #require(findings.first)
        #expect(finding.path == "src/settings.txt")
        #expect(finding.line == fake.line)
        #expect(finding.fingerprint == SecretFinding.fingerprint(of: Array(fake.secret.utf8)))
        let printed = finding.description
        #expect(!printed.contains(fake.secret))
        for part in Self.hiddenParts(of: fake.secret) {
            #expect(!printed.contains(part), "\(printed) shows \(part)")
        }
        #expect(printed.contains("[\(fake.secret.unicodeScalars.count) chars]"))
    }

    @Test(arguments: SecretCorpus.all)
    func eachFakeSecretIsFoundInADiffsAddedLinesAtItsNewLineNumber(_ fake: FakeSecret) throws {
        let findings = SecretScanner().scanDiff(Array(Self.asDiff("first line\n" + fake.text + "\n").utf8))
        #expect(findings.map(\.rule) == [fake.rule])
        #expect(findings.first?.path == "config/app.env")
        #expect(findings.first?.line == fake.line + 1)
    }

    @Test func ordinaryCodeHasNoFinding() {
        let findings = SecretScanner().scanText(Array(SecretCorpus.ordinaryCode.utf8), path: "ordinary.txt")
        #expect(findings.isEmpty, "\(findings.map(\.description).joined(separator: "\n"))")
        let lines = SecretCorpus.ordinaryCode.split(separator: "\n").count
        #expect(lines >= 60)
    }

    @Test func thisRepositorysOwnFilesHaveNoFinding() throws {
        var scanned = 0
        var findings: [SecretFinding] = []
        for folder in ["Sources", "Tests", "editors", "Protocol", "Benchmarks"] {
            let url = Self.repositoryRoot.appendingPathComponent(folder)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            for file in SecretSources.files(under: url) {
                let data = try Data(contentsOf: file)
                guard !SecretScanner.looksBinary(data) else { continue }
                scanned += 1
                findings += SecretScanner().scanText(data, path: String(file.path.dropFirst(Self.repositoryRoot.path.count + 1)))
            }
        }
        #expect(scanned > 100)
        #expect(findings.isEmpty, "\(findings.map(\.description).joined(separator: "\n"))")
    }

    @Test func onlyAddedLinesCountWithTheNewFilesLineNumbers() throws {
        var random = FakeRandom(seed: 99)
        let key = "gh" + "p_" + random.string(36)
        let diff = """
            diff --git a/app/config.yml b/app/config.yml
            index 1111111..2222222 100644
            --- a/app/config.yml
            +++ b/app/config.yml
            @@ -3,4 +3,6 @@ defaults:
             name: app
            -token: \(key)
            +token: ${GITHUB_TOKEN}
             region: eu
            +mirror: \(key)
            ++++ b/not-a-header
             end: true
            @@ -40 +41,2 @@
            -old
            +second: \(key)
            +third
            \\ No newline at end of file
            diff --git "a/odd\\tname.txt" "b/odd\\tname.txt"
            new file mode 100644
            --- /dev/null
            +++ "b/odd\\tname.txt"
            @@ -0,0 +1 @@
            +\(key)
            diff --git a/gone.txt b/gone.txt
            deleted file mode 100644
            --- a/gone.txt
            +++ /dev/null
            @@ -1 +0,0 @@
            -\(key)

            """
        let findings = SecretScanner().scanDiff(Array(diff.utf8))
        #expect(findings.map { "\($0.path):\($0.line)" } == ["app/config.yml:6", "app/config.yml:41", "odd\tname.txt:1"])
        #expect(findings.allSatisfy { $0.rule == .githubToken })
    }

    @Test func aPlainDiffUFileNameLosesItsDate() {
        let key = "gl" + "pat-" + "aB3dE5fG7hJ9kL1mN3pQ"
        let diff = "--- settings.ini\t2024-01-01 10:00:00\n+++ settings.ini\t2024-01-02 10:00:00\n@@ -1 +1 @@\n-x\n+token=\(key)\n"
        let findings = SecretScanner().scanDiff(Array(diff.utf8))
        #expect(findings.map(\.path) == ["settings.ini"])
        #expect(findings.map(\.rule) == [.gitlabToken])
    }

    @Test func aKeyHeaderWithoutKeyMaterialIsNotAFinding() {
        let header = "-----BEGIN " + "RSA PRIVATE KEY-----"
        let material = "MIIEpAIBAAKCAQEA" + "3Tz2mr7SZiAMfQyuvBjM9Oi"
        #expect(SecretScanner().scanText(Array((header + "\nlet x = 1\n").utf8), path: "a").isEmpty)
        #expect(SecretScanner().scanText(Array((header + "\n").utf8), path: "a").isEmpty)
        #expect(SecretScanner().scanText(Array((header + "\r\n" + material + "\r\n").utf8), path: "a").map(\.rule) == [.privateKey])
    }

    @Test func redactionShowsAtMostAQuarterAndTheLength() {
        #expect(SecretFinding.redact(Array("abcdefghijklmnopqrstuvwx".utf8)) == "abcd…[24 chars]")
        #expect(SecretFinding.redact(Array("abcdefgh".utf8)) == "ab…[8 chars]")
        #expect(SecretFinding.redact(Array("abc".utf8)) == "…[3 chars]")
    }

    @Test func sha256MatchesTheStandardsVectors() {
        #expect(SHA256.hex([]) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(SHA256.hex(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hex(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
        #expect(SHA256.hex(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
                == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func entropyScoresRandomHigherThanWords() {
        #expect(Self.bits("aaaaaaaaaaaaaaaa") == 0)
        #expect(Self.bits("0123456789abcdef") == 4)
        #expect(Self.bits("correct-horse-battery") < Self.bits("Xk9#qL2vR7!mB4zT8wE1"))
    }

    static func bits(_ text: String) -> Double {
        Array(text.utf8).withUnsafeBufferPointer { buffer in
            buffer.baseAddress.map { Entropy.bitsPerByte($0, 0..<buffer.count) } ?? 0
        }
    }
}

@Suite struct SecretAllowListTests {
    static let finding = SecretFinding(path: "Tests/Fixtures/tokens.json", line: 3, rule: .jwt, excerpt: "eyJh…[120 chars]",
                                       fingerprint: "sha256:0123456789abcdef")

    @Test func anEntryAllowsByFingerprintRuleAndPathOrGlob() {
        let finding = Self.finding
        #expect(SecretAllowList(text: "sha256:0123456789abcdef\n").allows(finding))
        #expect(SecretAllowList(text: "sha256:01234567   # the fixture's token\n").allows(finding))
        #expect(!SecretAllowList(text: "sha256:0123456789abcdee\n").allows(finding))
        #expect(SecretAllowList(text: "jwt:Tests/Fixtures/**\n").allows(finding))
        #expect(SecretAllowList(text: "jwt:\n").allows(finding))
        #expect(!SecretAllowList(text: "github-token:Tests/Fixtures/**\n").allows(finding))
        #expect(!SecretAllowList(text: "jwt:Sources/**\n").allows(finding))
        #expect(SecretAllowList(text: "Tests/Fixtures/\n").allows(finding))
        #expect(SecretAllowList(text: "*.json\n").allows(finding))
        #expect(!SecretAllowList(text: "# Tests/Fixtures/**\n\n").allows(finding))
        #expect(SecretAllowList(text: "Tests/**/tokens.json").allows(finding))
        // The path from the repository's top, when the finding's own is relative to elsewhere.
        #expect(SecretAllowList(text: "Tests/Fixtures/\n").allows(
            SecretFinding(path: "Fixtures/tokens.json", line: 1, rule: .jwt, excerpt: "", fingerprint: "sha256:00"),
            path: "Tests/Fixtures/tokens.json"))
    }

    @Test func aMalformedFingerprintIsAProblemThatAllowsNothing() {
        let list = SecretAllowList(text: "# comment\nsha256:xyz\nsha256:0123\n")
        #expect(list.entries.isEmpty)
        #expect(list.problems.count == 2)
        #expect(list.problems.first?.hasPrefix("line 2: ") == true)
        #expect(!list.allows(Self.finding))
    }

    @Test func partitionSeparatesReportedFromAllowed() {
        let other = SecretFinding(path: "Sources/app.swift", line: 1, rule: .githubToken, excerpt: "", fingerprint: "sha256:ffff")
        let (reported, allowed) = SecretAllowList(text: "jwt:Tests/**").partition([Self.finding, other])
        #expect(reported == [other])
        #expect(allowed == [Self.finding])
    }

    @Test func pathGlobsMatchFilesFoldersAndNamesAtAnyDepth() {
        #expect(PathGlob("Tests/Fixtures/**").matches("Tests/Fixtures/a/b.txt"))
        #expect(PathGlob("docs/").matches("docs/api/x.md"))
        #expect(PathGlob("docs").matches("docs/x.md"))
        #expect(!PathGlob("docs").matches("documentation/x.md"))
        #expect(PathGlob("*.pem").matches("certs/dev/key.pem"))
        #expect(PathGlob("AGENTS.md").matches("sub/dir/AGENTS.md"))
        #expect(PathGlob("src/*.swift").matches("src/a.swift"))
        #expect(!PathGlob("src/*.swift").matches("src/x/a.swift"))
        #expect(PathGlob("src/**/test_?.py").matches("src/a/b/test_1.py"))
        #expect(!PathGlob("src/**/test_?.py").matches("src/a/b/test_12.py"))
        #expect(PathGlob("./README.md").matches("README.md"))
    }
}
