import BraidCore
import Foundation
import JSON

/// `braid log #N`, `braid retry #N [--guidance TEXT]`, `braid reassign #N AGENT`, `braid abandon #N`,
/// `braid cancel #N`: what a person does about one task.
enum TaskCommands {
    /// The sessions of task N, oldest first, each with its log and gate result.
    static func log(_ argv: [String]) -> Int32 {
        guard let (id, _) = parse("log", argv) else { return 2 }
        do {
            let context = try CommandContext.load()
            guard try context.boardStore.read().task(id: id) != nil else {
                return Usage.fail("log: no task #\(id) on \(context.config.board)", code: 1)
            }
            let state = SupervisorState(folding: try Journal.read(at: journalURL(context)).events)
            let sessions = (state.task(id)?.sessions ?? []).compactMap { state.session($0) }
            guard !sessions.isEmpty else {
                print("#\(id) has no sessions yet")
                return 0
            }
            for session in sessions {
                let end = session.end.map { end in
                    "\(end.reason)" + (end.exitCode.map { ", exit \($0)" } ?? "") + (end.signal.map { ", signal \($0)" } ?? "")
                        + (end.costUSD.map { String(format: ", $%.4f", $0) } ?? "")
                } ?? "running"
                print("== #\(id) session \(session.id): \(session.agent), try \(session.attempt), pid \(session.pid), \(end), \(session.verdict)")
                print((try? String(contentsOfFile: session.log, encoding: .utf8)) ?? "(no log at \(session.log))", terminator: "")
                if let gate = state.task(id)?.lastGate, gate.session == session.id,
                   let result = try? JSONDecoder().decode(GateResult.self, from: Data(JSONWriter.encode(gate.result))) {
                    print("-- gate: \(result.summary)")
                }
            }
            return 0
        } catch {
            return Usage.fail("log: \(error)", code: 1)
        }
    }

    /// Back to Todo with the attempts counted afresh; the guidance goes into the next prompt.
    static func retry(_ argv: [String]) -> Int32 {
        guard let (id, arguments) = parse("retry", argv, options: ["--guidance"]) else { return 2 }
        return outcome("retry", id: id, outcome: .retriedByUser, detail: arguments.value("--guidance"), agent: nil)
    }

    static func reassign(_ argv: [String]) -> Int32 {
        guard let (id, arguments) = parse("reassign", argv, extra: 1) else { return 2 }
        let agent = arguments.positionals[1]
        do {
            let context = try CommandContext.load()
            _ = try AgentProfile.named(agent, config: context.config, context: "reassigning #\(id)")
        } catch {
            return Usage.fail("reassign: \(error)", code: 1)
        }
        return outcome("reassign", id: id, outcome: .reassigned, detail: nil, agent: agent)
    }

    /// Gives up on the task: its worktree and branch are removed; it stays on the board, blocked.
    static func abandon(_ argv: [String]) -> Int32 {
        guard let (id, _) = parse("abandon", argv) else { return 2 }
        return outcome("abandon", id: id, outcome: .abandoned, detail: nil, agent: nil)
    }

    /// Ends the task's running session (its whole process group). The supervisor sees the end and
    /// blocks the task as cancelled, with its work kept.
    static func cancel(_ argv: [String]) -> Int32 {
        guard let (id, _) = parse("cancel", argv) else { return 2 }
        do {
            let context = try CommandContext.load()
            let state = SupervisorState(folding: try Journal.read(at: journalURL(context)).events)
            let board = try context.boardStore.read()
            let last = state.task(id)?.sessions.last.flatMap { state.session($0) }
            let session: SessionRecord
            if let running = state.runningSessions.last(where: { $0.task == id }) {
                session = running
            } else if let last, last.verdict == .awaitingGate, board.task(id: id)?.section == .inProgress {
                // Its agent is done and its gate runs: the supervisor reads the mark when the gate ends.
                try mark(context, last)
                print("cancelling #\(id): its gate is running; the task stops when the gate ends")
                return 0
            } else {
                return Usage.fail("cancel: #\(id) has no running session", code: 1)
            }
            try mark(context, session)
            // Only the session's own processes: a reused pid never names them (see AgentIdentity).
            if AgentIdentity.session(of: session.pid) == session.id, let process = AgentProcess.adopt(pid: session.pid) {
                let done = DispatchSemaphore(value: 0)
                Task {
                    _ = await process.terminate(grace: .seconds(5))
                    done.signal()
                }
                done.wait()
            }
            AgentIdentity.kill(session: session.id)
            print("cancelled #\(id) (session \(session.id), pid \(session.pid))")
            return 0
        } catch {
            return Usage.fail("cancel: \(error)", code: 1)
        }
    }

