import Foundation
import Testing
@testable import BraidCore

/// Reading a reviewer's findings out of whatever it printed: bare JSON, fenced, among prose, inside
/// an agent's JSON envelope; and rejecting, with a message that names the problem, what cannot be read.
@Suite struct ReviewParserTests {
    static let one = #"{"file": "Sources/App/Login.swift", "line": 42, "severity": "high", "message": "the password is logged", "suggestedFix": "log the user name only"}"#

    // MARK: Where the JSON is

    @Test func aBareObjectIsRead() throws {
        let findings = try ReviewParser.findings(in: #"{"findings": [\#(Self.one)]}"#)
        #expect(findings == [ReviewFinding(id: 1, file: "Sources/App/Login.swift", line: 42, severity: .high,
                                           message: "the password is logged", suggestedFix: "log the user name only")])
    }

    @Test func aBareArrayOfFindingsIsRead() throws {
        let findings = try ReviewParser.findings(in: """
            [{"severity": "low", "message": "a typo in a comment"},
             {"file": "b.swift", "severity": "medium", "message": "an unhandled error"}]
            """)
        #expect(findings.map(\.id) == [1, 2])
        #expect(findings.map(\.severity) == [.low, .medium])
        #expect(findings.map(\.message) == ["a typo in a comment", "an unhandled error"])
        #expect(findings[0].file == nil && findings[0].line == nil && findings[0].suggestedFix == nil)
        #expect(findings[1].file == "b.swift")
    }

    @Test func aJSONFenceBetweenProseIsRead() throws {
        let output = """
            I read the diff carefully. The change (mostly) does what the task asks, but see below.

            ```json
            {"findings": [\(Self.one), {"severity": "info", "message": "consider a test for the empty case"}]}
            ```

            That is all. Thanks for the nice {clean} change!
            """
        let findings = try ReviewParser.findings(in: output)
        #expect(findings.map(\.message) == ["the password is logged", "consider a test for the empty case"])
        #expect(findings.map(\.severity) == [.high, .info])
    }

    @Test func ofTwoFindingsValuesTheLastWins() throws {
        let output = """
            A first draft: {"findings": [{"severity": "critical", "message": "draft finding"}]}
            On reflection, my final answer:
            {"findings": [{"severity": "low", "message": "final one"}, {"severity": "medium", "message": "final two"}]}
            """
        let findings = try ReviewParser.findings(in: output)
        #expect(findings.map(\.message) == ["final one", "final two"])
        #expect(findings.map(\.id) == [1, 2])
        // And an empty final answer wins over an earlier draft too.
        let retracted = try ReviewParser.findings(in: #"{"findings": [{"severity": "high", "message": "x"}]} no, wait: {"findings": []}"#)
        #expect(retracted.isEmpty)
    }

    @Test func findingsInsideAClaudeStyleEnvelopeStringAreRead() throws {
        // What `claude -p --output-format json` prints: the answer is a string member, fenced and among prose.
        let answer = "Reviewed.\n\n```json\n{\"findings\": [" + Self.one + "]}\n```\nDone."
        let envelope = #"{"type":"result","subtype":"success","is_error":false,"num_turns":3,"result":""# + Self.escaped(answer)
            + #"","session_id":"5f1c2d3e","total_cost_usd":0.0421,"usage":{"input_tokens":1523,"output_tokens":412},"permission_denials":[]}"#
        let findings = try ReviewParser.findings(in: envelope + "\n")
        #expect(findings.count == 1)
        #expect(findings.first?.message == "the password is logged")
        #expect(findings.first?.suggestedFix == "log the user name only")
        #expect(findings.first?.line == 42)
    }

    @Test func anEmptyFindingsListIsAnAnswer() throws {
        #expect(try ReviewParser.findings(in: #"{"findings": []}"#).isEmpty)
        #expect(try ReviewParser.findings(in: "Nothing to report.\n```json\n{\"findings\": []}\n```\n").isEmpty)
    }

    // MARK: What a finding may look like

    @Test func looseSeveritiesAreMappedToTheCanonicalOnes() throws {
        let words = ["error", "warning", "major", "minor", "nit", "BLOCKER", "Critical", "moderate"]
        let output = "{\"findings\": [" + words.map { #"{"severity": "\#($0)", "message": "m"}"# }.joined(separator: ",") + "]}"
        let findings = try ReviewParser.findings(in: output)
        #expect(findings.map(\.severity) == [.high, .medium, .high, .low, .info, .critical, .critical, .medium])
    }

    @Test func aLineMayBeAStringNumberAndFixAndFileHaveAliases() throws {
        let findings = try ReviewParser.findings(in: """
            {"findings": [
              {"path": "a.py", "line": "17", "severity": "low", "message": "m1", "suggested_fix": "rename it"},
              {"file": "b.py", "line": null, "severity": "low", "message": "m2", "fix": "drop it"},
              {"file": "", "severity": "low", "message": "m3"}
            ]}
            """)
        #expect(findings.map(\.file) == ["a.py", "b.py", nil])
        #expect(findings.map(\.line) == [17, nil, nil])
        #expect(findings.map(\.suggestedFix) == ["rename it", "drop it", nil])
    }

    @Test func proseWithBracketsAfterTheAnswerDoesNotReplaceIt() throws {
        let output = #"{"findings": [{"severity": "low", "message": "kept"}]}"# + "\nSee [the docs] and {this}, or [1, 2] and [\"a\"].\n"
        #expect(try ReviewParser.findings(in: output).map(\.message) == ["kept"])
    }

    @Test func aStrayEmptyArrayIsNoAnswer() throws {
        // An envelope Braid cannot read as a whole must not become "no findings" through its `[]`.
        let broken = #"{"result": "Reviewed, see {\"findings\": [{\"severity\": \"high\"  "permission_denials":[]}"#
        #expect(Self.rejection(broken) != nil)
        #expect(Self.rejection("I could not finish the review. Files checked: []\n") != nil)
        // And after a real answer it does not replace it.
        let findings = try ReviewParser.findings(in: #"{"findings": [{"severity": "low", "message": "kept"}]} and then []"#)
        #expect(findings.map(\.message) == ["kept"])
    }

    // MARK: What cannot be read

    /// The message of the error `output` is rejected with (nil when it is read).
    static func rejection(_ output: String) -> String? {
        do {
            _ = try ReviewParser.findings(in: output)
            return nil
        } catch {
            return error.description
        }
    }

    @Test func outputWithoutJSONIsRejectedAndTheSchemaIsQuoted() throws {
        let message = try #require(Self.rejection("Looks good to me. Ship it!\n"))
        #expect(message.contains("no findings JSON"), "\(message)")
        #expect(message.contains(ReviewParser.schema))
        #expect(Self.rejection("") != nil)
        // JSON that is not findings is not an answer either.
        #expect(Self.rejection(#"{"verdict": "fine", "score": 9} [1, 2, 3]"#)?.contains("no findings JSON") == true)
    }

    @Test func aFindingWithoutMessageIsRejected() throws {
        let message = try #require(Self.rejection(#"{"findings": [{"severity": "low", "message": "fine"}, {"severity": "high", "file": "a.swift"}]}"#))
        #expect(message.hasPrefix("finding 2 has no message"), "\(message)")
        #expect(Self.rejection(#"{"findings": [{"severity": "high", "message": "   "}]}"#)?.hasPrefix("finding 1 has no message") == true)
    }

    @Test func anUnknownSeverityIsRejectedNamingIt() throws {
        let message = try #require(Self.rejection(#"{"findings": [{"severity": "catastrophic", "message": "m"}]}"#))
        #expect(message.contains("finding 1 has severity 'catastrophic'"), "\(message)")
        #expect(message.contains("info, low, medium, high, critical"))
        #expect(Self.rejection(#"{"findings": [{"message": "m"}]}"#)?.hasPrefix("finding 1 has no severity") == true)
    }

    @Test func aLineThatIsNotAPositiveIntegerIsRejected() throws {
        for line in ["0", "-3", #""zero""#, "1.5", #""""#] {
            let message = Self.rejection(#"{"findings": [{"severity": "low", "message": "m", "line": \#(line)}]}"#)
            #expect(message?.hasPrefix("finding 1 has a line that is not a positive integer") == true, "line \(line): \(String(describing: message))")
        }
    }

    @Test func aFindingThatIsNotAnObjectIsRejected() throws {
        let message = Self.rejection(#"{"findings": ["the password is logged"]}"#)
        #expect(message?.hasPrefix("finding 1 is not an object") == true, "\(String(describing: message))")
    }

    @Test func truncatedJSONIsRejectedAsCutOff() throws {
        let output = "Here are my findings:\n```json\n{\"findings\": [{\"severity\": \"high\", \"message\": \"the password is lo"
        let message = try #require(Self.rejection(output))
        #expect(message.contains("cut off"), "\(message)")
        #expect(message.contains(ReviewParser.schema))
    }

    @Test func findingsJSONThatIsNotValidJSONIsRejectedAsSuch() throws {
        // Closed, but not JSON: unquoted severity.
        let message = try #require(Self.rejection(#"{"findings": [{"severity": high, "message": "m"}]}"#))
        #expect(message.contains("not valid JSON"), "\(message)")
    }

    @Test func findingsThatAreNotAListAreRejectedAsSuch() throws {
        let message = try #require(Self.rejection(#"{"findings": "none, all good"}"#))
        #expect(message.contains(#""findings" is not a list"#), "\(message)")
    }

    // MARK: Size

    @Test func megabytesOfProseAreSearchedAndTheAnswerAtTheEndFound() throws {
        // Prose with brackets and quotes, balanced and not, as agents print while they work.
        var prose = ""
        var line = 0
        while prose.utf8.count < 4 << 20 {
            line += 1
            switch line % 5 {
            case 0: prose += "Reading Sources/File\(line).swift {struct S\(line) [members]} \"quoted\" text\n"
            case 1: prose += "An unclosed { brace and an unclosed [ bracket in line \(line)\n"
            case 2: prose += "A \"lone quote and {\"key\": \"value\"} in line \(line)\n"
            case 3: prose += "[\(line)/100000] Compiling module (debug) ...\n"
            default: prose += "Plain words about the change, nothing more, line \(line).\n"
            }
        }
        let answer = #"{"findings": [{"file": "x.swift", "line": 3, "severity": "medium", "message": "the last finding"}]}"#
        let findings = try ReviewParser.findings(in: prose + "My answer:\n" + answer + "\nDone.\n")
        #expect(findings.map(\.message) == ["the last finding"])
        #expect(findings.first?.line == 3)
        // Prose alone is still an answer-less output, not a hang.
        #expect(Self.rejection(prose)?.contains("no findings JSON") == true)
    }

    /// The search's shortcut (a scan jumps over a nested value to where that one's own scan closed)
    /// finds the same closing brackets as scanning afresh from every bracket does.
    @Test func matchingEndsAgreeWithAFreshScanFromEveryBracket() {
        func fresh(_ bytes: [UInt8], _ start: Int) -> Int {
            var depth = 0, inString = false, escaped = false
            for index in start..<bytes.count {
                let byte = bytes[index]
                if inString {
                    if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                } else if byte == UInt8(ascii: "\"") {
                    inString = true
                } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                    depth += 1
                } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
                    depth -= 1
                    if depth == 0 { return index }
                }
            }
            return -1
        }
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        let alphabet = Array(#"{}[]"\ a"#.utf8)
        var mismatches: [String] = []
        for _ in 0..<3000 {
            let bytes = (0..<next(60)).map { _ in alphabet[next(alphabet.count)] }
            let ends = ReviewParser.matchingEnds(bytes)
            for start in bytes.indices where bytes[start] == UInt8(ascii: "{") || bytes[start] == UInt8(ascii: "[") {
                if Int(ends[start]) != fresh(bytes, start) && mismatches.count < 5 {
                    mismatches.append("\(String(decoding: bytes, as: UTF8.self)) at \(start): \(ends[start]) vs \(fresh(bytes, start))")
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches)")
    }

    static func escaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"")
            .replacingOccurrences(of: "\n", with: "\\n")
    }
}
