import BraidCore
import Foundation
import JSON

/// `braid metrics [--json]`: what the team measures, overall and per agent, from the journal
/// (read without its lock, so it works while `braid run` supervises).
enum MetricsCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json"])
        } catch {
            return Usage.fail("metrics: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("metrics: takes no arguments") }
        return await ClientCommand.run("metrics") { client, _ in
            let result = try await client.call("metrics/get")
            ClientCommand.output(result, json: arguments.has("--json"), render)
            return 0
        }
    }

    static func render(_ metrics: JSONValue) -> String {
        let header = ["AGENT", "DONE", "FAILED", "REASSIGNED", "SESSIONS", "GATE CATCHES", "CONFLICTS", "STALE", "RETRIES",
                      "ESCALATED", "LINES +/-", "WALL p50/p90", "COST"]
        func seconds(_ value: Double?) -> String {
            guard let value else { return "-" }
            return value < 120 ? String(format: "%.0fs", value) : String(format: "%.1fm", value / 60)
        }
        let rows = ((metrics["agents"]?.arrayValue ?? []) + [metrics["overall"] ?? .null]).map { row -> [String] in
            let counts = ["tasksCompleted", "tasksFailed", "tasksReassigned", "sessions", "gateCatches", "mergeConflicts",
                          "staleBaseCatches", "retries", "escalations"].map { String(row.int($0)) }
            return [row.string("agent") ?? "all"] + counts + [
                "+\(row.int("linesAdded"))/-\(row.int("linesRemoved"))",
                "\(seconds(row["wallTimeMedianSeconds"]?.doubleValue))/\(seconds(row["wallTimeP90Seconds"]?.doubleValue))",
                row["costUSD"]?.doubleValue.map { String(format: "$%.2f", $0) } ?? "-"]
        }
        return TextTable(header: header, rows: rows).rendered
    }
}
