import Foundation

/// One repository, or one worktree of it, and the git commands Braid runs there.
///
/// Every call is `git -C <repository> <arguments>` through `CommandRunner`: an argv, never a shell.
/// Runs are made predictable whatever the user's environment: messages in English (`LC_ALL=C`) so
/// that the few that are recognised stay recognisable, no prompt for credentials that would hang a
/// daemon (`GIT_TERMINAL_PROMPT=0`), no optional lock that would contend with an agent's own git
/// (`GIT_OPTIONAL_LOCKS=0`), and none of the variables with which a hook or a shell points git at
/// another repository than `-C` says.
public struct Git: Sendable {
    /// The folder git runs in (`-C`): a checkout, a worktree, or any folder inside one.
    public let repository: URL
    /// A path, or a name looked up on `PATH`.
    public let executable: String
    /// Applied to each command that does not give its own; nil for none. Generous, because a
    /// worktree checkout of a large repository is slow; it is a guard against hangs, not a budget.
    public var timeLimit: Duration?

    public init(repository: URL, executable: String = "git", timeLimit: Duration? = .seconds(300)) {
        self.repository = repository.standardizedFileURL
        self.executable = executable
        self.timeLimit = timeLimit
    }

    /// The same git, run in another folder (a task's worktree).
    public func at(_ directory: URL) -> Git {
        Git(repository: directory, executable: executable, timeLimit: timeLimit)
    }

    static let environment = ["LC_ALL": "C", "GIT_TERMINAL_PROMPT": "0", "GIT_OPTIONAL_LOCKS": "0"]

    /// Variables that would make git look at another repository, index or object store than the
    /// one given with `-C`; a git hook that starts Braid has several of them set.
    static let redirectingVariables: Set<String> = [
        "GIT_DIR", "GIT_WORK_TREE", "GIT_INDEX_FILE", "GIT_COMMON_DIR", "GIT_OBJECT_DIRECTORY",
        "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_NAMESPACE", "GIT_PREFIX",
    ]

    /// Runs git and returns how it ended, when its exit status is one of `accepting`.
    ///
    /// - Parameters:
    ///   - context: what Braid is doing, for the error ("creating worktree for #12").
    ///   - accepting: the statuses that are answers, not failures (`show-ref --quiet` answers 1).
    ///   - environment: added for this run only (a scratch `GIT_INDEX_FILE`).
    @discardableResult
    public func run(_ arguments: [String], context: String, accepting: Set<Int32> = [0],
                    input: Data? = nil, environment: [String: String] = [:],
                    timeLimit: Duration? = nil) throws(GitError) -> CommandResult {
        let command = Command(executable, ["-C", repository.path] + arguments,
                              environment: Self.environment.merging(environment) { _, added in added },
                              unsetEnvironment: Self.redirectingVariables,
                              standardInput: input,
                              timeLimit: timeLimit ?? self.timeLimit)
        let result: CommandResult
        do {
            result = try CommandRunner.run(command)
        } catch {
            switch error {
            case .executableNotFound: throw .gitNotFound(context: context)
            case .launchFailed(_, let reason): throw .launchFailed(context: context, reason: reason)
            }
        }
        if result.timedOut {
            throw .timedOut(context: context, arguments: arguments,
                            seconds: (timeLimit ?? self.timeLimit)?.seconds ?? 0)
        }
        if result.status == 128 && !result.terminatedBySignal && Self.saysNotARepository(result.errorOutput) {
            throw .notARepository(context: context, path: repository.path)
        }
        guard !result.terminatedBySignal, accepting.contains(result.status) else {
            let status = result.terminatedBySignal ? 128 + result.status : result.status
            throw .commandFailed(context: context, arguments: arguments, status: status,
                                 stderr: result.errorOutput)
        }
        return result
    }

    /// Runs git and returns its standard output; any exit status but 0 is an error.
    @discardableResult
    public func output(_ arguments: [String], context: String, input: Data? = nil,
                       environment: [String: String] = [:], timeLimit: Duration? = nil) throws(GitError) -> String {
        try run(arguments, context: context, input: input, environment: environment, timeLimit: timeLimit).output
    }

