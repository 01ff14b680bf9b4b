import BraidCore
import Foundation
import JSON

/// `braid log #N [-f]`, `braid retry #N [--guidance TEXT]`, `braid reassign #N AGENT`,
/// `braid abandon #N`, `braid cancel #N`, `braid approve #N`, `braid reject #N --feedback TEXT`:
/// what a person does about one task, through the daemon.
enum TaskCommands {
    /// The sessions of task N, oldest first, each with its log and gate result; `-f` follows the
    /// latest session's output until it ends.
    static func log(_ argv: [String]) async -> Int32 {
        // `-f`, as tail and journalctl spell it.
        guard let (id, arguments) = parse("log", argv.map { $0 == "-f" ? "--follow" : $0 }, flags: ["--follow"]) else { return 2 }
        return await ClientCommand.run("log") { client, _ in
            let sessions = try await client.call("session/list", ["task": .number(JSONNumber(id))])["sessions"]?.arrayValue ?? []
            let out = FileDescriptorOutput(fd: 1)
            guard !sessions.isEmpty else {
                out.write("#\(id) has no sessions yet\n")
                return 0
            }
            let follow = arguments.has("--follow")
            for (index, session) in sessions.enumerated() {
                let sessionID = session.string("id") ?? ""
                var end = session.string("endReason") ?? "running"
                if let code = session["exitCode"]?.intValue { end += ", exit \(code)" }
                if let signal = session["signal"]?.intValue { end += ", signal \(signal)" }
                if let cost = session["costUSD"]?.doubleValue { end += String(format: ", $%.4f", cost) }
                out.write("== #\(id) session \(sessionID): \(session.string("agent") ?? "?"), try \(session.int("attempt")), "
                          + "pid \(session.int("pid")), \(end), \(session.string("verdict") ?? "?")\n")
                let last = index == sessions.count - 1
                var offset = 0
                // Page through the log; when following the running session, poll for more.
                while true {
                    let page = try await client.call("session/log", ["session": .string(sessionID), "offset": .number(JSONNumber(offset))])
                    let text = page.string("text") ?? ""
                    out.write(text)
                    let next = page.int("nextOffset")
                    // No progress (the log ends inside a character still being written): wait.
                    if next < page.int("size") && next > offset {
                        offset = next
                        continue
                    }
                    offset = next
                    guard follow && last && page["running"]?.boolValue == true else { break }
                    try await Task.sleep(for: .milliseconds(200))
                }
                if let gate = session.string("gate") { out.write("-- gate: \(gate)\n") }
            }
            return 0
        }
    }

    /// Back to Todo with the attempts counted afresh; the guidance goes into the next prompt.
    static func retry(_ argv: [String]) async -> Int32 {
        guard let (id, arguments) = parse("retry", argv, options: ["--guidance"]) else { return 2 }
        var params: [String: JSONValue] = ["task": .number(JSONNumber(id))]
        if let guidance = arguments.value("--guidance") { params["guidance"] = .string(guidance) }
        return await decide("retry", "task/retry", .object(params), done: "#\(id): back in Todo")
    }

    static func reassign(_ argv: [String]) async -> Int32 {
        guard let (id, arguments) = parse("reassign", argv, extra: 1) else { return 2 }
        let agent = arguments.positionals[1]
        return await decide("reassign", "task/reassign", ["task": .number(JSONNumber(id)), "agent": .string(agent)],
                            done: "#\(id): back in Todo for \(agent)")
    }

    /// Gives up on the task: its worktree and branch are removed; it stays on the board, blocked.
    static func abandon(_ argv: [String]) async -> Int32 {
        guard let (id, _) = parse("abandon", argv) else { return 2 }
        return await decide("abandon", "task/abandon", ["task": .number(JSONNumber(id))], done: "#\(id): abandoned")
    }

    /// Accepts the work in Review: it goes to the merge queue.
    static func approve(_ argv: [String]) async -> Int32 {
        guard let (id, _) = parse("approve", argv) else { return 2 }
        return await decide("approve", "task/approve", ["task": .number(JSONNumber(id))], done: "#\(id): approved, queued for merging")
    }

    /// Sends the work in Review back to its agent with feedback.
    static func reject(_ argv: [String]) async -> Int32 {
        guard let (id, arguments) = parse("reject", argv, options: ["--feedback"]) else { return 2 }
        guard let feedback = arguments.value("--feedback"), !feedback.isEmpty else {
            return Usage.fail("reject: usage: braid reject #N --feedback TEXT")
        }
        return await decide("reject", "task/reject", ["task": .number(JSONNumber(id)), "feedback": .string(feedback)],
                            done: "#\(id): back to its agent with your feedback")
    }

    /// Ends the task's running session (its whole process group). The supervisor sees the end and
    /// blocks the task as cancelled, with its work kept.
    static func cancel(_ argv: [String]) async -> Int32 {
        guard let (id, _) = parse("cancel", argv) else { return 2 }
        return await ClientCommand.run("cancel") { client, _ in
            let result = try await client.call("session/cancel", ["task": .number(JSONNumber(id))])
            print("cancelled #\(id) (session \(result.string("session") ?? "?"))")
            return 0
        }
    }

    private static func decide(_ command: String, _ method: String, _ params: JSONValue, done: String) async -> Int32 {
        await ClientCommand.run(command) { client, _ in
            _ = try await client.call(method, params)
            print(done)
            return 0
        }
    }

    /// `COMMAND #N [extra positionals]`; prints the usage error itself and returns nil.
    static func parse(_ command: String, _ argv: [String], options: Set<String> = [], flags: Set<String> = [],
                      extra: Int = 0) -> (Int, Arguments)? {
        do {
            let arguments = try Arguments(argv, options: options, flags: flags)
            guard arguments.positionals.count == 1 + extra, let id = Arguments.taskID(arguments.positionals[0]) else {
                _ = Usage.fail("\(command): usage: braid \(command) #N" + (extra > 0 ? " AGENT" : ""))
                return nil
            }
            return (id, arguments)
        } catch {
            _ = Usage.fail("\(command): \(error)")
            return nil
        }
    }
}
