import BraidCore
import Foundation

/// `braid demo [--dir PATH]`: the whole loop on a small real project, in a minute. Makes a new git
/// repository (a temporary folder unless `--dir` names a new one), writes the project and a board of
/// six tasks for the built-in script agent, then supervises them three at a time, printing each
/// step as it happens, and ends with the board and the metrics. The repository stays for you to
/// look at.
enum DemoCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, options: ["--dir"])
        } catch {
            return Usage.fail("demo: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("demo: takes no arguments (a folder goes with --dir)") }
        let root: URL
        if let dir = arguments.value("--dir") {
            root = URL(fileURLWithPath: dir, relativeTo: URL(fileURLWithPath: FileManager.default.currentDirectoryPath)).standardizedFileURL
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory) {
                guard isDirectory.boolValue else { return Usage.fail("demo: \(root.path) is a file; give a new folder", code: 1) }
                guard ((try? FileManager.default.contentsOfDirectory(atPath: root.path)) ?? []).isEmpty else {
                    return Usage.fail("demo: \(root.path) is not empty; give a new folder", code: 1)
                }
            }
        } else {
            let stamp = Int(Date().timeIntervalSince1970)
            root = FileManager.default.temporaryDirectory.appendingPathComponent("braid-demo-\(stamp)-\(getpid())")
        }
        let out = FileDescriptorOutput(fd: 1)
        let start = Date()
        @Sendable func say(_ line: String) {
            out.write(String(format: "[%5.1fs] ", Date().timeIntervalSince(start)) + line + "\n")
        }
        do {
            let workspace = try setUp(root)
            out.write("""
                Braid demo: a small shell library with its tests, in \(root.path)
                Six tasks for the script agent, three at a time, each in its own worktree off main; the gate
                is the project's tests (sh test.sh); the merge queue lands what passes, one by one.

                """)
            let config = try workspace.loadConfig()
            let journal = try Journal.open(in: workspace.stateDirectory)
            defer { journal.close() }
            let supervisor = try Supervisor(workspace: workspace, config: config, journal: journal) { event in
                if case .line(let line) = event { say(line) }
            }
            try await supervisor.run()

            let board = try workspace.boardStore(config).read()
            let state = journal.state
            out.write("\nThe board:\n")
            out.write(StatusCommand.render(board.tasks.compactMap { task in
                task.id.map { TaskSnapshot(task, id: $0, record: state.task($0), runningSession: nil, queued: false, review: supervisor.reviews.record($0)).json }
            }) + "\n")
            let git = try workspace.worktreeManager(config).git
            out.write("\nmain, newest first:\n")
            out.write(try git.output(["log", "--format=  %h %s", "main"], context: "showing main") )
            let metrics = Metrics(state: state, lines: try LineCount.of(state.tasks.values.compactMap(\.landedCommit), git: git))
            out.write("\nMetrics:\n" + MetricsCommand.render(metrics.json) + "\n")
            out.write("""

                The repository is left for you: \(root.path)
                  cd \(root.path) && git log --format='%h %s%n%b' main    # each landing's trailers
                  braid status; braid log '#5'; braid metrics                # escalated #5 waits for you: braid retry '#5' --guidance "..."

                """)
            return 0
        } catch {
            return Usage.fail("demo: \(error)", code: 1)
        }
    }

    /// The repository: the project committed on main, Braid set up, the board written.
    static func setUp(_ root: URL) throws -> Workspace {
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let git = Git(repository: root)
        try git.run(["init", "--quiet", "--initial-branch=main"], context: "creating the demo repository")
        try git.run(["config", "user.name", "Braid Demo"], context: "setting up the demo repository")
        try git.run(["config", "user.email", "demo@braid.invalid"], context: "setting up the demo repository")
        for (path, text) in DemoProject.files {
            let url = root.appendingPathComponent(path)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try AtomicFile.write(text, to: url)
        }
        let workspace = Workspace(root: root)
        var config = try workspace.initialize(testCommand: "sh test.sh", agent: "script").config
        config.maxSessions = 3
        config.maxRetries = 2
        try AtomicFile.write(ConfigFile.render(config), to: workspace.configURL)
        try AtomicFile.write(DemoProject.board, to: workspace.boardURL(config))
        try git.run(["add", "-A"], context: "committing the demo project")
        try git.run(["commit", "--quiet", "-m", "A tiny greeting library"], context: "committing the demo project")
        return workspace
    }
}
