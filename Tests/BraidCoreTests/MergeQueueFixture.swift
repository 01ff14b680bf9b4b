import Foundation
import Testing
@testable import BraidCore

/// A real repository set up for the merge queue, in a temporary folder (deleted when dropped):
/// `main` with `files` committed and checked out in the repository root, a board, and tasks made
/// the way Braid makes them (a board entry, a registered worktree, commits on its branch).
///
/// The gate is a shell step named `check`, run in `.braid/integration`; each run first appends a
/// line to `gateLog`, a file outside the repository, so that tests can count the gate's runs
/// independently of what the queue says it did.
final class MergeQueueFixture {
    let fixture: GitFixture
    let root: URL
    let workspace: Workspace
    var config: BraidConfig
    /// One line per gate run.
    let gateLog: URL

    /// A task as the tests use it: its board id, title, and the worktree Braid made for it.
    struct TaskBranch {
        let id: Int
        let title: String
        let worktree: TaskWorktree
        var path: URL { worktree.path }
    }

    /// - Parameters:
    ///   - gate: the gate step's shell script (after the run is logged); "exit 0" passes.
    ///   - configure: further changes to the config (batch, strategy, ...).
    init(files: [String: String] = ["README.md": "hello\n"], gate: String = "exit 0",
         configure: (inout BraidConfig) -> Void = { _ in }) throws {
        fixture = try GitFixture()
        root = try fixture.repository(files: files)
        workspace = Workspace(root: root)
        gateLog = fixture.folder.appendingPathComponent("gate-runs.log")
        config = BraidConfig()
        config.gate = [GateStepConfig(name: "check", command: .shell("echo run >> '\(gateLog.path)'\n\(gate)"))]
        configure(&config)
    }

    var folder: URL { fixture.folder }

    func queue() throws -> MergeQueue { try MergeQueue(workspace: workspace, config: config) }

    /// Runs the queue until it is empty or waits.
    func process() throws -> MergeQueue.Run { try queue().process() }

    // MARK: Tasks

    /// Adds a task to the board (in Review, where gated work waits), makes its worktree as Braid
    /// does, and commits `files` on its branch (nothing when `files` is empty).
    func task(_ title: String, files: [String: String] = [:]) throws -> TaskBranch {
        let id = try workspace.boardStore(config).update { board in try board.add(title: title, to: .review) }
        let manager = try workspace.worktreeManager(config)
        let worktree = try workspace.worktreeRegistry.worktree(forTask: id) { try manager.create(taskID: id, title: title) }
        let task = TaskBranch(id: id, title: title, worktree: worktree)
        if !files.isEmpty { try commit(files, in: task, message: "work on #\(id)") }
        return task
    }

    /// Writes `files` in the task's worktree and commits them; returns the new tip.
    @discardableResult
    func commit(_ files: [String: String], in task: TaskBranch, message: String = "more work") throws -> String {
        try commit(files, at: task.path, message: message)
    }

    /// Writes `files` in `checkout` and commits them; returns the new commit.
    @discardableResult
    func commit(_ files: [String: String], at checkout: URL, message: String) throws -> String {
        for (path, text) in files { try fixture.write(text, to: path, in: checkout) }
        try fixture.git(["add", "--"] + files.keys.sorted(), in: checkout)
        try fixture.git(["commit", "--quiet", "-m", message], in: checkout)
        return try fixture.git(["rev-parse", "HEAD"], in: checkout)
    }

    @discardableResult
    func enqueue(_ task: TaskBranch, text: String = "", agent: String = "claude", session: String? = nil) throws -> MergeCandidate {
        try queue().enqueue(task: task.id, title: task.title, text: text, agent: agent, session: session)
    }

    // MARK: Reading the repository

    @discardableResult
    func git(_ arguments: [String], in directory: URL? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        try fixture.git(arguments, in: directory ?? root, sourceLocation: sourceLocation)
    }

    /// Runs git expecting it may fail (a merge that conflicts); returns its status and output.
    func tryGit(_ arguments: [String], in directory: URL) throws -> CommandResult {
        try CommandRunner.run(Command("git", ["-C", directory.path] + arguments, environment: GitFixture.environment,
                                      unsetEnvironment: Git.redirectingVariables))
    }

