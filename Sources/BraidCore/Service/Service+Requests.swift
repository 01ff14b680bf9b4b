import Foundation
import JSON

/// The board, sessions, diffs, worktrees and numbers, as every client asks for them. Results are
/// JSON in the shapes `Protocol/` documents (the CLI's `--json` prints them as they come).
extension Service {
    // MARK: Board

    /// Adds a task to the board (Todo unless told otherwise) and wakes the supervisor.
    public func addTask(title: String, body: String, fields: [BoardField: String], section: BoardSection = .todo) async throws -> TaskSnapshot {
        try checkFields(fields, of: nil)
        let id: Int
        do {
            id = try store.update { board in try board.add(title: title, body: body, fields: fields, to: section) }
        } catch let error as BoardError {
            throw RequestError.invalid("\(error)")
        }
        await supervisor.wake()
        return try task(id)
    }

    /// Changes a task's title and fields (a nil value removes the field).
    public func updateTask(_ id: Int, title: String?, fields: [BoardField: String?]) async throws -> TaskSnapshot {
        _ = try task(id)
        try checkFields(fields.compactMapValues { $0 }, of: id)
        do {
            try store.update { board in
                guard board.task(id: id) != nil else { throw RequestError.noSuchTask(id) }
                if let title { try board.setTitle(id: id, title) }
                for (field, value) in fields.sorted(by: { $0.key.rawValue < $1.key.rawValue }) {
                    try board.setField(id: id, key: field, value: value)
                }
            }
        } catch let error as BoardError {
            throw RequestError.invalid("\(error)")
        }
        await supervisor.wake()
        return try task(id)
    }

    /// Moves a card by hand: to Todo, Blocked or Done. In Progress and Review are the
    /// supervisor's to set; a task with a session running or waiting in the merge queue stays put.
    public func moveTask(_ id: Int, to section: BoardSection) async throws -> TaskSnapshot {
        let current = try task(id)
        guard [.todo, .blocked, .done].contains(section) else {
            throw RequestError.invalid("a task moves by hand only to todo, blocked or done; \(section.rawValue) is the supervisor's to set")
        }
        guard current.runningSession == nil, !(await supervisor.busyTasks.contains(id)) else {
            throw RequestError.wrongState("#\(id) has a session or a gate running; cancel it first")
        }
        guard !current.queued else { throw RequestError.wrongState("#\(id) waits in the merge queue; `merge/abort` takes it out first") }
        try store.update { board in
            try board.move(id: id, to: section)
            try board.setOwner(id: id, nil)
            if section != .blocked { try board.setField(id: id, key: .blocked, value: nil) }
        }
        await supervisor.wake()
        return try task(id)
    }

    /// Takes a task off the board. Its id is never handed out again.
    public func removeTask(_ id: Int) async throws {
        let current = try task(id)
        guard current.runningSession == nil, !(await supervisor.busyTasks.contains(id)) else {
            throw RequestError.wrongState("#\(id) has a session or a gate running; cancel it first")
        }
        guard !current.queued else { throw RequestError.wrongState("#\(id) waits in the merge queue; `merge/abort` takes it out first") }
        try store.update { board in try board.remove(id: id) }
        refresh()
    }

