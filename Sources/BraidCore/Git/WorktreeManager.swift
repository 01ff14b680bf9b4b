#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Makes, lists, diffs and removes the worktrees that isolate tasks: one task, one branch
/// `braid/<id>-<slug>`, one folder `<root>/<id>-<slug>`, created off the current base branch.
///
/// `create` is on the dispatch path, so it runs as few git commands as it can: offline, one
/// `rev-parse` and the `worktree add` itself (`git remote` only when the config file may name a
/// remote); names are checked against the file system, and against git only when `worktree add`
/// refuses one. Listing, pruning and diffing are not on that path and favour clarity.
///
/// `git.repository` must be the top of the main checkout: the default worktree root, the symlink
/// targets and the copied files are taken relative to it.
public struct WorktreeManager: Sendable {
    public let git: Git
    /// Where task worktrees are made; `<repository>/.braid/worktrees` by default.
    public let worktreeRoot: URL
    /// The branch tasks start from (`main`), fetched from the remote first when there is one.
    public let baseBranch: String
    /// Folders of the main checkout symlinked into each worktree when they exist there, so that
    /// heavy ones (`node_modules`, build caches) are shared rather than rebuilt.
    public let symlinks: [RepositoryPath]
    /// Files (or folders) of the main checkout copied into each worktree when they exist there,
    /// such as an untracked `.env`.
    public let copies: [RepositoryPath]
    /// Guards `git fetch` against an unreachable remote that neither answers nor refuses.
    public let fetchTimeLimit: Duration

    /// How many numbered names `create` tries before giving up.
    static let maxNameAttempts = 100

    /// - Throws: `invalidBranchName` for a base branch git would refuse, `unsafePath` for a symlink
    ///   or copy path that is absolute or climbs out with `..`.
    public init(git: Git, worktreeRoot: URL? = nil, baseBranch: String = "main",
                symlinks: [String] = [], copies: [String] = [],
                fetchTimeLimit: Duration = .seconds(60)) throws(GitError) {
        guard BranchName.isValid(baseBranch) else {
            throw .invalidBranchName(context: "configuring the base branch", name: baseBranch)
        }
        var linked: [RepositoryPath] = []
        for path in symlinks { linked.append(try RepositoryPath(path, context: "configuring symlinks into worktrees")) }
        var copied: [RepositoryPath] = []
        for path in copies { copied.append(try RepositoryPath(path, context: "configuring copies into worktrees")) }
        self.git = git
        let root = (worktreeRoot ?? git.repository.appendingPathComponent(".braid/worktrees")).standardizedFileURL
        self.worktreeRoot = URL(fileURLWithPath: root.path, isDirectory: true)
        self.baseBranch = baseBranch
        self.symlinks = linked
        self.copies = copied
        self.fetchTimeLimit = fetchTimeLimit
    }

    // MARK: - Base

    /// The commit new tasks start from. With a remote (`origin` if there is one, else the first),
    /// `<remote>/<base>` after fetching it; without one, the local `<base>`. When the fetch fails
    /// the local branch is used and the result says so (`fetched: false`, `warning`).
    public func resolveBase() throws(GitError) -> BaseRef {
        let context = "resolving base branch \(baseBranch)"
        guard let remote = try baseRemote(context: context) else {
            return try localBase(context: context, remote: nil, warning: nil)
        }
        let tracking = "refs/remotes/\(remote)/\(baseBranch)"
        let fetchContext = "fetching \(baseBranch) from \(remote)"
        do {
            // An explicit refspec updates `<remote>/<base>` whatever the remote's fetch config says,
            // and leaves FETCH_HEAD alone for the user and for concurrent fetches.
            try git.run(["fetch", "--quiet", "--no-tags", "--no-write-fetch-head", "--", remote,
                         "+refs/heads/\(baseBranch):\(tracking)"],
                        context: fetchContext, timeLimit: fetchTimeLimit)
        } catch {
            switch error {
            case .commandFailed, .timedOut:
                let warning = "could not fetch \(baseBranch) from \(remote), so the base may be behind it: "
                    + error.description
                return try localBase(context: context, remote: remote, warning: warning)
            default:
                throw error
            }
        }
        guard let commit = try git.commit(of: tracking, context: context) else {
            throw .refNotFound(context: context, ref: tracking, repository: git.repository.path)
        }
        return BaseRef(name: "\(remote)/\(baseBranch)", ref: tracking, commit: commit, remote: remote,
                       fetched: true, warning: nil)
    }