    /// The commit `revision` names.
    func commitID(_ revision: String) throws -> String { try git(["rev-parse", "--verify", "\(revision)^{commit}"]) }

    var main: String { get throws { try commitID("refs/heads/main") } }

    /// A file's contents at `revision` (untrimmed), or nil when it has no such file.
    func file(_ path: String, at revision: String = "refs/heads/main") throws -> String? {
        let result = try tryGit(["cat-file", "blob", "\(revision):\(path)"], in: root)
        return result.succeeded ? result.output : nil
    }

    /// A file in a checkout, as bytes.
    func bytes(_ path: String, in directory: URL? = nil) throws -> Data {
        try Data(contentsOf: (directory ?? root).appendingPathComponent(path))
    }

    /// Subjects of `revision`'s history, newest first (first parents only).
    func subjects(_ revision: String = "refs/heads/main") throws -> [String] {
        try git(["log", "--first-parent", "--format=%s", revision]).split(separator: "\n").map(String.init)
    }

    func parents(_ commit: String) throws -> [String] {
        Array(try git(["rev-list", "--parents", "-n", "1", commit]).split(separator: " ").dropFirst().map(String.init))
    }

    /// Every ref under `refs/braid/`.
    func braidRefs() throws -> [String] {
        try git(["for-each-ref", "--format=%(refname)", "refs/braid/"]).split(separator: "\n").map(String.init)
    }

    func refExists(_ ref: String) throws -> Bool {
        try tryGit(["show-ref", "--verify", "--quiet", ref], in: root).succeeded
    }

    /// main's reflog, newest first: the commits it was moved to.
    func mainReflog() throws -> [String] {
        try git(["reflog", "show", "--format=%H", "refs/heads/main"]).split(separator: "\n").map(String.init)
    }

    /// Folders git knows as worktrees, the root first.
    func worktreePaths() throws -> [String] {
        try git(["worktree", "list", "--porcelain"]).split(separator: "\n")
            .filter { $0.hasPrefix("worktree ") }.map { String($0.dropFirst("worktree ".count)) }
    }

    func branches() throws -> [String] { try fixture.branches(in: root) }

    // MARK: Braid's state

    func board() throws -> Board { try workspace.boardStore(config).read() }

    func section(of task: TaskBranch) throws -> BoardSection? { try board().task(id: task.id)?.section }

    func state() throws -> MergeQueueState { try queue().state() }

    /// How many times the gate ran, from its own log.
    func gateRunsLogged() -> Int {
        guard let text = try? String(contentsOf: gateLog, encoding: .utf8) else { return 0 }
        return text.split(separator: "\n").count
    }

    /// The tree `git merge-tree --write-tree` makes of two commits (the queue's merged result).
    func mergedTree(_ ours: String, _ theirs: String) throws -> String {
        String(try git(["merge-tree", "--write-tree", ours, theirs]).prefix { $0 != "\n" })
    }

    /// A task's branch tip.
    func tip(_ task: TaskBranch) throws -> String { try commitID("refs/heads/\(task.worktree.branch)") }
}

/// A decision without its time and detail, to compare whole.
struct Decided: Equatable, CustomStringConvertible {
    var seq: Int
    var task: Int
    var kind: MergeDecision.Kind
    var reason: MergeDecision.Reason?
    var commit: String?
    var agent: String

    init(_ seq: Int, _ task: Int, _ kind: MergeDecision.Kind, _ reason: MergeDecision.Reason? = nil, commit: String? = nil,
         agent: String = "claude") {
        self.seq = seq
        self.task = task
        self.kind = kind
        self.reason = reason
        self.commit = commit
        self.agent = agent
    }

    init(_ decision: MergeDecision) {
        self.init(decision.seq, decision.task, decision.kind, decision.reason, commit: decision.commit, agent: decision.agent)
    }

    var description: String {
        "\(seq) #\(task) \(kind.rawValue)\(reason.map { " (\($0.rawValue))" } ?? "") \(commit?.prefix(10) ?? "-") by \(agent)"
    }
}

extension MergeQueue.Run {
    var decided: [Decided] { decisions.map(Decided.init) }

    /// The detail of the `index`th decision, or "" when there is none (the comparison of
    /// `decided` then says what went wrong).
    func detail(_ index: Int) -> String { decisions.indices.contains(index) ? decisions[index].detail : "" }
}
