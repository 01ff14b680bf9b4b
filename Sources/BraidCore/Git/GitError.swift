import Foundation

/// Why a git operation failed, with what Braid was doing at the time.
///
/// `description` is one line a user can act on: the context first ("creating worktree for #12"),
/// then what failed and, where git said why, the first lines of git's own words.
public enum GitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// git itself is not installed, or not on `PATH`.
    case gitNotFound(context: String)
    /// git, or a file operation around it, could not be started or carried out.
    case launchFailed(context: String, reason: String)
    /// The folder does not exist or is not inside a git repository.
    case notARepository(context: String, path: String)
    /// git ran and exited non-zero. `arguments` leave out `-C <repository>`.
    case commandFailed(context: String, arguments: [String], status: Int32, stderr: String)
    /// git ran past its time limit and was stopped.
    case timedOut(context: String, arguments: [String], seconds: Double)
    /// A branch or other ref that the operation needs does not exist.
    case refNotFound(context: String, ref: String, repository: String)
    /// A branch name given to Braid (the base branch, or a branch to delete) that git would refuse
    /// or could read as an option.
    case invalidBranchName(context: String, name: String)
    /// A task number below zero: branch and folder names start with it.
    case invalidTaskID(Int)
    /// A configured path that would leave the repository (absolute, or with `..`).
    case unsafePath(context: String, path: String, reason: String)
    /// A file operation on a worktree (a symlink, a copy, the exclude file) failed.
    case fileOperationFailed(context: String, path: String, reason: String)
    /// A commit id handed to Braid (a stored start commit) that is not a full hexadecimal id.
    case invalidObjectID(context: String, value: String)
    /// Every name tried for a task's branch or folder was taken.
    case nameTaken(context: String, name: String, attempts: Int)

    public var description: String {
        switch self {
        case .gitNotFound(let context):
            return "\(context): git is not installed or not on PATH; install git and try again"
        case .launchFailed(let context, let reason):
            return "\(context): could not run git: \(Self.oneLine(reason))"
        case .notARepository(let context, let path):
            return "\(context): \(Self.oneLine(path)) is not a git repository; "
                + "run Braid in a git checkout (or `git init` it first)"
        case .commandFailed(let context, let arguments, let status, let stderr):
            let said = Self.oneLine(stderr)
            return "\(context): \(Self.commandLine(arguments)) failed (exit \(status))"
                + (said.isEmpty ? "" : ": \(said)")
        case .timedOut(let context, let arguments, let seconds):
            return "\(context): \(Self.commandLine(arguments)) did not finish within "
                + "\(Self.formatSeconds(seconds)) s and was stopped; check the network and the remote"
        case .refNotFound(let context, let ref, let repository):
            return "\(context): no \(Self.describeRef(ref)) in \(Self.oneLine(repository)); "
                + "create it, or configure a base branch that exists"
        case .invalidBranchName(let context, let name):
            return "\(context): \(Self.quote(name)) is not a valid branch name"
        case .invalidTaskID(let id):
            return "task #\(id): task numbers must be zero or more"
        case .unsafePath(let context, let path, let reason):
            return "\(context): refusing path \(Self.quote(path)): \(reason)"
        case .fileOperationFailed(let context, let path, let reason):
            return "\(context): \(Self.oneLine(path)): \(Self.oneLine(reason))"
        case .invalidObjectID(let context, let value):
            return "\(context): \(Self.quote(value)) is not a full commit id"
        case .nameTaken(let context, let name, let attempts):
            return "\(context): \(name) and its next \(attempts - 1) numbered variants are all taken; "
                + "prune old worktrees and branches, then try again"
        }
    }

    /// What Braid was doing when this happened.
    public var context: String {
        switch self {
        case .gitNotFound(let context), .launchFailed(let context, _), .notARepository(let context, _),
             .commandFailed(let context, _, _, _), .timedOut(let context, _, _), .refNotFound(let context, _, _),
             .invalidBranchName(let context, _), .unsafePath(let context, _, _),
             .fileOperationFailed(let context, _, _), .invalidObjectID(let context, _),
             .nameTaken(let context, _, _):
            return context
        case .invalidTaskID(let id):
            return "task #\(id)"
        }
    }

    /// git's stderr can run to many lines (progress, hints, usage): its `fatal:` and `error:` lines
    /// when it has any, else its first lines, three at most, joined, carry the cause without
    /// flooding a status line. Control characters cannot break the line.
    static func oneLine(_ text: String, maxLines: Int = 3, maxLength: Int = 400) -> String {
        let all = text.split(whereSeparator: \.isNewline)
            .map { $0.trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty }
        let errors = all.filter { $0.hasPrefix("fatal:") || $0.hasPrefix("error:") }
        let lines = errors.isEmpty ? all : errors
        var joined = lines.prefix(maxLines).joined(separator: " ")
        if lines.count > maxLines { joined += " …" }
        joined = String(joined.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : Character($0) })
        if joined.count > maxLength { joined = String(joined.prefix(maxLength)) + "…" }
        return joined
    }

    /// `git <args>` as a person would type it, quoting what a shell would split or expand.
    static func commandLine(_ arguments: [String]) -> String {
        (["git"] + arguments.map(quote)).joined(separator: " ")
    }

    /// One argument as a shell would need it to stay one word; control characters are shown
    /// escaped so that a hostile name cannot break the line, and very long ones are cut.
    static func quote(_ argument: String) -> String {
        let plain = !argument.isEmpty && argument.unicodeScalars.allSatisfy {
            ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0)
                || "-_./=:@+,^{}%".unicodeScalars.contains($0)
        }
        if plain { return argument }
        var escaped = ""
        for scalar in argument.unicodeScalars.prefix(200) {
            switch scalar {
            case "'": escaped += #"'\''"#
            case "\n": escaped += #"\n"#
            case "\t": escaped += #"\t"#
            default:
                escaped += scalar.properties.generalCategory == .control
                    ? "\\u{\(String(scalar.value, radix: 16))}" : String(scalar)
            }
        }
        if argument.unicodeScalars.count > 200 { escaped += "…" }
        return "'\(escaped)'"
    }

    private static func describeRef(_ ref: String) -> String {
        if ref.hasPrefix("refs/heads/") { return "branch \(quote(String(ref.dropFirst("refs/heads/".count))))" }
        if ref.hasPrefix("refs/remotes/") { return "remote branch \(quote(String(ref.dropFirst("refs/remotes/".count))))" }
        return "ref \(quote(ref))"
    }

    private static func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(format: "%.1f", seconds)
    }
}