    /// The remote tasks start from: `origin` if there is one, else the first; nil without remotes.
    func baseRemote(context: String) throws(GitError) -> String? {
        guard git.configMayNameRemotes() else { return nil }
        let remotes = try git.remotes(context: context).filter { !$0.hasPrefix("-") }
        return remotes.contains("origin") ? "origin" : remotes.first
    }

    /// The local base branch; failing that, after a failed fetch, the last known remote one.
    private func localBase(context: String, remote: String?, warning: String?) throws(GitError) -> BaseRef {
        let local = "refs/heads/\(baseBranch)"
        if let commit = try git.commit(of: local, context: context) {
            return BaseRef(name: baseBranch, ref: local, commit: commit, remote: remote, fetched: false,
                           warning: warning)
        }
        if let remote {
            let tracking = "refs/remotes/\(remote)/\(baseBranch)"
            if let commit = try git.commit(of: tracking, context: context) {
                return BaseRef(name: "\(remote)/\(baseBranch)", ref: tracking, commit: commit, remote: remote,
                               fetched: false, warning: warning)
            }
        }
        throw .refNotFound(context: context, ref: local, repository: git.repository.path)
    }

    // MARK: - Create

    /// Creates task `taskID`'s branch and worktree off a freshly resolved base.
    public func create(taskID: Int, title: String) throws(GitError) -> TaskWorktree {
        let name = try BranchName(taskID: taskID, title: title)
        return try create(name, from: try resolveBase())
    }

    /// Creates task `taskID`'s branch and worktree off `base`, resolved once for several tasks.
    public func create(taskID: Int, title: String, from base: BaseRef) throws(GitError) -> TaskWorktree {
        try create(try BranchName(taskID: taskID, title: title), from: base)
    }

    private func create(_ name: BranchName, from base: BaseRef) throws(GitError) -> TaskWorktree {
        let context = "creating worktree for #\(name.taskID)"
        guard Self.isObjectID(base.commit) else { throw .invalidObjectID(context: context, value: base.commit) }
        try prepareRoot(context: context)
        for attempt in 1...Self.maxNameAttempts {
            let candidate = name.numbered(attempt)
            let path = worktreeRoot.appendingPathComponent(candidate.folderName, isDirectory: true)
            if Self.entryExists(path) { continue }
            do {
                try git.run(["worktree", "add", "-b", candidate.name, "--", path.path, base.commit],
                            context: context)
            } catch {
                // Taken by a branch the file system cannot see, or by a concurrent create: try the
                // next name. Anything else is the error to report.
                guard case .commandFailed = error else { throw error }
                if Self.entryExists(path) { continue }
                if try git.refExists(candidate.fullRef, context: context) { continue }
                throw error
            }
            let skipped: [String]
            do {
                skipped = try share(into: path, context: context)
            } catch {
                // A half-prepared worktree is worse than none: the caller retries from scratch.
                try? remove(path: path, branch: candidate.name, deleteBranch: true)
                throw error
            }
            return TaskWorktree(taskID: name.taskID, path: path, branch: candidate.name, startCommit: base.commit,
                                base: base, warnings: (base.warning.map { [$0] } ?? []) + skipped)
        }
        throw .nameTaken(context: context, name: name.name, attempts: Self.maxNameAttempts)
    }

