import Foundation
import JSON

/// `braid:acceptance`: every acceptance criterion of the task (a `- [ ]` item in its body) is
/// reported done by the agent.
///
/// The agent reports a criterion done by writing it ticked, word for word, in its output:
/// `- [x] <the criterion's text>` (`*` or `+` for the `-`, `X` for the `x`; case, spacing and a
/// final period do not matter). Its output is the session's log: plain text, and the string
/// values of JSON lines (Claude's and Codex's JSON output carry the final message there). Criteria
/// already ticked on the board are done. The prompt tells the agent to end with that list when
/// this step is configured.
public enum AcceptanceCheck {
    public static func evaluate(criteria: [BoardTask.Criterion], report: String) -> CheckVerdict {
        let open = criteria.filter { !$0.isChecked }
        guard !open.isEmpty else {
            return .pass(criteria.isEmpty ? "The task has no acceptance criteria." : "Every acceptance criterion is ticked on the board.")
        }
        let ticked = tickedItems(in: report)
        let missing = open.filter { !ticked.contains(normalize($0.text)) }
        guard missing.isEmpty else {
            return .fail("Not reported done (\(missing.count) of \(open.count)):\n"
                         + missing.map { "- [ ] \($0.text)" }.joined(separator: "\n")
                         + "\nMeet each criterion, then end your final message with it ticked, word for word: \"- [x] <criterion>\".")
        }
        return .pass("The agent reports all \(open.count) acceptance criteri\(open.count == 1 ? "on" : "a") done.")
    }

    /// The normalized texts of the ticked items (`- [x] …`) in the report.
    static func tickedItems(in report: String) -> Set<String> {
        var items = Set<String>()
        for line in lines(of: report) {
            var rest = line.drop { $0 == " " || $0 == "\t" || $0 == ">" }
            guard let marker = rest.first, marker == "-" || marker == "*" || marker == "+" else { continue }
            rest = rest.dropFirst().drop { $0 == " " || $0 == "\t" }
            guard rest.hasPrefix("[x]") || rest.hasPrefix("[X]") else { continue }
            items.insert(normalize(String(rest.dropFirst(3))))
        }
        return items
    }

    /// The report's lines, with the lines of every string in its JSON lines.
    static func lines(of report: String) -> [Substring] {
        var lines: [Substring] = []
        for line in report.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline) {
            lines.append(line)
            let trimmed = line.drop { $0 == " " || $0 == "\t" }
            guard trimmed.hasPrefix("{") || trimmed.hasPrefix("["), trimmed.contains("[x]") || trimmed.contains("[X]"),
                  let value = try? JSONParser.parse(String(trimmed)) else { continue }
            for text in strings(in: value) {
                lines += text.split(omittingEmptySubsequences: true, whereSeparator: \.isNewline)
            }
        }
        return lines
    }

    private static func strings(in value: JSONValue) -> [String] {
        switch value {
        case .string(let text): return [text]
        case .array(let elements): return elements.flatMap(strings)
        case .object(let members): return members.values.flatMap(strings)
        default: return []
        }
    }

    /// Lower case, runs of blanks as one space, no blank or final period at either end, and no
    /// backticks (an agent may quote the criterion as code).
    static func normalize(_ text: String) -> String {
        var words = text.lowercased().replacingOccurrences(of: "`", with: "").split(whereSeparator: \.isWhitespace).joined(separator: " ")
        while words.hasSuffix(".") { words.removeLast() }
        return words
    }
}
