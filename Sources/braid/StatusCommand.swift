import BraidCore
import JSON

/// `braid status [--json]`: every task with its section, owner, attempts, last gate result and the
/// reason it is blocked.
enum StatusCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json"])
        } catch {
            return Usage.fail("status: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("status: takes no arguments") }
        do {
            let context = try CommandContext.load()
            let board = try context.boardStore.read()
            context.warn(about: board)
            // Read without the lock: a running `braid run` may hold the journal.
            let journal = context.workspace.stateDirectory.appendingPathComponent(Journal.fileName)
            let state = SupervisorState(folding: try Journal.read(at: journal).events)
            let rows = board.tasks.map { task in TaskStatus(task, record: task.id.flatMap { state.task($0) }) }
            if arguments.has("--json") {
                printJSON(["board": .string(context.config.board), "tasks": .array(rows.map(\.json))])
            } else {
                print(render(rows))
            }
            return 0
        } catch {
            return Usage.fail("status: \(error)", code: 1)
        }
    }

    static func render(_ rows: [TaskStatus]) -> String {
        guard !rows.isEmpty else { return "no tasks yet: add one with `braid add TITLE`" }
        let header = ["ID", "SECTION", "TITLE", "OWNER", "SESSIONS", "FAILED", "GATE", "BLOCKED"]
        let cells = rows.map { row in
            [row.id.map { "#\($0)" } ?? "-", row.section.heading, row.title, row.owner ?? "-",
             String(row.sessions), String(row.attempts), row.lastGate ?? "-", row.blockedReason ?? ""]
        }
        return TextTable(header: header, rows: cells).rendered
    }
}
