import BraidCore
import JSON

/// `braid status [--json]`: every task with its section, owner, attempts, last gate result and the
/// reason it is blocked, and what the daemon is doing.
enum StatusCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json"])
        } catch {
            return Usage.fail("status: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("status: takes no arguments") }
        return await ClientCommand.run("status") { client, context in
            context.warn(about: try context.boardStore.read())
            let tasks = try await client.call("task/list")["tasks"]?.arrayValue ?? []
            let status = try await client.call("workspace/status")
            if arguments.has("--json") {
                printJSON(["board": .string(context.config.board), "tasks": .array(tasks), "daemon": status])
            } else {
                print(render(tasks))
                let busy = status["busyTasks"]?.arrayValue?.compactMap(\.intValue) ?? []
                print("\nsupervisor \(status.string("mode") ?? "?"); running: "
                      + (busy.isEmpty ? "nothing" : busy.map { "#\($0)" }.joined(separator: ", "))
                      + "; queued for merging: \(status.int("queued"))")
            }
            return 0
        }
    }

    static func render(_ tasks: [JSONValue]) -> String {
        guard !tasks.isEmpty else { return "no tasks yet: add one with `braid add TITLE`" }
        let header = ["ID", "SECTION", "TITLE", "OWNER", "SESSIONS", "FAILED", "GATE", "RISK", "BLOCKED / REVIEW"]
        let cells = tasks.map { task -> [String] in
            let section = task.string("section").flatMap(BoardSection.init(rawValue:))?.heading ?? "?"
            return ["#\(task.int("id"))", section, task.string("title") ?? "", task.string("owner") ?? "-",
                    String(task.int("sessions")), String(task.int("attempts")), task.string("lastGate") ?? "-",
                    task["risk"]?["score"]?.intValue.map { "\($0) \(task["risk"]?.string("level") ?? "")" } ?? "-",
                    task.string("blockedReason") ?? task.string("review") ?? ""]
        }
        return TextTable(header: header, rows: cells).rendered
    }
}
