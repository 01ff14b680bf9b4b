import Foundation

/// A repository Braid works in: where its files are, and `braid init`.
public struct Workspace: Sendable {
    /// The repository's top folder (the main checkout).
    public let root: URL

    public init(root: URL) {
        self.root = root.standardizedFileURL
    }

    public var braidDirectory: URL { root.appendingPathComponent(".braid") }
    public var configURL: URL { root.appendingPathComponent(ConfigFile.relativePath) }
    public var stateDirectory: URL { braidDirectory.appendingPathComponent("state") }
    /// One folder per agent session: its output log, its prompt.
    public var logsDirectory: URL { braidDirectory.appendingPathComponent("logs") }

    /// Left by `braid cancel` for a session, so the supervisor knows the session's end was asked for.
    public func cancelMarker(session: String) -> URL {
        stateDirectory.appendingPathComponent("cancelled").appendingPathComponent(session)
    }
    /// Where removed worktrees wait, renamed, while their files are deleted in the background.
    public var trashDirectory: URL { braidDirectory.appendingPathComponent("trash") }
    /// The merge queue's own checkout, where merged results are gated.
    public var integrationWorktree: URL { braidDirectory.appendingPathComponent("integration") }
    public func boardStore(_ config: BraidConfig) -> BoardStore { BoardStore(path: boardURL(config), lockPath: boardLockURL) }
    public var boardLockURL: URL { stateDirectory.appendingPathComponent("board.lock") }

    public func boardURL(_ config: BraidConfig) -> URL { root.appendingPathComponent(config.board) }
    public var worktreeRegistry: WorktreeRegistry {
        WorktreeRegistry(file: stateDirectory.appendingPathComponent("worktrees.json"),
                         lock: stateDirectory.appendingPathComponent("worktrees.lock"))
    }

    /// The git layer for this repository, set up as the config says.
    public func worktreeManager(_ config: BraidConfig) throws -> WorktreeManager {
        try WorktreeManager(git: Git(repository: root), worktreeRoot: worktreeRoot(config), baseBranch: config.baseBranch,
                            symlinks: config.symlink, copies: config.copy)
    }
    public func worktreeRoot(_ config: BraidConfig) -> URL { root.appendingPathComponent(config.worktreeRoot) }

    public enum LocateError: Error, CustomStringConvertible {
        case notARepository(String)
        case notInitialized(String)
        case leavesRepository(field: String, path: String)

        public var description: String {
            switch self {
            case .notARepository(let path): return "\(path) is not inside a git repository (run 'git init' first)"
            case .notInitialized(let path): return "\(path) has no \(ConfigFile.relativePath) (run 'braid init' first)"
            case .leavesRepository(let field, let path):
                return "\(ConfigFile.relativePath): \(field): \(path) leads out of the repository through a symbolic link; Braid writes only inside it"
            }
        }
    }

