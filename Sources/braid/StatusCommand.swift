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
            let rows = board.tasks.map(TaskStatus.init)
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
        let header = ["ID", "SECTION", "TITLE", "OWNER", "TRIES", "GATE", "BLOCKED"]
        let cells = rows.map { row in
            [row.id.map { "#\($0)" } ?? "-", row.section.heading, row.title, row.owner ?? "-",
             String(row.attempts), row.lastGate ?? "-", row.blockedReason ?? ""]
        }
        return TextTable(header: header, rows: cells).rendered
    }
}

/// One task as `braid status` reports it.
struct TaskStatus {
    let id: Int?
    let title: String
    let section: BoardSection
    let owner: String?
    /// Agent sessions run for the task so far (the supervisor records them; none before it runs).
    let attempts: Int
    /// "passed" or "failed: <step>", once a gate has run.
    let lastGate: String?
    let blockedReason: String?

    init(_ task: BoardTask) {
        id = task.id
        title = task.title
        section = task.section
        owner = task.owner
        attempts = 0
        lastGate = nil
        blockedReason = task.blockedReason
    }

    var json: JSONValue {
        var members: [String: JSONValue] = [
            "title": .string(title), "section": .string(section.rawValue), "attempts": .number(JSONNumber(attempts)),
        ]
        members["id"] = id.map { .number(JSONNumber($0)) } ?? .null
        members["owner"] = owner.map { .string($0) } ?? .null
        members["lastGate"] = lastGate.map { .string($0) } ?? .null
        members["blockedReason"] = blockedReason.map { .string($0) } ?? .null
        return .object(members)
    }
}

/// Left-aligned columns separated by two spaces; long cells are cut with "…".
struct TextTable {
    let header: [String]
    let rows: [[String]]
    var maxCellWidth = 48

    var rendered: String {
        let all = [header] + rows.map { $0.map { cut($0) } }
        var widths = Array(repeating: 0, count: header.count)
        for row in all { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        return all.map { row in
            row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
            }.joined(separator: "  ").trimmingTrailingSpaces()
        }.joined(separator: "\n")
    }

    private func cut(_ cell: String) -> String {
        let flat = cell.replacingOccurrences(of: "\n", with: " ")
        return flat.count > maxCellWidth ? String(flat.prefix(maxCellWidth - 1)) + "…" : flat
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = Substring(self)
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
