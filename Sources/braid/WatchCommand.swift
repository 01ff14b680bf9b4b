import BraidCore
import Foundation
import JSON

/// `braid watch [--json]`: every notification the daemon sends, as it comes, until interrupted.
/// `--json` prints one JSON object per line (`{"method": ..., "params": ...}`) for scripts.
enum WatchCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json"])
        } catch {
            return Usage.fail("watch: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("watch: takes no arguments") }
        return await ClientCommand.run("watch") { client, _ in
            let out = FileDescriptorOutput(fd: 1)
            for await (method, params) in client.notifications {
                if arguments.has("--json") {
                    var line = JSONWriter.encode(.object(["method": .string(method), "params": params ?? .null]))
                    line.append(0x0A)
                    guard out.write(line) else { return 0 }
                } else {
                    guard out.write(Array((describe(method, params) + "\n").utf8)) else { return 0 }
                }
            }
            return 0
        }
    }

    static func describe(_ method: String, _ params: JSONValue?) -> String {
        let params = params ?? .null
        switch method {
        case "task/changed":
            guard let task = params["task"], task != .null else { return "#\(params.int("id")) removed" }
            return "#\(task.int("id")) \(task.string("section") ?? "?"): \(task.string("title") ?? "")"
                + (task.string("owner").map { " — \($0)" } ?? "") + (task.string("blockedReason").map { " (\($0))" } ?? "")
        case "session/output":
            return "#\(params.int("task")) | " + (params.string("text") ?? "").split(separator: "\n", omittingEmptySubsequences: false)
                .joined(separator: "\n#\(params.int("task")) | ")
        case "session/exited":
            return "#\(params.int("task")) session \(params.string("session") ?? "?") \(params.string("reason") ?? "ended")"
                + (params["exitCode"]?.intValue.map { ", exit \($0)" } ?? "")
        case "gate/result":
            return "#\(params.int("task")) gate: \(params.string("summary") ?? "")"
        case "merge/landed":
            return "#\(params.int("task")) landed" + (params.string("commit").map { " as \($0.prefix(12))" } ?? "")
        case "merge/refused":
            return "#\(params.int("task")) refused by the merge queue (\(params.string("reason") ?? "?")): \(params.string("detail") ?? "")"
        case "$/progress":
            let value = params["value"] ?? .null
            return "[\(params["token"]?.stringValue ?? "?")] \(value.string("kind") ?? "") \(value.string("title") ?? "") \(value.string("message") ?? "")"
        default:
            return params.string("message") ?? "\(method) \(params)"
        }
    }
}