    /// The repository containing `directory`: the nearest folder upwards with a `.git` entry.
    /// A linked worktree's `.git` is a file; its main checkout is still what Braid works in, so a
    /// task worktree under `.braid/worktrees` resolves to the repository that owns it.
    public static func locate(from directory: URL) throws -> Workspace {
        var current = directory.standardizedFileURL
        while true {
            let dotGit = current.appendingPathComponent(".git")
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: dotGit.path, isDirectory: &isDirectory) {
                if !isDirectory.boolValue, let owner = owningCheckout(ofWorktreeGitFile: dotGit) {
                    return Workspace(root: owner)
                }
                return Workspace(root: current)
            }
            let parent = current.deletingLastPathComponent()
            if parent.path == current.path { throw LocateError.notARepository(directory.path) }
            current = parent
        }
    }

    /// `gitdir: /repo/.git/worktrees/name` → `/repo`.
    private static func owningCheckout(ofWorktreeGitFile file: URL) -> URL? {
        guard let text = try? String(contentsOf: file, encoding: .utf8),
              let line = text.split(whereSeparator: \.isNewline).first(where: { $0.hasPrefix("gitdir:") }) else { return nil }
        // Relative to the folder holding the `.git` file (git writes it so with worktree.useRelativePaths).
        let gitdir = URL(fileURLWithPath: line.dropFirst("gitdir:".count).trimmingCharacters(in: .whitespaces),
                         relativeTo: file.deletingLastPathComponent()).standardizedFileURL
        let parts = gitdir.pathComponents
        guard let i = parts.lastIndex(of: ".git"), i + 1 < parts.count, parts[i + 1] == "worktrees" else { return nil }
        return URL(fileURLWithPath: NSString.path(withComponents: Array(parts[..<i])))
    }

    /// The config, checked against the repository as it is on disk: the board, the worktree root
    /// and Braid's state must not lead out of the repository through a symbolic link.
    public func loadConfig() throws -> BraidConfig {
        guard FileManager.default.fileExists(atPath: configURL.path) else { throw LocateError.notInitialized(root.path) }
        let config = try ConfigFile.load(from: configURL)
        for (field, url) in [("board", boardURL(config)), ("worktreeRoot", worktreeRoot(config)), ("state", stateDirectory)] {
            guard contains(url) else { throw LocateError.leavesRepository(field: field, path: url.path) }
        }
        return config
    }

    /// Whether `url`, with every symbolic link on its existing part resolved, is inside the repository.
    func contains(_ url: URL) -> Bool {
        var existing = url.standardizedFileURL
        var rest: [String] = []
        while !FileManager.default.fileExists(atPath: existing.path), existing.path != "/" {
            rest.insert(existing.lastPathComponent, at: 0)
            existing = existing.deletingLastPathComponent()
        }
        let resolved = rest.reduce(existing.resolvingSymlinksInPath()) { $0.appendingPathComponent($1) }.standardizedFileURL.path
        let top = root.resolvingSymlinksInPath().path
        return resolved == top || resolved.hasPrefix(top.hasSuffix("/") ? top : top + "/")
    }

    /// What `braid init` did, for its report.
    public struct InitReport: Sendable {
        public var createdConfig: Bool
        public var createdBoard: Bool
        public var detection: ProjectDetector.Detection?
        public var config: BraidConfig
    }

    /// Sets Braid up: `.braid/config.json` (kept if present), `.braid/.gitignore`, and the board.
    public func initialize(testCommand: String?, agent: String?) throws -> InitReport {
        let fileManager = FileManager.default
        try fileManager.createDirectory(at: stateDirectory, withIntermediateDirectories: true)
        try Self.writeIfMissing(braidDirectory.appendingPathComponent(".gitignore"), """
            # Braid's runtime files; config.json is meant to be committed.
            state/
            logs/
            worktrees/
            integration/
            trash/
            *.lock

            """)

        var config: BraidConfig
        var createdConfig = false
        var detection: ProjectDetector.Detection?
        if fileManager.fileExists(atPath: configURL.path) {
            config = try ConfigFile.load(from: configURL)
        } else {
            config = BraidConfig()
            if let branch = currentBranch() { config.baseBranch = branch }
            if let agent { config.defaultAgent = agent }
            if let testCommand {
                config.gate = [ProjectDetector.gateStep(forCommandLine: testCommand)]
            } else if let detected = ProjectDetector.detect(in: root) {
                detection = detected
                config.gate = [GateStepConfig(name: "test", command: .argv(detected.testCommand))]
            }
            try AtomicFile.write(ConfigFile.render(config), to: configURL)
            createdConfig = true
        }

        let board = boardURL(config)
        var createdBoard = false
        if !fileManager.fileExists(atPath: board.path) {
            try fileManager.createDirectory(at: board.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(Board.emptyText, to: board)
            createdBoard = true
        }
        return InitReport(createdConfig: createdConfig, createdBoard: createdBoard, detection: detection, config: config)
    }

    /// The branch the main checkout is on (`ref: refs/heads/NAME` in `.git/HEAD`), if any.
    func currentBranch() -> String? {
        guard let head = try? String(contentsOf: root.appendingPathComponent(".git/HEAD"), encoding: .utf8),
              head.hasPrefix("ref: refs/heads/") else { return nil }
        let name = head.dropFirst("ref: refs/heads/".count).trimmingCharacters(in: .whitespacesAndNewlines)
        return name.isEmpty ? nil : name
    }

    /// A file the user may have edited since is theirs: only written when missing.
    private static func writeIfMissing(_ url: URL, _ text: String) throws {
        guard !FileManager.default.fileExists(atPath: url.path) else { return }
        try AtomicFile.write(text, to: url)
    }
}
