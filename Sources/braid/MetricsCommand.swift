import BraidCore
import Foundation
import JSON

/// `braid metrics [--json]`: what the team measures, overall and per agent, from the journal
/// (read without its lock, so it works while `braid run` supervises).
enum MetricsCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json"])
        } catch {
            return Usage.fail("metrics: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("metrics: takes no arguments") }
        do {
            let context = try CommandContext.load()
            var state = SupervisorState(folding: try Journal.read(at: TaskCommands.journalURL(context)).events)
            // Decisions of `braid merge` that no `braid run` has applied yet count too.
            for decision in try MergeQueue.log(in: context.workspace).read().decisions
            where decision.seq > (state.task(decision.task)?.mergeSeq ?? 0) {
                state.apply(.mergeDecision(task: decision.task, seq: decision.seq, landed: decision.isDone,
                                           reason: decision.kind == .alreadyLanded ? "alreadyLanded" : decision.reason?.rawValue,
                                           commit: decision.commit, detail: decision.detail, agent: decision.agent, at: decision.at))
            }
            let commits = state.tasks.values.compactMap(\.landedCommit)
            let git = try context.workspace.worktreeManager(context.config).git
            let metrics = Metrics(state: state, lines: try LineCount.of(commits, git: git))
            if arguments.has("--json") {
                printJSON(.object(["overall": json(metrics.overall), "agents": .array(metrics.agents.map(json))]))
            } else {
                print(render(metrics))
            }
            return 0
        } catch {
            return Usage.fail("metrics: \(error)", code: 1)
        }
    }

    static func render(_ metrics: Metrics) -> String {
        let header = ["AGENT", "DONE", "FAILED", "REASSIGNED", "SESSIONS", "GATE CATCHES", "CONFLICTS", "STALE", "RETRIES",
                      "ESCALATED", "LINES +/-", "WALL p50/p90", "COST"]
        func seconds(_ value: Double?) -> String {
            guard let value else { return "-" }
            return value < 120 ? String(format: "%.0fs", value) : String(format: "%.1fm", value / 60)
        }
        let rows = (metrics.agents + [metrics.overall]).map { row in
            [row.agent ?? "all", String(row.tasksCompleted), String(row.tasksFailed), String(row.tasksReassigned), String(row.sessions),
             String(row.gateCatches), String(row.mergeConflicts), String(row.staleBaseCatches), String(row.retries),
             String(row.escalations), "+\(row.linesAdded)/-\(row.linesRemoved)",
             "\(seconds(row.wallTimeMedianSeconds))/\(seconds(row.wallTimeP90Seconds))",
             row.costUSD.map { String(format: "$%.2f", $0) } ?? "-"]
        }
        return TextTable(header: header, rows: rows).rendered
    }

    static func json(_ row: Metrics.Row) -> JSONValue {
        func number(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
        func optional(_ value: Double?) -> JSONValue { value.map { .number(JSONNumber($0)) } ?? .null }
        return .object([
            "agent": row.agent.map { .string($0) } ?? .null,
            "tasksCompleted": number(row.tasksCompleted), "tasksFailed": number(row.tasksFailed),
            "tasksReassigned": number(row.tasksReassigned), "sessions": number(row.sessions),
            "gateCatches": number(row.gateCatches), "mergeConflicts": number(row.mergeConflicts),
            "staleBaseCatches": number(row.staleBaseCatches), "retries": number(row.retries),
            "escalations": number(row.escalations), "linesAdded": number(row.linesAdded), "linesRemoved": number(row.linesRemoved),
            "wallTimeMedianSeconds": optional(row.wallTimeMedianSeconds), "wallTimeP90Seconds": optional(row.wallTimeP90Seconds),
            "costUSD": optional(row.costUSD),
        ])
    }
}