    /// Makes sure the root exists and that git will not offer what Braid adds to commit.
    func prepareRoot(context: String) throws(GitError) {
        do {
            try FileManager.default.createDirectory(at: worktreeRoot, withIntermediateDirectories: true)
        } catch {
            throw .fileOperationFailed(context: context, path: worktreeRoot.path, reason: error.localizedDescription)
        }
        var patterns: [String] = []
        let top = git.repository.path
        if worktreeRoot.path.hasPrefix(top + "/"),
           let pattern = ExcludeFile.pattern(for: String(worktreeRoot.path.dropFirst(top.count + 1)),
                                             directoryOnly: true) {
            patterns.append(pattern)
        }
        patterns += (symlinks + copies).compactMap { ExcludeFile.pattern(for: $0.path) }
        guard !patterns.isEmpty else { return }
        try ExcludeFile(url: try commonDirectory(context: context).appendingPathComponent("info/exclude"))
            .ensure(patterns, context: context)
    }

    /// The git directory shared by all worktrees. For the usual checkout, whose `.git` is a folder,
    /// that folder, without running git; otherwise git is asked.
    func commonDirectory(context: String) throws(GitError) -> URL {
        let dotGit = git.repository.appendingPathComponent(".git")
        if WorktreeInfo.directoryExists(dotGit.path) { return dotGit }
        let path = try git.output(["rev-parse", "--path-format=absolute", "--git-common-dir"], context: context)
            .trimmingCharacters(in: .newlines)
        return URL(fileURLWithPath: path)
    }

    /// Symlinks and copies the configured paths from the main checkout into a new worktree.
    /// Returns a warning for each one skipped because the worktree already has it (git tracks it).
    func share(into worktree: URL, context: String) throws(GitError) -> [String] {
        var skipped: [String] = []
        let top = worktree.resolvingSymlinksInPath().path
        for (path, link) in symlinks.map({ ($0, true) }) + copies.map({ ($0, false) }) {
            let source = git.repository.appendingPathComponent(path.path)
            guard FileManager.default.fileExists(atPath: source.path) else { continue }
            let destination = worktree.appendingPathComponent(path.path)
            if Self.entryExists(destination) {
                skipped.append("did not \(link ? "symlink" : "copy") \(path.path): the worktree already has it")
                continue
            }
            // A tracked symlink among the parents could lead out of the worktree: check the
            // nearest existing parent before creating anything under it.
            var existing = destination.deletingLastPathComponent()
            while !Self.entryExists(existing) && existing.path.count > top.count {
                existing = existing.deletingLastPathComponent()
            }
            let resolved = existing.resolvingSymlinksInPath().path
            guard resolved == top || resolved.hasPrefix(top + "/") else {
                throw .unsafePath(context: context, path: path.path, reason: "a symlink in the worktree leads out of it")
            }
            do {
                try FileManager.default.createDirectory(at: destination.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
                if link {
                    try FileManager.default.createSymbolicLink(at: destination, withDestinationURL: source)
                } else {
                    try FileManager.default.copyItem(at: source, to: destination)
                }
            } catch {
                throw .fileOperationFailed(context: context, path: destination.path, reason: error.localizedDescription)
            }
        }
        return skipped
    }

    // MARK: - Helpers

    /// Whether anything (a folder, a file, a dangling symlink) is at `url`.
    static func entryExists(_ url: URL) -> Bool {
        var info = stat()
        return lstat(url.path, &info) == 0
    }

    /// A full SHA-1 or SHA-256 object id in hexadecimal.
    static func isObjectID(_ value: String) -> Bool {
        (value.utf8.count == 40 || value.utf8.count == 64)
            && value.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    /// Whether `path` is inside the worktree root, comparing real paths as git may report them.
    func isUnderRoot(_ path: URL) -> Bool {
        let candidate = path.standardizedFileURL.path
        let roots = [worktreeRoot.path, worktreeRoot.resolvingSymlinksInPath().path]
        return roots.contains { candidate.hasPrefix($0 + "/") }
            || roots.contains { path.resolvingSymlinksInPath().path.hasPrefix($0 + "/") }
    }
}