    /// An agent (or a fallback) that no profile names, or an `after:` task that is not on the
    /// board, would leave the task unable ever to run: refused up front.
    private func checkFields(_ fields: [BoardField: String], of task: Int?) throws {
        if let agent = fields[.agent] { try checkAgent(agent) }
        for agent in (fields[.fallback] ?? "").split(separator: ",").map({ $0.trimmingCharacters(in: .whitespaces) }) where !agent.isEmpty {
            try checkAgent(agent)
        }
        let entries = (fields[.after] ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        let known = Set(tasks().map(\.id))
        for entry in entries {
            guard let id = Int(entry.drop { $0 == "#" }) else { throw RequestError.invalid("'after' entry '\(entry)' is not a task id") }
            guard id != task else { throw RequestError.invalid("a task cannot wait for itself") }
            guard known.contains(id) else { throw RequestError.invalid("'after' names #\(id), which is not on the board") }
        }
    }

    private func checkAgent(_ agent: String) throws {
        do {
            _ = try AgentProfile.named(agent, config: config, context: "the task's agent")
        } catch {
            throw RequestError.invalid("\(error)")
        }
    }

    // MARK: Sessions

    /// Sessions of one task (or of all), oldest first.
    public func sessions(task id: Int?) throws -> [SessionRecord] {
        let state = journal.state
        if let id {
            _ = try task(id)
            return (state.task(id)?.sessions ?? []).compactMap { state.session($0) }
        }
        return state.sessions.values.sorted { $0.startedAt < $1.startedAt }
    }

    /// The summary of the gate that judged this session, if it was the task's last.
    public func gateSummary(of session: SessionRecord) -> String? {
        guard let gate = journal.state.task(session.task)?.lastGate, gate.session == session.id,
              let result = try? JSONDecoder().decode(GateResult.self, from: Data(JSONWriter.encode(gate.result))) else { return nil }
        return result.summary
    }

    /// The session a request names: by id, or the latest of a task.
    public func session(id: String?, task: Int?) throws -> SessionRecord {
        let state = journal.state
        if let id {
            guard let session = state.session(id) else { throw RequestError.noSuchSession(id) }
            return session
        }
        guard let task else { throw RequestError.invalid("name a session or a task") }
        _ = try self.task(task)
        guard let last = state.task(task)?.sessions.last.flatMap({ state.session($0) }) else {
            throw RequestError.wrongState("#\(task) has no sessions yet")
        }
        return last
    }

    /// Part of a session's log: from `offset` (at most `limit` bytes), or its last `tail` bytes.
    /// Cut on whole UTF-8 characters; `nextOffset` continues where this one stopped.
    public func sessionLog(_ session: SessionRecord, offset: Int?, limit: Int, tail: Int?) throws -> JSONValue {
        let handle: FileHandle
        do {
            handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: session.log))
        } catch {
            throw RequestError.wrongState("session \(session.id) has no log at \(session.log)")
        }
        defer { try? handle.close() }
        let size = Int((try? handle.seekToEnd()) ?? 0)
        var start = min(max(0, offset ?? 0), size)
        var length = min(limit, size - start)
        if let tail {
            start = max(0, size - tail)
            length = size - start
        }
        try handle.seek(toOffset: UInt64(start))
        var bytes = [UInt8](try handle.read(upToCount: length) ?? Data())
        if tail != nil {
            // Start on a character, not in the middle of one.
            while let first = bytes.first, first & 0xC0 == 0x80 {
                bytes.removeFirst()
                start += 1
            }
        }
        if start + bytes.count < size || session.end == nil {
            bytes.removeLast(bytes.count - SessionTail.completeCharacters(bytes, bytes.count))
        }
        return .object([
            "session": .string(session.id), "task": .number(JSONNumber(session.task)),
            "offset": .number(JSONNumber(start)), "nextOffset": .number(JSONNumber(start + bytes.count)),
            "size": .number(JSONNumber(size)), "running": .bool(session.end == nil),
            "text": .string(String(decoding: bytes, as: UTF8.self)),
        ])
    }

    // MARK: Diffs, worktrees, numbers

    /// The task's change: against the merge base while it has a worktree, else its landed commit.
    public func diff(task id: Int, statOnly: Bool) throws -> JSONValue {
        guard let task = try store.read().task(id: id) else { throw RequestError.noSuchTask(id) }
        let manager = try workspace.worktreeManager(config)
        let base: String
        let patch: String
        let files: [FileChange]
        if let worktree = try workspace.worktreeRegistry.worktree(forTask: id) {
            base = try manager.mergeBase(worktree)
            files = try manager.diffstat(worktree, against: base)
            patch = statOnly ? "" : try manager.diff(worktree, against: base)
        } else if let landed = task.landedCommit, landed.allSatisfy(\.isHexDigit), landed.count >= 7 {
            let git = manager.git
            guard let commit = try git.commit(of: landed, context: "reading #\(id)'s landed commit") else {
                throw RequestError.failed("#\(id)'s landed commit \(landed) is not in this repository")
            }
            base = commit + "^"
            files = FileChange.parseNumstat(try git.output(["diff", "--numstat", "-z", "--no-renames", base, commit, "--"],
                                                           context: "counting #\(id)'s changes"))
            patch = statOnly ? "" : try git.output(
                ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/",
                 base, commit, "--"], context: "diffing #\(id)")
        } else {
            throw RequestError.wrongState("#\(id) has no worktree and has not landed: nothing to show")
        }
        return .object([
            "task": .number(JSONNumber(id)), "base": .string(base),
            "files": .array(files.map { .object(["path": .string($0.path), "added": .number(JSONNumber($0.added)),
                                                 "deleted": .number(JSONNumber($0.deleted)), "binary": .bool($0.isBinary)]) }),
            "patch": .string(patch),
        ])
    }

    /// Every task worktree git knows, with the task it belongs to.
    public func worktrees() throws -> JSONValue {
        let manager = try workspace.worktreeManager(config)
        let registered = try workspace.worktreeRegistry.all()
        let startByPath = Dictionary(registered.values.map { ($0.path.standardizedFileURL.path, $0) }, uniquingKeysWith: { a, _ in a })
        return .array(try manager.list().map { info in
            let record = startByPath[info.path.standardizedFileURL.path]
            return .object([
                "path": .string(info.path.path),
                "branch": info.branch.map { .string($0) } ?? .null,
                "head": info.head.map { .string($0) } ?? .null,
                "task": record.map { .number(JSONNumber($0.taskID)) } ?? .null,
                "startCommit": record.map { .string($0.startCommit) } ?? .null,
                "locked": .bool(info.isLocked),
                "missing": .bool(!info.folderExists),
            ])
        })
    }

    /// Removes what git and Braid remember of worktrees deleted by hand; returns what went.
    public func pruneWorktrees() throws -> [String] {
        let pruned = try workspace.worktreeManager(config).prune()
        try workspace.worktreeRegistry.change { entries in
            entries = entries.filter { FileManager.default.fileExists(atPath: $0.value.path.path) }
        }
        return pruned
    }

    /// What the team measures, overall and per agent.
    public func metrics() throws -> Metrics {
        var state = journal.state
        // Decisions of the merge queue not applied to the journal yet count too.
        for decision in try mergeLog.read().decisions where decision.seq > (state.task(decision.task)?.mergeSeq ?? 0) {
            state.apply(.mergeDecision(task: decision.task, seq: decision.seq, landed: decision.isDone,
                                       reason: decision.kind == .alreadyLanded ? "alreadyLanded" : decision.reason?.rawValue,
                                       commit: decision.commit, detail: decision.detail, agent: decision.agent, at: decision.at))
        }
        let commits = state.tasks.values.compactMap(\.landedCommit)
        return Metrics(state: state, lines: try LineCount.of(commits, git: try workspace.worktreeManager(config).git))
    }

    /// The merge queue: what waits, and the latest decisions.
    public func mergeQueue() throws -> MergeQueueState { try mergeLog.read() }

    /// The repository at a glance: where it is, what runs, how many tasks in each section.
    public func status() async -> JSONValue {
        let snapshots = tasks()
        var counts: [String: JSONValue] = [:]
        for section in BoardSection.allCases {
            counts[section.rawValue] = .number(JSONNumber(snapshots.filter { $0.section == section }.count))
        }
        let mode = await supervisor.mode
        let busy = await supervisor.busyTasks
        let merging = await supervisor.isMerging
        return .object([
            "root": .string(workspace.root.path), "board": .string(config.board), "baseBranch": .string(config.baseBranch),
            "mode": .string(mode.rawValue), "busyTasks": .array(busy.map { .number(JSONNumber($0)) }),
            "merging": .bool(merging), "queued": .number(JSONNumber(snapshots.filter(\.queued).count)),
            "sections": .object(counts), "maxSessions": .number(JSONNumber(config.maxSessions)),
            "pid": .number(JSONNumber(Int(getpid()))), "clients": .number(JSONNumber(subscriberCount)),
            "version": .string(BraidVersion.current),
        ])
    }
}

extension Metrics {
    public var json: JSONValue {
        .object(["overall": Self.json(overall), "agents": .array(agents.map(Self.json))])
    }

    public static func json(_ row: Row) -> JSONValue {
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
