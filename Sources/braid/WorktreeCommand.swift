import BraidCore
import Foundation
import JSON

/// `braid worktree list [--json]`, `braid worktree prune` (through the daemon), and
/// `braid worktree create #N [--json]` (here: a worktree made by hand for a task, for people and
/// tests that work in it themselves).
enum WorktreeCommand {
    static func run(_ argv: [String]) async -> Int32 {
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
                return await ClientCommand.run("worktree list") { client, _ in
                    list(try await client.call("worktree/list")["worktrees"]?.arrayValue ?? [], json: arguments.has("--json"))
                }
            case "prune":
                guard arguments.positionals.isEmpty else { return Usage.fail("worktree prune: takes no arguments") }
                return await ClientCommand.run("worktree prune") { client, _ in
                    let pruned = try await client.call("worktree/prune")["pruned"]?.arrayValue?.compactMap(\.stringValue) ?? []
                    print(pruned.isEmpty ? "nothing to prune" : pruned.joined(separator: "\n"))
                    return 0
                }
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

    static func list(_ worktrees: [JSONValue], json: Bool) -> Int32 {
        if json {
            printJSON(.array(worktrees))
            return 0
        }
        guard !worktrees.isEmpty else {
            print("no task worktrees")
            return 0
        }
        let rows = worktrees.map { info -> [String] in
            let state = info["missing"]?.boolValue == true ? "missing" : info["locked"]?.boolValue == true ? "locked" : "ok"
            return [info["task"]?.intValue.map { "#\($0)" } ?? "-", info.string("branch") ?? "(detached)", state,
                    info.string("startCommit").map { String($0.prefix(12)) } ?? "-", info.string("path") ?? ""]
        }
        print(TextTable(header: ["TASK", "BRANCH", "STATE", "STARTED AT", "PATH"], rows: rows, maxCellWidth: 200).rendered)
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
