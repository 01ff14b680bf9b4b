import BraidCore
import Foundation
import JSON

/// `braid worktree list [--json]`, `braid worktree prune`, `braid worktree create #N [--json]`.
enum WorktreeCommand {
    static func run(_ argv: [String]) -> Int32 {
        let subcommands = ["list", "prune", "create"]
        guard let subcommand = argv.first else { return Usage.fail("worktree: usage: braid worktree list|prune|create #N") }
        let arguments: Arguments
        do {
            arguments = try Arguments(Array(argv.dropFirst()), flags: ["--json"])
        } catch {
            return Usage.fail("worktree \(subcommand): \(error)")
        }
        do {
            switch subcommand {
            case "list":
                guard arguments.positionals.isEmpty else { return Usage.fail("worktree list: takes no arguments") }
                return try list(json: arguments.has("--json"))
            case "prune":
                guard arguments.positionals.isEmpty else { return Usage.fail("worktree prune: takes no arguments") }
                return try prune()
            case "create":
                let ids = arguments.positionals.compactMap(Arguments.taskID)
                guard !ids.isEmpty, ids.count == arguments.positionals.count else {
                    return Usage.fail("worktree create: usage: braid worktree create #N [#M...]")
                }
                return try create(taskIDs: ids, json: arguments.has("--json"))
            default:
                return Usage.fail("worktree: unknown subcommand '\(subcommand)'" + Usage.suggestion(for: subcommand, among: subcommands))
            }
        } catch {
            return Usage.fail("worktree \(subcommand): \(error)", code: 1)
        }
    }

    static func list(json: Bool) throws -> Int32 {
        let context = try CommandContext.load()
        let manager = try context.workspace.worktreeManager(context.config)
        let registered = try context.workspace.worktreeRegistry.all()
        let startByPath = Dictionary(registered.values.map { ($0.path.standardizedFileURL.path, $0) }, uniquingKeysWith: { a, _ in a })
        let worktrees = try manager.list()
        if json {
            printJSON(.array(worktrees.map { info in
                let record = startByPath[info.path.standardizedFileURL.path]
                return .object([
                    "path": .string(info.path.path),
                    "branch": info.branch.map { .string($0) } ?? .null,
                    "head": info.head.map { .string($0) } ?? .null,
                    "task": record.map { .number(JSONNumber($0.taskID)) } ?? .null,
                    "startCommit": record.map { .string($0.startCommit) } ?? .null,
                    "locked": .bool(info.isLocked),
                    "missing": .bool(!info.folderExists),
                ])
            }))
            return 0
        }
        guard !worktrees.isEmpty else {
            print("no task worktrees")
            return 0
        }
        let rows = worktrees.map { info -> [String] in
            let record = startByPath[info.path.standardizedFileURL.path]
            let state = !info.folderExists ? "missing" : info.isLocked ? "locked" : "ok"
            return [record.map { "#\($0.taskID)" } ?? "-", info.branch ?? "(detached)", state,
                    record.map { String($0.startCommit.prefix(12)) } ?? "-", info.path.path]
        }
        print(TextTable(header: ["TASK", "BRANCH", "STATE", "STARTED AT", "PATH"], rows: rows, maxCellWidth: 200).rendered)
        return 0
    }

    static func prune() throws -> Int32 {
        let context = try CommandContext.load()
        let manager = try context.workspace.worktreeManager(context.config)
        let pruned = try manager.prune()
        // Forget the tasks whose worktree is gone.
        try context.workspace.worktreeRegistry.change { entries in
            entries = entries.filter { FileManager.default.fileExists(atPath: $0.value.path.path) }
        }
        print(pruned.isEmpty ? "nothing to prune" : pruned.joined(separator: "\n"))
        return 0
    }

    /// Several tasks in one call share one resolved base (one fetch).
    static func create(taskIDs: [Int], json: Bool) throws -> Int32 {
        let context = try CommandContext.load()
        let board = try context.boardStore.read()
        let tasks = try taskIDs.map { id throws -> (Int, BoardTask) in
            guard let task = board.task(id: id) else { throw CommandFailure("no task #\(id) on \(context.config.board)") }
            return (id, task)
        }
        let manager = try context.workspace.worktreeManager(context.config)
        var base: BaseRef?
        var created: [JSONValue] = []
        for (id, task) in tasks {
            let worktree = try context.workspace.worktreeRegistry.worktree(forTask: id) {
                let resolved = try base ?? manager.resolveBase()
                base = resolved
                return try manager.create(taskID: id, title: task.title, from: resolved)
            }
            for warning in worktree.warnings { FileDescriptorOutput.standardError.write("braid: warning: \(warning)\n") }
            if json {
                created.append(["task": .number(JSONNumber(id)), "path": .string(worktree.path.path),
                                "branch": .string(worktree.branch), "startCommit": .string(worktree.startCommit)])
            } else {
                print("#\(id) \(worktree.branch) at \(worktree.startCommit.prefix(12)): \(worktree.path.path)")
            }
        }
        if json { printJSON(created.count == 1 ? created[0] : .array(created)) }
        return 0
    }
}