    // MARK: Shared

    static func mark(_ context: CommandContext, _ session: SessionRecord) throws {
        let marker = context.workspace.cancelMarker(session: session.id)
        try FileManager.default.createDirectory(at: marker.deletingLastPathComponent(), withIntermediateDirectories: true)
        try AtomicFile.write("cancelled at \(Date())\n", to: marker)
    }

    static func journalURL(_ context: CommandContext) -> URL {
        context.workspace.stateDirectory.appendingPathComponent(Journal.fileName)
    }

    /// `COMMAND #N [extra positionals]`; prints the usage error itself and returns nil.
    static func parse(_ command: String, _ argv: [String], options: Set<String> = [], extra: Int = 0) -> (Int, Arguments)? {
        do {
            let arguments = try Arguments(argv, options: options)
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

    /// Records a person's decision in the journal (which a running `braid run` holds: then this
    /// says so) and moves the task on the board.
    static func outcome(_ command: String, id: Int, outcome: TaskOutcome, detail: String?, agent: String?) -> Int32 {
        do {
            let context = try CommandContext.load()
            guard let task = try context.boardStore.read().task(id: id) else {
                return Usage.fail("\(command): no task #\(id) on \(context.config.board)", code: 1)
            }
            // Work that passed its gate (Review) or landed (Done) is not undone by these.
            let allowed: Set<BoardSection> = outcome == .retriedByUser ? [.blocked] : [.todo, .blocked]
            guard allowed.contains(task.section) else {
                return Usage.fail("\(command): #\(id) is in \(task.section.heading); \(command) applies to "
                    + allowed.map(\.heading).sorted().joined(separator: " or ") + " tasks", code: 1)
            }
            let journal = try Journal.open(in: context.workspace.stateDirectory)
            defer { journal.close() }
            guard journal.state.runningSessions.allSatisfy({ $0.task != id }) else {
                return Usage.fail("\(command): #\(id) has a running session; `braid cancel #\(id)` first", code: 1)
            }
            try journal.append(.taskOutcome(task: id, outcome: outcome, detail: detail, agent: agent, at: Date()))
            if outcome == .abandoned, let worktree = try context.workspace.worktreeRegistry.worktree(forTask: id) {
                try context.workspace.worktreeManager(context.config).remove(worktree, deleteBranch: true)
                try context.workspace.worktreeRegistry.forget(taskID: id)
            }
            try context.boardStore.update { board in
                switch outcome {
                case .abandoned:
                    try board.move(id: id, to: .blocked)
                    try board.setField(id: id, key: .blocked, value: "abandoned by a person (worktree and branch removed)")
                default:
                    try board.move(id: id, to: .todo)
                    try board.setField(id: id, key: .blocked, value: nil)
                    if let agent { try board.setField(id: id, key: .agent, value: agent) }
                }
                try board.setOwner(id: id, nil)
            }
            print("#\(id): \(command == "abandon" ? "abandoned" : "back in Todo")" + (agent.map { " for \($0)" } ?? ""))
            return 0
        } catch {
            return Usage.fail("\(command): \(error)", code: 1)
        }
    }
}
