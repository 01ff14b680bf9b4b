import Foundation

extension WorktreeManager {
    /// The repository's worktrees as git lists them: those under the worktree root, or `all`
    /// (the main checkout and any the user made too).
    public func list(all: Bool = false) throws(GitError) -> [WorktreeInfo] {
        let text = try git.output(["worktree", "list", "--porcelain", "-z"], context: "listing worktrees")
        let entries = WorktreeInfo.parsePorcelain(text)
        return all ? entries : entries.filter { isUnderRoot($0.path) }
    }

    /// Removes a task's worktree, uncommitted changes and all, and its branch when asked.
    public func remove(_ worktree: TaskWorktree, deleteBranch: Bool = true) throws(GitError) {
        try remove(path: worktree.path, branch: worktree.branch, deleteBranch: deleteBranch)
    }

    /// Removes the worktree at `path` (`git worktree remove --force`, twice forced when it is
    /// locked), then `branch` when asked. Removing what is already gone succeeds, so that a
    /// cleanup interrupted half-way can simply be run again.
    public func remove(path: URL, branch: String?, deleteBranch: Bool = true) throws(GitError) {
        let context = "removing worktree \(path.lastPathComponent)"
        let target = path.standardizedFileURL
        guard target.isFileURL, target.path.hasPrefix("/") else {
            throw .unsafePath(context: context, path: path.path, reason: "a worktree path must be absolute")
        }
        if deleteBranch, let branch, !BranchName.isValid(branch) {
            throw .invalidBranchName(context: context, name: branch)
        }
        do {
            try git.run(["worktree", "remove", "--force", "--", target.path], context: context)
        } catch {
            guard case .commandFailed = error else { throw error }
            let entry = try list(all: true).first { $0.path.standardizedFileURL.path == target.path }
            if let entry, entry.isLocked {
                try git.run(["worktree", "remove", "--force", "--force", "--", target.path], context: context)
            } else if entry == nil {
                // Not (or no longer) a worktree: only a leftover folder of ours may be deleted.
                if Self.entryExists(target) && isUnderRoot(target) {
                    do {
                        try FileManager.default.removeItem(at: target)
                    } catch {
                        throw .fileOperationFailed(context: context, path: target.path, reason: error.localizedDescription)
                    }
                }
            } else {
                throw error
            }
        }
        if deleteBranch, let branch {
            try deleteBranches([branch], context: context)
        }
    }

    /// Takes a task's worktree away at once and deletes its files in the background, for when
    /// nothing should wait for that (a landing): the folder is renamed into `trash` (on the same
    /// file system), git's record of it is dropped (what `git worktree prune` does for a worktree
    /// whose folder is gone), and `rm -rf` empties the trash while Braid goes on. Its branch is
    /// left alone. Falls back to `remove` when the folder cannot be renamed there.
    public func discard(_ worktree: TaskWorktree, trash: URL) throws(GitError) {
        let context = "removing worktree \(worktree.path.lastPathComponent)"
        let folder = worktree.path.standardizedFileURL
        guard isUnderRoot(folder), Self.entryExists(folder) else {
            return try remove(worktree, deleteBranch: false)
        }
        // git's record of the worktree, named by the folder's `.git` file: it must be one of this
        // repository's, or git is left to do the work.
        let common = try commonDirectory(context: context).resolvingSymlinksInPath().path
        guard let pointer = try? String(contentsOf: folder.appendingPathComponent(".git"), encoding: .utf8),
              pointer.hasPrefix("gitdir: ") else { return try remove(worktree, deleteBranch: false) }
        let admin = URL(fileURLWithPath: pointer.dropFirst("gitdir: ".count).trimmingCharacters(in: .whitespacesAndNewlines))
            .resolvingSymlinksInPath()
        // And it must name this folder back (`gitdir` in git's record), or it is someone else's.
        let back = (try? String(contentsOf: admin.appendingPathComponent("gitdir"), encoding: .utf8))?
            .trimmingCharacters(in: .whitespacesAndNewlines)
        guard admin.path.hasPrefix(common + "/worktrees/"),
              back.map({ URL(fileURLWithPath: $0).resolvingSymlinksInPath().path })
                == folder.appendingPathComponent(".git").resolvingSymlinksInPath().path
        else { return try remove(worktree, deleteBranch: false) }
        let bin = trash.appendingPathComponent("\(folder.lastPathComponent)-\(UInt32.random(in: 0...UInt32.max))")
        do {
            try FileManager.default.createDirectory(at: trash, withIntermediateDirectories: true)
            // Not something for `git status` of the user's checkout to offer while it empties.
            let top = git.repository.path
            if trash.path.hasPrefix(top + "/"),
               let pattern = ExcludeFile.pattern(for: String(trash.path.dropFirst(top.count + 1)), directoryOnly: true) {
                try ExcludeFile(url: URL(fileURLWithPath: common).appendingPathComponent("info/exclude")).ensure([pattern], context: context)
            }
        } catch {
            return try remove(worktree, deleteBranch: false)
        }
        // Whatever an earlier background deletion did not finish goes too.
        let leftovers = ((try? FileManager.default.contentsOfDirectory(atPath: trash.path)) ?? []).map { trash.appendingPathComponent($0).path }
        guard rename(folder.path, bin.path) == 0 else { return try remove(worktree, deleteBranch: false) }
        do {
            try FileManager.default.removeItem(at: admin)
        } catch {
            throw .fileOperationFailed(context: context, path: admin.path, reason: error.localizedDescription)
        }
        // If it cannot start, the files stay in the trash until the next discard empties it.
        try? CommandRunner.startDetached(Command("rm", ["-rf", "--", bin.path] + leftovers))
    }