    /// The commit `ref` names, or nil when there is no such ref. `ref` should be a full ref
    /// (`refs/heads/main`) or an object id; either way `--end-of-options` keeps it from being read
    /// as an option.
    public func commit(of ref: String, context: String) throws(GitError) -> String? {
        if let commit = branchTipFromFiles(ref) { return commit }
        let result = try run(["rev-parse", "--verify", "--quiet", "--end-of-options", "\(ref)^{commit}"],
                             context: context, accepting: [0, 1])
        let commit = result.output.trimmingCharacters(in: .whitespacesAndNewlines)
        return result.status == 0 && !commit.isEmpty ? commit : nil
    }

    /// A branch's tip read from git's own ref files, sparing a process (a fifth of what creating a
    /// worktree costs on a small repository). Only for `refs/heads/…` and `refs/remotes/…` (which
    /// always point at commits), in a checkout whose `.git` is a folder using the files backend;
    /// a loose ref wins over `packed-refs`, as in git. Anything unusual answers nil, and git is asked.
    func branchTipFromFiles(_ ref: String) -> String? {
        guard ref.hasPrefix("refs/heads/") || ref.hasPrefix("refs/remotes/"),
              !ref.contains(".."), !ref.contains("\0") else { return nil }
        let dotGit = repository.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory), isDirectory.boolValue,
              !FileManager.default.fileExists(atPath: dotGit.appendingPathComponent("reftable").path) else { return nil }
        func objectID(_ text: Substring) -> String? {
            let id = text.trimmingCharacters(in: .whitespacesAndNewlines)
            return (id.count == 40 || id.count == 64) && id.allSatisfy(\.isHexDigit) ? id.lowercased() : nil
        }
        if let loose = try? String(contentsOf: dotGit.appendingPathComponent(ref), encoding: .utf8) {
            return objectID(Substring(loose))
        }
        guard let packed = try? String(contentsOf: dotGit.appendingPathComponent("packed-refs"), encoding: .utf8) else { return nil }
        for line in packed.split(whereSeparator: \.isNewline) where !line.hasPrefix("#") && !line.hasPrefix("^") {
            let parts = line.split(separator: " ", maxSplits: 1)
            if parts.count == 2, parts[1] == ref { return objectID(parts[0]) }
        }
        return nil
    }

    /// Whether the full ref (`refs/heads/braid/12-x`) exists.
    public func refExists(_ ref: String, context: String) throws(GitError) -> Bool {
        try run(["show-ref", "--verify", "--quiet", ref], context: context, accepting: [0, 1]).status == 0
    }

    /// The repository's remotes, in git's order.
    public func remotes(context: String) throws(GitError) -> [String] {
        try output(["remote"], context: context).split(whereSeparator: \.isNewline).map(String.init)
    }

    /// False only when the repository's own config file certainly names no remote, so that the
    /// common offline case is spared `git remote` (a process, about a tenth of what creating a
    /// worktree costs). Whatever could hide a remote from this reading (an `[include]`, an
    /// unreadable file, a checkout whose `.git` is not a folder) answers true, and git is asked.
    /// A remote defined only in the user's global config is not seen.
    public func configMayNameRemotes() -> Bool {
        let dotGit = repository.appendingPathComponent(".git")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory), isDirectory.boolValue,
              let config = try? String(contentsOf: dotGit.appendingPathComponent("config"), encoding: .utf8)
        else { return true }
        for line in config.split(whereSeparator: \.isNewline) {
            let header = line.drop { $0 == " " || $0 == "\t" }.prefix(8).lowercased()
            if header.hasPrefix("[remote") || header.hasPrefix("[include") { return true }
        }
        return false
    }

    /// Whether git accepts `name` as a branch name (`git check-ref-format --branch`), which also
    /// rules out a leading `-`.
    public func isValidBranchName(_ name: String) throws(GitError) -> Bool {
        try run(["check-ref-format", "--branch", name], context: "checking branch name",
                accepting: [0, 1, 128]).status == 0
    }

    /// git's words, in the C locale, for "there is no repository here" (and for `-C` to a folder
    /// that does not exist).
    static func saysNotARepository(_ stderr: String) -> Bool {
        stderr.contains("not a git repository") || stderr.contains("fatal: cannot change to")
    }
}
