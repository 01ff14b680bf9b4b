/// `braid:changelog`: the change tells users what it changed, either in the changelog or in its
/// commit subject.
///
/// It passes when the change adds a non-blank line to the changelog file, or, with
/// `conventionalCommits` (the default), when the task's title is a Conventional Commit subject
/// (the merge queue lands the task with its title as the subject) or every commit of the
/// agent's own on the branch has one. Braid's own commits of work an agent left uncommitted
/// (`Braid: #12 …`) are not the agent's, and are not counted.
public enum ChangelogCheck {
    public static func evaluate(addedChangelogLines: [String], file: String, conventionalCommits: Bool,
                                taskTitle: String, subjects: [String]) -> CheckVerdict {
        let entries = addedChangelogLines.filter { !$0.allSatisfy(\.isWhitespace) }
        if !entries.isEmpty {
            return .pass("\(file) gains \(entries.count) line\(entries.count == 1 ? "" : "s").")
        }
        let own = subjects.filter { !$0.hasPrefix("Braid: #") }
        if conventionalCommits {
            if ConventionalCommit.isConventional(taskTitle) {
                return .pass("The task's title is a Conventional Commit subject: \(taskTitle)")
            }
            if !own.isEmpty && own.allSatisfy(ConventionalCommit.isConventional) {
                return .pass("Every commit subject is a Conventional Commit: \(own.joined(separator: "; "))")
            }
        }
        var lines = ["The change adds no entry to \(file)."]
        if conventionalCommits {
            let offending = own.filter { !ConventionalCommit.isConventional($0) }
            lines.append(own.isEmpty
                ? "Its commits are Braid's own, and the task's title (\(taskTitle)) is not a Conventional Commit subject either."
                : "Not every commit subject is a Conventional Commit: " + offending.map { "\"\($0)\"" }.joined(separator: ", ") + ".")
            lines.append("Add a line to \(file) under the unreleased section, or commit with subjects like "
                         + "\"feat: add X\", \"fix(parser): Y\", \"feat!: Z\" (types: \(ConventionalCommit.types.sorted().joined(separator: ", "))).")
        } else {
            lines.append("Add a line to \(file) under the unreleased section describing the change for users.")
        }
        return .fail(lines.joined(separator: "\n"))
    }
}
