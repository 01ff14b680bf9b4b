import BraidCore
import Foundation
import JSON

/// `braid merge [#N...]`, `braid merge --list`, `braid merge --abort #N`: the merge queue by hand,
/// through the daemon (which works the queue, one pass at a time, under the queue's lock).
///
/// Queues the tasks and waits for the pass of the queue that sees them, printing its progress.
/// Exit status: 0 when every named task landed (or was already on the base branch) and the queue
/// did not have to wait; 1 when one was sent back, when the queue waits for local changes in a
/// checkout, or on an error; 2 on a usage error.
enum MergeCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json", "--list", "--abort"])
        } catch {
            return Usage.fail("merge: \(error)")
        }
        var ids: [Int] = []
        for text in arguments.positionals {
            guard let id = Arguments.taskID(text) else { return Usage.fail("merge: '\(text)' is not a task id like #12") }
            ids.append(id)
        }
        let json = arguments.has("--json")
        if arguments.has("--list") && !ids.isEmpty { return Usage.fail("merge: --list takes no task id") }
        if arguments.has("--abort") && ids.isEmpty { return Usage.fail("merge: usage: braid merge --abort #N") }
        return await ClientCommand.run("merge") { client, _ in
            // Unbuffered: progress shows as it happens when the output is a pipe or a file.
            let out = FileDescriptorOutput(fd: 1)
            if arguments.has("--list") {
                return list(try await client.call("merge/queue"), json: json)
            }
            if arguments.has("--abort") {
                for id in ids {
                    _ = try await client.call("merge/abort", ["task": .number(JSONNumber(id))])
                    if !json { out.write("#\(id) taken out of the merge queue\n") }
                }
                if json { printJSON(.object(["removed": .array(ids.map { .number(JSONNumber($0)) })])) }
                return 0
            }
            let tasks = JSONValue.array(ids.map { .number(JSONNumber($0)) })
            let queued = try await client.call("merge/enqueue", ["tasks": tasks])
            if !json {
                for entry in queued["queued"]?.arrayValue ?? [] {
                    out.write("#\(entry.int("task")) queued at \((entry.string("tip") ?? "").prefix(10))\n")
                }
            }
            let result = try await client.call("merge/wait", ["tasks": tasks, "since": queued["since"] ?? 0])
            if !json {
                for line in result["account"]?.arrayValue ?? [] { out.write((line.stringValue ?? "") + "\n") }
            }
            let decisions = result["decisions"]?.arrayValue ?? []
            if json {
                printJSON(.object(["decisions": .array(decisions), "waiting": result["waiting"] ?? .null,
                                   "gateRuns": result["gateRuns"] ?? 0]))
            } else if decisions.isEmpty && result.string("waiting") == nil && ids.isEmpty {
                out.write("the merge queue is empty\n")
            }
            let refused = decisions.contains { $0["landed"]?.boolValue == false }
            let waiting = result.string("waiting") != nil || !(result["pending"]?.arrayValue ?? []).isEmpty
            return refused || waiting ? 1 : 0
        }
    }

    static func list(_ state: JSONValue, json: Bool) -> Int32 {
        if json {
            printJSON(state)
            return 0
        }
        let pending = state["pending"]?.arrayValue ?? []
        if pending.isEmpty { print("the merge queue is empty") }
        for (index, candidate) in pending.enumerated() {
            print("\(index + 1). #\(candidate.int("task")) \(candidate.string("title") ?? "") (\(candidate.string("branch") ?? "?") at "
                  + "\((candidate.string("tip") ?? "").prefix(10)), \(candidate.string("agent") ?? "?"))")
        }
        for decision in (state["decisions"]?.arrayValue ?? []).suffix(10) {
            let kind = decision.string("kind") ?? "?"
            let what = kind == "refused" ? "refused (\(decision.string("reason") ?? "?"))" : kind
            print("#\(decision.int("task")) \(what): \(String((decision.string("detail") ?? "").split(separator: "\n").first ?? ""))")
        }
        return 0
    }
}
