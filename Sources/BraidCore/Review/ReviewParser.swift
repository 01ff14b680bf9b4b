import JSON

/// Reads a reviewer's findings out of whatever it printed: the JSON may come bare, in a ```json
/// fence, between sentences of prose, or as a string inside an agent's own JSON envelope (Claude's
/// `{"result": "..."}`). The last readable findings value wins (a reviewer's final answer comes
/// last). Output with no readable findings is an error that says what was expected.
public enum ReviewParser {
    public struct Unreadable: Error, Sendable, Equatable, CustomStringConvertible {
        public let description: String
    }

    /// The schema reviewers are asked for, quoted in errors and prompts.
    public static let schema = #"{"findings": [{"file": "path", "line": 12, "severity": "info|low|medium|high|critical", "message": "what is wrong", "suggestedFix": "how to fix it"}]}"#

    /// Only the end of a long output is searched: the answer is there, and the search stays linear.
    static let searchedBytes = 1 << 20
    /// The longest findings value looked for.
    static let maxValueBytes = 256 << 10

    public static func findings(in output: String) throws(Unreadable) -> [ReviewFinding] {
        let bytes = Array(output.utf8.suffix(searchedBytes))
        var found: Result<[ReviewFinding], Unreadable>?
        search(bytes, into: &found, depth: 0)
        switch found {
        case .success(let findings)?: return findings
        case .failure(let error)?: throw error
        case nil: throw Unreadable(description: "the reviewer's output has no findings JSON; expected \(schema)")
        }
    }

    /// Tries every JSON value that starts at a `{` or `[`, skipping past each one read.
    private static func search(_ bytes: [UInt8], into found: inout Result<[ReviewFinding], Unreadable>?, depth: Int) {
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            guard byte == UInt8(ascii: "{") || byte == UInt8(ascii: "["), let end = matchingEnd(bytes, from: index),
                  let value = try? JSONParser.parse(Array(bytes[index...end])) else {
                index += 1
                continue
            }
            consider(value, into: &found, depth: depth)
            index = end + 1
        }
    }

    private static func consider(_ value: JSONValue, into found: inout Result<[ReviewFinding], Unreadable>?, depth: Int) {
        if let list = value["findings"]?.arrayValue ?? findingsArray(value) {
            var findings: [ReviewFinding] = []
            for (index, element) in list.enumerated() {
                do {
                    findings.append(try finding(element, number: index + 1))
                } catch {
                    found = .failure(error)
                    return
                }
            }
            found = .success(findings)
            return
        }
        // An envelope: the answer may be a string inside it.
        guard depth < 3 else { return }
        var strings: [String] = []
        collectStrings(value, into: &strings)
        for string in strings where string.contains("{") || string.contains("[") {
            search(Array(string.utf8), into: &found, depth: depth + 1)
        }
    }

    /// A bare array reads as findings when each element is an object with a message.
    private static func findingsArray(_ value: JSONValue) -> [JSONValue]? {
        guard case .array(let elements) = value,
              elements.allSatisfy({ $0.objectValue != nil && $0["message"] != nil }) else { return nil }
        return elements
    }

    private static func collectStrings(_ value: JSONValue, into strings: inout [String]) {
        switch value {
        case .string(let text): strings.append(text)
        case .array(let elements): for element in elements { collectStrings(element, into: &strings) }
        case .object(let members): for member in members.values { collectStrings(member, into: &strings) }
        default: break
        }
    }

    private static func finding(_ value: JSONValue, number: Int) throws(Unreadable) -> ReviewFinding {
        func fail(_ why: String) -> Unreadable { Unreadable(description: "finding \(number) \(why); expected \(schema)") }
        guard value.objectValue != nil else { throw fail("is not an object") }
        guard let message = value["message"]?.stringValue, !message.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw fail("has no message")
        }
        guard let severityText = value["severity"]?.stringValue else { throw fail("has no severity") }
        guard let severity = ReviewSeverity(loosely: severityText) else {
            throw fail("has severity '\(severityText)', not one of " + ReviewSeverity.allCases.map(\.rawValue).joined(separator: ", "))
        }
        var line: Int?
        if let member = value["line"], member != .null {
            guard let number = member.intValue ?? member.stringValue.flatMap({ Int($0) }), number >= 1 else {
                throw fail("has a line that is not a positive integer")
            }
            line = number
        }
        let fix = value["suggestedFix"]?.stringValue ?? value["suggested_fix"]?.stringValue ?? value["fix"]?.stringValue
        let file = value["file"]?.stringValue ?? value["path"]?.stringValue
        return ReviewFinding(id: number, file: file?.isEmpty == true ? nil : file, line: line, severity: severity,
                             message: message, suggestedFix: fix)
    }

    /// The index of the bracket that closes the one at `start`, skipping strings; nil when it never closes.
    static func matchingEnd(_ bytes: [UInt8], from start: Int) -> Int? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        // A bracket of prose that never closes must not make the search quadratic.
        let end = min(bytes.count, start + maxValueBytes)
        while index < end {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index }
                default: break
                }
            }
            index += 1
        }
        return nil
    }
}
