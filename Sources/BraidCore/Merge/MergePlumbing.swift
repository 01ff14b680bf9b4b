import Foundation

/// The git plumbing the merge queue lands with. Nothing here touches a checkout: merges are
/// computed on trees (`merge-tree --write-tree`), commits are made from trees (`commit-tree`),
/// and refs move by compare-and-swap (`update-ref --stdin`, atomic over all its lines).
struct MergePlumbing: Sendable {
    let git: Git

    /// The result of merging two commits without a checkout.
    enum MergeTree: Equatable {
        case clean(tree: String)
        /// The paths git could not merge.
        case conflicted(paths: [String])
    }

    /// `git merge-tree --write-tree`. Its exit status decides (1 = conflict): an empty list of
    /// conflicted paths alone never means clean.
    func mergeTree(_ ours: String, _ theirs: String) throws(GitError) -> MergeTree {
        let result = try git.run(["merge-tree", "--write-tree", "--name-only", "-z", "--", ours, theirs],
                                 context: "merging \(ours.prefix(10)) with \(theirs.prefix(10))", accepting: [0, 1])
        let fields = result.output.split(separator: "\0", omittingEmptySubsequences: false)
        guard let tree = fields.first.map(String.init), WorktreeManager.isObjectID(tree) else {
            throw .commandFailed(context: "merging \(theirs.prefix(10))", arguments: ["merge-tree"], status: result.status,
                                 stderr: "unexpected output: \(result.output.prefix(200))")
        }
        guard result.status == 1 else { return .clean(tree: tree) }
        // After the tree: the conflicted paths, up to an empty field; then git's messages.
        var paths: [String] = []
        for field in fields.dropFirst() {
            if field.isEmpty { break }
            let path = String(field)
            if !paths.contains(path) { paths.append(path) }
        }
        return .conflicted(paths: paths)
    }

    /// A commit of `tree` with `parents`, authored and committed as the repository's configured
    /// identity, or as Braid when it has none. No hook runs: `commit-tree` has none.
    func commitTree(_ tree: String, parents: [String], message: String) throws(GitError) -> String {
        let arguments = ["commit-tree", tree] + parents.flatMap { ["-p", $0] } + ["-F", "-"]
        let context = "making the merge commit"
        do {
            return try git.output(arguments, context: context, input: Data(message.utf8))
                .trimmingCharacters(in: .whitespacesAndNewlines)
        } catch {
            guard case .commandFailed(_, _, _, let stderr) = error,
                  stderr.contains("identity") || stderr.contains("email") || stderr.contains("name") else { throw error }
            return try git.output(["-c", "user.name=Braid", "-c", "user.email=braid@localhost"] + arguments,
                                  context: context, input: Data(message.utf8))
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
    }

    /// Whether the object exists in the repository.
    func exists(_ object: String) -> Bool {
        WorktreeManager.isObjectID(object)
            && (try? git.run(["cat-file", "-e", object], context: "checking \(object.prefix(10))", accepting: [0, 1, 128]).status) == 0
    }

    /// What a merge commit changes on the commit it was made on (`merged`, empty when nothing),
    /// and, when given, what that commit gained since the task's start (`gained`): the two patches
    /// of the revert guard, `-U0 -M`, from one `diff-tree --stdin` of commit pairs.
    struct GuardPatches: Equatable {
        var merged: String
        var gained: String?
    }

    func guardPatches(merge commit: String, onto base: String, since start: String?) throws(GitError) -> GuardPatches {
        // A pair "NEW OLD" is diffed from OLD to NEW; git echoes NEW's id before its patch, and
        // nothing at all when the two trees are equal. NEW differs between the pairs.
        var input = "\(commit) \(base)\n"
        if let start { input += "\(base) \(start)\n" }
        let output = try git.output(["diff-tree", "--stdin", "-p", "-U0", "-M", "--no-color", "--no-ext-diff", "--no-textconv"],
                                    context: "comparing the merge with \(base.prefix(10))", input: Data(input.utf8))
        var sections: [String: [Substring]] = [:]
        var current: String?
        for line in output.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == commit || line == base {
                let header = String(line)
                current = header
                sections[header] = []
            } else if let current {
                sections[current]?.append(line)
            }
        }
        return GuardPatches(merged: sections[commit]?.joined(separator: "\n") ?? "",
                            gained: start.map { _ in sections[base]?.joined(separator: "\n") ?? "" })
    }

    func isAncestor(_ commit: String, of descendant: String) throws(GitError) -> Bool {
        try git.run(["merge-base", "--is-ancestor", commit, descendant], context: "checking ancestry",
                    accepting: [0, 1]).status == 0
    }

    /// One line of an `update-ref --stdin` transaction.
    enum RefChange: Equatable {
        case update(ref: String, new: String, old: String?)
        /// With `old`, only while the ref is still there.
        case delete(ref: String, old: String? = nil)

        var line: String {
            switch self {
            case let .update(ref, new, old): return "update \(ref) \(new)" + (old.map { " \($0)" } ?? "") + "\n"
            case let .delete(ref, old): return "delete \(ref)" + (old.map { " \($0)" } ?? "") + "\n"
            }
        }
    }

    /// Applies all changes or none. Returns false when a ref was not at its expected old value
    /// (someone moved it): the compare-and-swap lost, and nothing changed.
    @discardableResult
    func updateRefs(_ changes: [RefChange], context: String) throws(GitError) -> Bool {
        guard !changes.isEmpty else { return true }
        let result = try git.run(["update-ref", "--stdin"], context: context, accepting: [0, 1, 128],
                                 input: Data(changes.map(\.line).joined().utf8))
        if result.status == 0 { return true }
        if result.errorOutput.contains("but expected") || result.errorOutput.contains("reference already exists")
            || result.errorOutput.contains("unable to resolve reference") {
            return false
        }
        throw .commandFailed(context: context, arguments: ["update-ref", "--stdin"], status: result.status,
                             stderr: result.errorOutput)
    }

    /// The commit on `onto` (after `since`) that already holds the branch's work, recognised by
    /// patch-id (`git patch-id --stable`: the change with whitespace and line numbers ignored),
    /// so that a branch squash-merged before is closed instead of merged twice.
    func commitWithSamePatch(branchStart: String, tip: String, onto: String, since: String) throws(GitError) -> String? {
        let context = "looking for the branch's work on the base branch"
        let branch = try git.output(["diff", "--no-color", "--no-ext-diff", "--no-renames", branchStart, tip, "--"], context: context)
        guard !branch.isEmpty else { return nil }
        let log = try git.output(["log", "--no-merges", "--no-color", "--no-ext-diff", "--no-renames", "-p",
                                  "--format=commit %H", "\(since)..\(onto)", "--"], context: context)
        guard !log.isEmpty else { return nil }
        let marker = String(repeating: "0", count: tip.count)
        let input = "commit \(marker)\n" + branch + (branch.hasSuffix("\n") ? "" : "\n") + log
        let ids = try git.output(["patch-id", "--stable"], context: context, input: Data(input.utf8))
        var branchID: Substring?
        var commits: [(Substring, Substring)] = []
        for line in ids.split(separator: "\n") {
            let parts = line.split(separator: " ")
            guard parts.count == 2 else { continue }
            if parts[1] == marker { branchID = parts[0] } else { commits.append((parts[0], parts[1])) }
        }
        guard let branchID else { return nil }
        return commits.first { $0.0 == branchID }.map { String($0.1) }
    }
}
