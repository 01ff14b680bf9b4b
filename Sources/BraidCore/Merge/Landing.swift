import Foundation

/// Moves the base branch to a gated commit, the one way that is right for where it is checked out.
///
/// - Checked out nowhere: `update-ref` compare-and-swap, together with the pins to drop, in one
///   atomic transaction.
/// - Checked out in a worktree (usually the user's own checkout): `git merge --ff-only` there,
///   since moving the ref alone would leave that checkout showing the landing as a reverse diff.
///   git never overwrites local changes: when a change of the user's is in a file the
///   fast-forward would touch, nothing lands, and the queue waits.
struct Landing: Sendable {
    let git: Git
    let plumbing: MergePlumbing
    let baseBranch: String

    enum Outcome: Equatable {
        /// `refsDone`: the other ref changes asked for were made too.
        case landed(refsDone: Bool)
        /// The base branch is no longer at the commit the landing was built on.
        case moved
        /// Local changes in `checkout` would be touched by the fast-forward: the user must commit
        /// or stash them first.
        case blockedByLocalChanges(checkout: String, paths: [String])
    }

    var baseRef: String { "refs/heads/\(baseBranch)" }

    /// Moves the base branch from `old` to `commit`, and makes the `along` ref changes with it when
    /// they can be made (in the same transaction, when the base is checked out nowhere); when one of
    /// them cannot, the base still moves, and `refsDone` is false.
    func land(_ commit: String, over old: String, along: [MergePlumbing.RefChange]) throws(GitError) -> Outcome {
        let context = "landing on \(baseBranch)"
        let move = MergePlumbing.RefChange.update(ref: baseRef, new: commit, old: old)
        guard let checkout = try checkoutHoldingBase() else {
            guard !along.isEmpty else {
                return try plumbing.updateRefs([move], context: context) ? .landed(refsDone: false) : .moved
            }
            // Whatever kept the other refs from changing (one moved, a lock left behind), the base
            // still lands by itself while it is where the landing was built.
            if (try? plumbing.updateRefs([move] + along, context: context)) == true { return .landed(refsDone: true) }
            guard try git.commit(of: baseRef, context: context) == old else { return .moved }
            return try plumbing.updateRefs([move], context: context) ? .landed(refsDone: false) : .moved
        }
        guard try git.commit(of: baseRef, context: context) == old else { return .moved }
        // No automatic maintenance (gc) in the middle of a landing: the user's own git runs it.
        let result = try git.at(checkout).run(["-c", "maintenance.auto=false", "-c", "gc.auto=0",
                                               "merge", "--ff-only", "--quiet", "--no-verify", "--no-edit", commit],
                                              context: context, accepting: [0, 1, 128])
        if result.status != 0 {
            let paths = Self.overwrittenPaths(result.errorOutput)
            if !paths.isEmpty { return .blockedByLocalChanges(checkout: checkout.path, paths: paths) }
            if result.errorOutput.contains("Not possible to fast-forward") || result.errorOutput.contains("not possible to fast-forward") {
                return .moved
            }
            throw .commandFailed(context: context, arguments: ["merge", "--ff-only", commit], status: result.status,
                                 stderr: result.errorOutput)
        }
        // The checkout switched branches between the check and the merge: what moved is not ours to say.
        guard try git.commit(of: baseRef, context: context) == commit else {
            throw .commandFailed(context: context, arguments: ["merge", "--ff-only", commit], status: 0,
                                 stderr: "\(checkout.path) no longer has \(baseBranch) checked out; the fast-forward went to its current branch")
        }
        return .landed(refsDone: (try? plumbing.updateRefs(along, context: "unpinning landed tips")) ?? false)
    }

    /// The folder of the worktree that has the base branch checked out, if any. Read from git's
    /// own files when the checkout's `.git` is a folder (sparing a process per landing), else
    /// from `git worktree list`.
    func checkoutHoldingBase() throws(GitError) -> URL? {
        let dotGit = git.repository.appendingPathComponent(".git")
        let head = "ref: \(baseRef)"
        guard WorktreeInfo.directoryExists(dotGit.path) else {
            let text = try git.output(["worktree", "list", "--porcelain", "-z"], context: "finding where \(baseBranch) is checked out")
            return WorktreeInfo.parsePorcelain(text).first { $0.branch == baseBranch && !$0.isBare }?.path
        }
        func reads(_ file: URL) -> String? {
            (try? String(contentsOf: file, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        if reads(dotGit.appendingPathComponent("HEAD")) == head { return git.repository }
        let worktrees = dotGit.appendingPathComponent("worktrees")
        for name in (try? FileManager.default.contentsOfDirectory(atPath: worktrees.path)) ?? [] {
            let admin = worktrees.appendingPathComponent(name)
            guard reads(admin.appendingPathComponent("HEAD")) == head,
                  let gitFile = reads(admin.appendingPathComponent("gitdir")) else { continue }
            let folder = URL(fileURLWithPath: gitFile).deletingLastPathComponent()
            if WorktreeInfo.directoryExists(folder.path) { return folder }
        }
        return nil
    }

    /// The files git lists after "would be overwritten by merge" (local changes or untracked files).
    static func overwrittenPaths(_ stderr: String) -> [String] {
        var paths: [String] = []
        var listing = false
        for line in stderr.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.contains("would be overwritten by merge") {
                listing = true
            } else if listing, line.hasPrefix("\t") {
                paths.append(line.trimmingCharacters(in: .whitespaces))
            } else {
                listing = false
            }
        }
        return paths
    }
}

/// The queue's own checkout, where merged results are gated: a detached, locked worktree at
/// `.braid/integration`, never a task's and never the user's.
struct IntegrationWorktree: Sendable {
    let manager: WorktreeManager
    let path: URL

    /// Puts `commit` in the folder, exactly: tracked files as committed, untracked files left by
    /// an earlier gate removed (ignored ones, such as build caches, are kept).
    func checkOut(_ commit: String) throws(GitError) {
        let context = "checking out the merged result"
        if !WorktreeManager.entryExists(path.appendingPathComponent(".git")) {
            try create(commit, context: context)
            return
        }
        let git = manager.git.at(path)
        try git.run(["checkout", "--quiet", "--detach", "--force", commit], context: context)
        try git.run(["clean", "-ffdq"], context: context)
    }

    private func create(_ commit: String, context: String) throws(GitError) {
        if WorktreeManager.entryExists(path) {
            try manager.remove(path: path, branch: nil, deleteBranch: false)
            try? FileManager.default.removeItem(at: path)
        }
        // Not something for `git status` of the user's checkout to offer.
        let top = manager.git.repository.path
        if path.path.hasPrefix(top + "/"),
           let pattern = ExcludeFile.pattern(for: String(path.path.dropFirst(top.count + 1)), directoryOnly: true) {
            try ExcludeFile(url: try manager.commonDirectory(context: context).appendingPathComponent("info/exclude"))
                .ensure([pattern], context: context)
        }
        try manager.git.run(["worktree", "prune"], context: context)
        try manager.git.run(["worktree", "add", "--quiet", "--detach", "--lock", "--", path.path, commit], context: context)
        _ = try manager.share(into: path, context: context)
    }

    /// The folder's `index.lock`, which a gate or checkout killed with Braid may leave behind.
    func indexLock() -> URL? {
        guard let text = try? String(contentsOf: path.appendingPathComponent(".git"), encoding: .utf8),
              text.hasPrefix("gitdir: ") else { return nil }
        let dir = text.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return URL(fileURLWithPath: dir).appendingPathComponent("index.lock")
    }
}
