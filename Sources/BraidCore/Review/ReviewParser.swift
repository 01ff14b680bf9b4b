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
        let ends = matchingEnds(bytes)
        search(bytes, ends: ends, into: &found, depth: 0)
        switch found {
        case .success(let findings)?: return findings
        case .failure(let error)?: throw error
        case nil: throw Unreadable(description: whyUnreadable(bytes, ends: ends) + "; expected \(schema)")
        }
    }

    /// Tries every JSON value that starts at a `{` or `[`, skipping past each one read.
    private static func search(_ bytes: [UInt8], ends: [Int32], into found: inout Result<[ReviewFinding], Unreadable>?, depth: Int) {
        var index = 0
        while index < bytes.count {
            let end = Int(ends[index])
            guard end >= 0, let value = try? JSONParser.parse(Array(bytes[index...end])) else {
                index += 1
                continue
            }
            consider(value, into: &found, depth: depth)
            index = end + 1
        }
    }

    /// Why output without a readable findings value was not read: its findings JSON never closes
    /// (the output was cut short), or is not JSON, or there is none at all.
    private static func whyUnreadable(_ bytes: [UInt8], ends: [Int32]) -> String {
        let key = Array(#""findings""#.utf8)
        guard let at = lastIndex(of: key, in: bytes),
              let start = bytes[..<at].lastIndex(of: UInt8(ascii: "{")) else {
            return "the reviewer's output has no findings JSON"
        }
        let end = Int(ends[start])
        guard end >= 0 else { return "the reviewer's findings JSON is cut off: it never closes (was the output truncated?)" }
        do {
            let value = try JSONParser.parse(Array(bytes[start...end]))
            if let findings = value["findings"], findings.arrayValue == nil { return "the reviewer's \"findings\" is not a list" }
            return "the reviewer's output has no findings JSON"
        } catch {
            return "the reviewer's findings JSON is not valid JSON (\(error))"
        }
    }

    private static func lastIndex(of needle: [UInt8], in bytes: [UInt8]) -> Int? {
        guard needle.count <= bytes.count else { return nil }
        var index = bytes.count - needle.count
        while index >= 0 {
            if bytes[index] == needle[0] && bytes[index..<index + needle.count].elementsEqual(needle) { return index }
            index -= 1
        }
        return nil
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
            let bytes = Array(string.utf8)
            search(bytes, ends: matchingEnds(bytes), into: &found, depth: depth + 1)
        }
    }

    /// A bare array reads as findings when each element is an object with a message. An empty one
    /// does not: a stray `[]` in prose (or in an agent's envelope) is no answer; "nothing to report"
    /// is `{"findings": []}`.
    private static func findingsArray(_ value: JSONValue) -> [JSONValue]? {
        guard case .array(let elements) = value, !elements.isEmpty,
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

    /// For each `{` or `[`, the index of the bracket that closes it when a JSON value starts there
    /// (strings skipped), or -1 when it never closes within `maxValueBytes`; -1 for other bytes.
    ///
    /// Computed from the end: a scan that meets a bracket it is not inside a string for goes on
    /// exactly as that bracket's own scan does, so it jumps to where that one closes (or, when that
    /// one never closes, never closes either). Each unclosed bracket of prose costs a few bytes,
    /// not the rest of the output: the search stays linear in practice.
    static func matchingEnds(_ bytes: [UInt8]) -> [Int32] {
        var ends = [Int32](repeating: -1, count: bytes.count)
        var start = bytes.count - 1
        while start >= 0 {
            let byte = bytes[start]
            if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
                let end = matchingEnd(bytes, from: start, ends: ends)
                ends[start] = Int32(end)
            }
            start -= 1
        }
        return ends
    }

    private static func matchingEnd(_ bytes: [UInt8], from start: Int, ends: [Int32]) -> Int {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        // A value longer than this is not looked for.
        let limit = min(bytes.count, start + maxValueBytes)
        while index < limit {
            let byte = bytes[index]
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
            } else {
                switch byte {
                case UInt8(ascii: "\""): inString = true
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    if index == start {
                        depth += 1
                    } else {
                        // A value nested in this one: it closes where its own scan said.
                        let end = Int(ends[index])
                        guard end >= 0, end < limit else { return -1 }
                        index = end
                    }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index }
                default: break
                }
            }
            index += 1
        }
        return -1
    }
}
