/// What a reviewer is told: only the task, the diff and the repository's conventions. Never the
/// builder's log or prompt: a reviewer that shares the builder's context shares its blind spots.
public enum ReviewPrompt {
    public static func compose(task: BoardTask, diff: String, conventions: ConventionsFile?, maxDiffBytes: Int) -> String {
        var sections: [String] = []
        sections.append("# Review" + (task.id.map { " of task #\($0)" } ?? "") + ": " + task.title.split(whereSeparator: \.isNewline).joined(separator: " "))
        sections.append("""
            You are reviewing another agent's change with fresh eyes. Its tests already pass. Look for what \
            tests miss: wrong behaviour for the task as written, unhandled cases, security problems, data \
            loss, broken conventions, missing documentation. Do not change any file.
            """)
        let description = task.descriptionLines.joined(separator: "\n").trimmingCharacters(in: .whitespacesAndNewlines)
        if !description.isEmpty { sections.append("## The task\n\n" + description) }
        if !task.criteria.isEmpty {
            sections.append("## Acceptance criteria\n\n" + task.criteria.map { "- [\($0.isChecked ? "x" : " ")] \($0.text)" }.joined(separator: "\n"))
        }
        if let conventions {
            sections.append("## The repository's conventions (\(conventions.name))\n\n" + conventions.text)
        }
        var shown = diff
        var note = ""
        if diff.utf8.count > maxDiffBytes {
            shown = String(decoding: diff.utf8.prefix(maxDiffBytes), as: UTF8.self)
            note = "\n(The diff is cut after \(maxDiffBytes) bytes of \(diff.utf8.count).)"
        }
        let fence = shown.contains("```") ? "~~~~" : "```"
        sections.append("## The change\n\n" + fence + "diff\n" + shown + (shown.hasSuffix("\n") ? "" : "\n") + fence + note)
        sections.append("""
            ## Your answer

            Print your findings as JSON, and nothing you print after it may look like JSON:

            \(ReviewParser.schema)

            `severity` is one of info, low, medium, high, critical; `file` and `line` name where, in the new \
            version of the file; `suggestedFix` says how to fix it. With nothing to report, print {"findings": []}.
            """)
        return sections.joined(separator: "\n\n") + "\n"
    }
}