    /// Cleans up what interrupted or manual work leaves behind, and returns a line for each thing
    /// removed:
    /// - worktrees under the root whose folder was deleted by hand, including locked ones, which
    ///   `git worktree prune` leaves alone (a lock protects a worktree whose folder is on a drive
    ///   that is away; under Braid's root that is never so);
    /// - `braid/` branches checked out in no worktree, when everything on them is already on the
    ///   base branch. Branches with commits of their own are kept, since deleting them would lose
    ///   work, unless `includingUnmergedBranches`.
    ///
    /// A worktree whose folder still exists is never touched, locked or not: it may be a running
    /// task's.
    public func prune(includingUnmergedBranches: Bool = false) throws(GitError) -> [String] {
        let context = "pruning worktrees"
        var pruned: [String] = []

        // Asked before any worktree goes, so that a pruned worktree's branch is among them.
        let candidates = try pruneCandidateBranches(includingUnmerged: includingUnmergedBranches, context: context)

        let entries = try list(all: true)
        var remaining: [WorktreeInfo] = []
        for entry in entries {
            guard isUnderRoot(entry.path), !entry.folderExists else {
                remaining.append(entry)
                continue
            }
            try git.run(["worktree", "remove", "--force", "--force", "--", entry.path.path], context: context)
            pruned.append("worktree \(entry.path.path) (folder deleted\(entry.isLocked ? ", was locked" : ""))")
        }

        let checkedOut = Set(remaining.compactMap(\.branch))
        let orphans = candidates.filter { !checkedOut.contains($0) }
        if !orphans.isEmpty {
            try deleteBranches(orphans, context: context)
            pruned += orphans.map { "branch \($0)" }
        }
        return pruned
    }

    /// `braid/` branches that may go once no worktree has them: those merged into the base branch,
    /// or all of them. None are merged when the base branch does not exist.
    private func pruneCandidateBranches(includingUnmerged: Bool, context: String) throws(GitError) -> [String] {
        var arguments = ["for-each-ref", "--format=%(refname:strip=2)"]
        if !includingUnmerged {
            guard let base = try git.commit(of: "refs/heads/\(baseBranch)", context: context) else { return [] }
            arguments += ["--merged", base]
        }
        arguments.append("refs/\("heads/" + BranchName.prefix)")
        return try git.output(arguments, context: context)
            .split(whereSeparator: \.isNewline).map(String.init)
    }

    /// `git branch -D` for each name; a branch that is already gone is not an error.
    func deleteBranches(_ names: [String], context: String) throws(GitError) {
        do {
            try git.run(["branch", "-D", "--"] + names, context: context)
        } catch {
            guard case .commandFailed = error else { throw error }
            for name in names where try git.refExists("refs/heads/\(name)", context: context) {
                throw error
            }
        }
    }
}
