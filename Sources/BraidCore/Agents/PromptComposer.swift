/// Writes the prompt an agent gets for a task: what to do, when it is done, the repository's
/// conventions, and on a retry why the last try failed.
///
/// The output is Markdown, a pure function of its inputs (tests compare it as text), ends with one
/// line break, and starts with `# Task`, so that no tool can read it as an option.
public enum PromptComposer {
    /// Each piece of retry feedback keeps at most its last this many bytes.
    public static let feedbackLimit = 8 * 1024

    /// - Parameters:
    ///   - conventions: the repository's `AGENTS.md` or `CLAUDE.md` (`ConventionsFile.read(in:)`).
    ///   - gateSteps: the gate's commands as a person would type them, shown so the agent can run
    ///     them itself; the line saying the gate must pass is there either way.
    ///   - retry: set from the second try on.
    ///   - reportCriteria: the gate checks that the agent reports each criterion done
    ///     (`braid:acceptance`): the prompt says how.
    public static func compose(task: BoardTask, conventions: ConventionsFile? = nil, gateSteps: [String] = [],
                               retry: RetryFeedback? = nil, feedbackLimit: Int = feedbackLimit,
                               reportCriteria: Bool = false) -> String {
        var sections: [String] = []

        var heading = "# Task"
        if let id = task.id { heading += " #\(id)" }
        sections.append(heading + ": " + oneLine(task.title))

        let description = trimBlankLines(task.descriptionLines)
        if !description.isEmpty { sections.append(description.joined(separator: "\n")) }
        for block in task.fencedBlocks {
            let fence = fence(for: block.contents, minimum: 3)
            sections.append(fence + block.info + "\n" + block.contents + fence)
        }

        if !task.criteria.isEmpty {
            sections.append("## Acceptance criteria")
            sections.append(task.criteria.map { "- [\($0.isChecked ? "x" : " ")] \(oneLine($0.text))" }.joined(separator: "\n"))
            if reportCriteria {
                sections.append("When you are done, end your final message with this list, each criterion you met ticked "
                                + "(`- [x] ` and its text, word for word): the gate checks that every one is reported done.")
            }
        }

        if !task.touches.isEmpty {
            sections.append("## Scope")
            sections.append("This task is expected to change only: " + task.touches.map(codeSpan).joined(separator: ", ") + ".")
        }

        sections.append("## Done means")
        var done = "Done means: the project's gate passes. Braid runs it on your branch, and again once your work "
            + "is merged; an agent exiting successfully is not enough."
        if !gateSteps.isEmpty {
            done += " The gate runs:\n" + gateSteps.map { "- " + codeSpan(oneLine($0)) }.joined(separator: "\n")
        }
        sections.append(done)

        if let conventions {
            sections.append("## Repository conventions (from \(oneLine(conventions.name)))")
            var text = trimmed(conventions.text)
            if conventions.omittedBytes > 0 {
                text += "\n\n[… \(conventions.name) continues for \(conventions.omittedBytes) more bytes, not shown]"
            }
            sections.append(text)
        }

        if let retry, retry.sentBack {
            sections.append("## Your work was sent back")
            sections.append("Its gate passed, but it was reviewed and needs changes. Your earlier changes are still in "
                            + "this folder: change what is asked below rather than starting over.")
        } else if let retry {
            sections.append("## Previous try failed")
            sections.append("This is try \(retry.attempt). Your earlier changes are still in this folder: "
                            + "fix what failed rather than starting over.")
        }
        if let retry {
            if let summary = bounded(retry.gateSummary, limit: feedbackLimit) {
                sections.append("### Gate output")
                let fence = fence(for: summary, minimum: 3)
                sections.append(fence + "\n" + summary + "\n" + fence)
            }
            if let guidance = bounded(retry.guidance, limit: feedbackLimit) {
                sections.append("### Guidance from a person")
                sections.append(guidance)
            }
        }

        return sections.joined(separator: "\n\n") + "\n"
    }

    /// The last `limit` bytes of `text`, line breaks as `\n`, blank edges removed, a cut marked;
    /// nil when nothing is left.
    static func bounded(_ text: String?, limit: Int) -> String? {
        guard let text else { return nil }
        let normalized = trimmed(text.replacingCRLF())
        guard !normalized.isEmpty else { return nil }
        let (kept, cut) = TextBounds.tail(normalized, maxBytes: limit)
        return cut > 0 ? "[… \(cut) earlier bytes cut …]\n" + kept : kept
    }

    /// A backtick fence longer than any run of backticks in `text`.
    static func fence(for text: String, minimum: Int) -> String {
        String(repeating: "`", count: max(minimum, longestBacktickRun(in: text) + 1))
    }

    /// `text` as inline code, whatever backticks it holds.
    static func codeSpan(_ text: String) -> String {
        let ticks = String(repeating: "`", count: longestBacktickRun(in: text) + 1)
        let pad = text.hasPrefix("`") || text.hasSuffix("`") ? " " : ""
        return ticks + pad + text + pad + ticks
    }

    private static func longestBacktickRun(in text: String) -> Int {
        var longest = 0
        var run = 0
        for scalar in text.unicodeScalars {
            run = scalar == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        return longest
    }

    private static func trimBlankLines(_ lines: [String]) -> [String] {
        let isBlank: (String) -> Bool = { $0.allSatisfy(\.isWhitespace) }
        guard let first = lines.firstIndex(where: { !isBlank($0) }),
              let last = lines.lastIndex(where: { !isBlank($0) }) else { return [] }
        return Array(lines[first...last])
    }

    /// Without blank lines at either end, and without trailing spaces on the last line.
    private static func trimmed(_ text: String) -> String {
        trimBlankLines(text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init))
            .joined(separator: "\n")
            .replacingTrailingWhitespace()
    }

    private static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}

private extension String {
    func replacingCRLF() -> String {
        // `\r\n` is one Character in Swift: split on it directly.
        split(separator: "\r\n", omittingEmptySubsequences: false).joined(separator: "\n")
    }

    func replacingTrailingWhitespace() -> String {
        var text = self
        while let last = text.last, last.isWhitespace { text.removeLast() }
        return text
    }
}
