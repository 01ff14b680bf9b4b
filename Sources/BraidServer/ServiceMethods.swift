import BraidCore
import Foundation
import JSON
import JSONRPC

/// Braid's own methods (see `Protocol/`): each decodes its params, asks the repository's service,
/// and answers JSON; a failure of the domain becomes its documented error code.
struct ServiceMethods {
    let server: BraidServer

    static let names = [
        "workspace/init", "workspace/status",
        "task/list", "task/add", "task/update", "task/move", "task/remove",
        "session/start", "session/list", "session/cancel", "session/log", "session/attach",
        "supervisor/run", "supervisor/pause", "supervisor/resume",
        "gate/run",
        "task/diff", "task/approve", "task/reject", "task/retry", "task/reassign", "task/abandon",
        "merge/enqueue", "merge/wait", "merge/queue", "merge/abort",
        "worktree/list", "worktree/prune",
        "metrics/get",
        "review/findings", "review/adjudicate", "review/run",
    ]

    /// Requests that change state run in the order they arrived (a `task/move` then a
    /// `session/start` never swap); reads, and requests that wait long (`merge/wait`, `gate/run`,
    /// `session/cancel`'s grace period), run concurrently.
    static let concurrent: Set<String> = [
        "workspace/status", "task/list", "task/diff", "session/list", "session/log", "session/attach", "session/cancel",
        "gate/run", "merge/wait", "merge/queue", "worktree/list", "metrics/get", "review/findings",
    ]

    static func ordering(_ method: String) -> Ordering { concurrent.contains(method) ? .concurrent : .ordered }

    /// The most `session/log` returns in one answer; page with `offset`.
    static let maxLogBytes = 1 << 20

    func register(in table: inout HandlerTable) {
        let server = self.server
        /// A method on the service, with typed params.
        func on<P: Decodable & Sendable>(_ method: String, _ type: P.Type,
                                         _ body: @escaping @Sendable (P, Service, RequestContext) async throws -> JSONValue) {
            table.onRequest(method, ordering: Self.ordering(method)) { params, context in
                // Outside a Braid repository that comes first, whatever the params.
                let service = try server.requireService()
                let decoded = try ParamsCoding.decode(P.self, from: params, positional: [])
                do {
                    return try await body(decoded, service, context)
                } catch {
                    throw ResponseError.from(error)
                }
            }
        }
        /// A method on the service that takes no params.
        func on(_ method: String, _ body: @escaping @Sendable (Service, RequestContext) async throws -> JSONValue) {
            table.onRequest(method, ordering: Self.ordering(method)) { _, context in
                let service = try server.requireService()
                do {
                    return try await body(service, context)
                } catch {
                    throw ResponseError.from(error)
                }
            }
        }

        // Workspace
        table.onRequest("workspace/init", ordering: .ordered) { params, context in
            let decoded = try ParamsCoding.decode(ServiceParams.Init.self, from: params ?? .object([:]), positional: [])
            let result = try server.initializeWorkspace(decoded)
            // `initialized` found no repository to subscribe to: this client hears of it from now on.
            await server.startForwarding(context.connection)
            return result
        }
        on("workspace/status") { service, _ in await service.status() }

        // Tasks
        // The whole board, as the board orders it, is answered already encoded: the service keeps that
        // answer while nothing changes (editors ask often). A section or another order is built.
        table.onEncodedRequest("task/list") { raw, _ in
            let service = try server.requireService()
            let params = try ParamsCoding.decode(ServiceParams.List.self, from: raw, positional: [])
            guard params.section != nil || (params.orderBy != nil && params.orderBy != "board") else {
                // Without a hop to the service's actor when the answer is current (editors ask often,
                // and the actor may be busy reading a board that just changed).
                if let current = service.currentTaskList() { return current }
                return await service.encodedTaskList()
            }
            var tasks = await service.tasks()
            if let name = params.section {
                guard let section = BoardSection(rawValue: name) else {
                    throw ResponseError.invalidParams("'section' must be one of " + BoardSection.allCases.map(\.rawValue).joined(separator: ", "))
                }
                tasks = tasks.filter { $0.section == section }
            }
            switch params.orderBy {
            case nil, "board"?: break
            case "risk"?: tasks.sort { ($0.risk?.score ?? -1, -$0.id) > ($1.risk?.score ?? -1, -$1.id) }
            case let other?: throw ResponseError.invalidParams("'orderBy' must be board or risk, not '\(other)'")
            }
            return JSONWriter.encode(.object(["tasks": .array(tasks.map(\.json))]))
        }
        on("task/add", ServiceParams.Add.self) { params, service, _ in
            var section = BoardSection.todo
            if let name = params.section {
                guard let parsed = BoardSection(rawValue: name), [.todo, .blocked].contains(parsed) else {
                    throw ResponseError.invalidParams("'section' must be todo or blocked, not '\(name)'")
                }
                section = parsed
            }
            let fields = try Self.fields(agent: params.agent, touches: params.touches, after: params.after,
                                         priority: params.priority, fallback: params.fallback).compactMapValues { $0 }
            return try await service.addTask(title: params.title, body: params.body ?? "", fields: fields, section: section).json
        }
        on("task/update", ServiceParams.Update.self) { params, service, _ in
            let fields = try Self.fields(agent: params.agent, touches: params.touches, after: params.after,
                                         priority: params.priority, fallback: params.fallback)
            return try await service.updateTask(params.task, title: params.title, fields: fields).json
        }
        on("task/move", ServiceParams.Move.self) { params, service, _ in
            guard let section = BoardSection(rawValue: params.section) else {
                throw ResponseError.invalidParams("'section' must be one of "
                    + BoardSection.allCases.map(\.rawValue).joined(separator: ", ") + ", not '\(params.section)'")
            }
            return try await service.moveTask(params.task, to: section).json
        }
        on("task/remove", ServiceParams.Task.self) { params, service, _ in
            try await service.removeTask(params.task)
            return .object(["removed": .number(JSONNumber(params.task))])
        }

        // Sessions
        on("session/start", ServiceParams.Task.self) { params, service, _ in
            let session = try await service.supervisor.startSession(task: params.task)
            return .object(["task": .number(JSONNumber(params.task)), "session": .string(session)])
        }
        on("session/list", ServiceParams.SessionList.self) { params, service, _ in
            var sessions: [JSONValue] = []
            for session in try await service.sessions(task: params.task) {
                var members = Self.json(session).objectValue ?? [:]
                members["gate"] = await service.gateSummary(of: session).map { .string($0) } ?? .null
                sessions.append(.object(members))
            }
            return .object(["sessions": .array(sessions)])
        }
        on("session/cancel", ServiceParams.Task.self) { params, service, _ in
            let session = try await service.supervisor.cancel(task: params.task)
            return .object(["task": .number(JSONNumber(params.task)), "session": .string(session)])
        }
        on("session/log", ServiceParams.SessionLog.self) { params, service, _ in
            let limit = params.limit ?? Self.maxLogBytes
            guard (1...Self.maxLogBytes).contains(limit) else { throw ResponseError.invalidParams("'limit' must be between 1 and \(Self.maxLogBytes)") }
            if let offset = params.offset, offset < 0 { throw ResponseError.invalidParams("'offset' must not be negative") }
            if let tail = params.tail, !(1...Self.maxLogBytes).contains(tail) {
                throw ResponseError.invalidParams("'tail' must be between 1 and \(Self.maxLogBytes)")
            }
            let session = try await service.session(id: params.session, task: params.task)
            return try await service.sessionLog(session, offset: params.offset, limit: limit, tail: params.tail)
        }
        on("session/attach", ServiceParams.SessionName.self) { params, service, _ in
            let session = try await service.session(id: params.session, task: params.task)
            let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
            return .object([
                "session": .string(session.id), "task": .number(JSONNumber(session.task)), "log": .string(session.log),
                "running": .bool(session.end == nil),
                "argv": .array([executable, "log", "#\(session.task)", "--follow"].map { .string($0) }),
                "cwd": .string(service.workspace.root.path),
            ])
        }

        // Supervisor
        on("supervisor/run", ServiceParams.WorkDone.self) { params, service, context in
            if let token = params.workDoneToken {
                guard token.stringValue != nil || token.intValue != nil else {
                    throw ResponseError.invalidParams("'workDoneToken' must be a string or an integer")
                }
                await server.startForwarding(context.connection)
                await server.forwarder.withLock { $0 }?.follow(runToken: token)
            }
            await service.supervisor.startRun()
            return .object(["mode": .string(await service.supervisor.mode.rawValue)])
        }
        on("supervisor/pause") { service, _ in
            await service.supervisor.pause()
            return .object(["mode": .string(await service.supervisor.mode.rawValue)])
        }
        on("supervisor/resume") { service, _ in
            guard await service.supervisor.mode == .paused else {
                throw RequestError.wrongState("the supervisor is not paused (it is \(await service.supervisor.mode.rawValue))")
            }
            await service.supervisor.resume()
            return .object(["mode": .string(await service.supervisor.mode.rawValue)])
        }

        // Gate
        on("gate/run", ServiceParams.Gate.self) { params, service, context in
            let token = params.workDoneToken
            if let token {
                guard token.stringValue != nil || token.intValue != nil else {
                    throw ResponseError.invalidParams("'workDoneToken' must be a string or an integer")
                }
                context.connection.notify("$/progress", params: ["token": token, "value": [
                    "kind": "begin", "title": .string("Gate of #\(params.task)"), "cancellable": false]])
            }
            do {
                let (session, result) = try await service.supervisor.gateNow(task: params.task)
                if let token {
                    context.connection.notify("$/progress", params: ["token": token, "value": [
                        "kind": "end", "message": .string(result.summary)]])
                }
                return EventForwarder.gateResult(task: params.task, session: session, result)
            } catch {
                if let token {
                    context.connection.notify("$/progress", params: ["token": token, "value": ["kind": "end", "message": .string("\(error)")]])
                }
                throw error
            }
        }

        // Review and decisions
        on("task/diff", ServiceParams.Diff.self) { params, service, _ in
            try await service.diff(task: params.task, statOnly: params.stat ?? false)
        }
        on("task/approve", ServiceParams.Task.self) { params, service, _ in
            try await service.supervisor.approve(task: params.task)
            return try await service.task(params.task).json
        }
        on("task/reject", ServiceParams.Reject.self) { params, service, _ in
            guard !params.feedback.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw ResponseError.invalidParams("'feedback' must say what to change")
            }
            try await service.supervisor.reject(task: params.task, feedback: params.feedback)
            return try await service.task(params.task).json
        }
        on("task/retry", ServiceParams.Retry.self) { params, service, _ in
            try await service.supervisor.decide(task: params.task, outcome: .retriedByUser, guidance: params.guidance)
            return try await service.task(params.task).json
        }
        on("task/reassign", ServiceParams.Reassign.self) { params, service, _ in
            do {
                try await service.supervisor.decide(task: params.task, outcome: .reassigned, agent: params.agent)
            } catch let error as AgentError {
                throw ResponseError.invalidParams("\(error)")
            }
            return try await service.task(params.task).json
        }
        on("task/abandon", ServiceParams.Task.self) { params, service, _ in
            try await service.supervisor.decide(task: params.task, outcome: .abandoned)
            return try await service.task(params.task).json
        }

        // Merge queue
        on("merge/enqueue", ServiceParams.Enqueue.self) { params, service, _ in
            let (queued, since) = try await service.supervisor.mergeNow(params.tasks ?? [])
            return .object([
                "queued": .array(queued.map { .object(["task": .number(JSONNumber($0.task)), "tip": .string($0.tip)]) }),
                "since": .number(JSONNumber(since)),
            ])
        }
        on("merge/wait", ServiceParams.MergeWait.self) { params, service, _ in
            guard params.since >= 0 else { throw ResponseError.invalidParams("'since' must not be negative") }
            let outcome = try await service.supervisor.waitForMerge(params.tasks ?? [], since: params.since)
            return .object([
                "decisions": .array(outcome.decisions.map(Self.json)),
                "waiting": outcome.waiting.map { .string($0) } ?? .null,
                "gateRuns": .number(JSONNumber(outcome.gateRuns)),
                "account": .array(outcome.lines.map { .string($0) }),
                "pending": .array(outcome.pending.map { .number(JSONNumber($0)) }),
            ])
        }
        on("merge/queue") { service, _ in
            let state = try await service.mergeQueue()
            return .object([
                "pending": .array(state.pending.map { candidate in
                    .object(["task": .number(JSONNumber(candidate.task)), "title": .string(candidate.title),
                             "agent": .string(candidate.agent), "tip": .string(candidate.tip), "branch": .string(candidate.branch)])
                }),
                "decisions": .array(state.decisions.suffix(20).map(Self.json)),
            ])
        }
        on("merge/abort", ServiceParams.Task.self) { params, service, _ in
            try await service.supervisor.abortMerge(task: params.task)
            return .object(["task": .number(JSONNumber(params.task)), "removed": true])
        }

        // Worktrees and numbers
        on("worktree/list") { service, _ in .object(["worktrees": try await service.worktrees()]) }
        on("worktree/prune") { service, _ in .object(["pruned": .array(try await service.pruneWorktrees().map { .string($0) })]) }
        on("metrics/get") { service, _ in try await service.metrics().json }

        // Review
        on("review/findings", ServiceParams.Task.self) { params, service, _ in
            _ = try await service.task(params.task)
            guard let record = service.supervisor.reviews.record(params.task) else {
                throw RequestError.wrongState("#\(params.task) has not been reviewed")
            }
            return record.json
        }
        on("review/adjudicate", ServiceParams.Adjudicate.self) { params, service, _ in
            guard !params.decisions.isEmpty else { throw ResponseError.invalidParams("'decisions' must name at least one finding") }
            let decisions = params.decisions.map { (finding: $0.finding, keep: $0.keep, reason: $0.reason) }
            return try await service.supervisor.adjudicate(task: params.task, decisions: decisions).json
        }
        on("review/run", ServiceParams.Task.self) { params, service, _ in
            try await service.supervisor.reviewAgain(task: params.task)
            return try await service.task(params.task).json
        }
    }

    /// Board fields from params: lists joined as the board writes them; "" (or an empty list)
    /// means "remove the field".
    static func fields(agent: String?, touches: [String]?, after: [Int]?, priority: Int?, fallback: [String]?) throws -> [BoardField: String?] {
        var fields: [BoardField: String?] = [:]
        func set(_ field: BoardField, _ value: String?) { fields[field] = .some(value.flatMap { $0.isEmpty ? nil : $0 }) }
        if let agent { set(.agent, agent) }
        if let touches { set(.touches, touches.joined(separator: ", ")) }
        if let after {
            guard after.allSatisfy({ $0 > 0 }) else { throw ResponseError.invalidParams("'after' must list task ids (positive integers)") }
            set(.after, after.map { "#\($0)" }.joined(separator: ", "))
        }
        if let priority { set(.priority, String(priority)) }
        if let fallback { set(.fallback, fallback.joined(separator: ", ")) }
        return fields
    }

    static func json(_ session: SessionRecord) -> JSONValue {
        .object([
            "id": .string(session.id), "task": .number(JSONNumber(session.task)), "agent": .string(session.agent),
            "attempt": .number(JSONNumber(session.attempt)), "pid": .number(JSONNumber(Int(session.pid))),
            "worktree": .string(session.worktree), "branch": .string(session.branch), "log": .string(session.log),
            "startedAt": .string(ISO8601DateFormatter().string(from: session.startedAt)),
            "running": .bool(session.end == nil), "verdict": .string("\(session.verdict)"),
            "exitCode": session.end?.exitCode.map { .number(JSONNumber(Int($0))) } ?? .null,
            "signal": session.end?.signal.map { .number(JSONNumber(Int($0))) } ?? .null,
            "endReason": session.end.map { .string($0.reason.rawValue) } ?? .null,
            "costUSD": session.end?.costUSD.map { .number(JSONNumber($0)) } ?? .null,
        ])
    }

    static func json(_ decision: MergeDecision) -> JSONValue {
        .object([
            "seq": .number(JSONNumber(decision.seq)), "task": .number(JSONNumber(decision.task)),
            "landed": .bool(decision.isDone), "kind": .string(decision.kind.rawValue), "reason": decision.reason.map { .string($0.rawValue) } ?? .null,
            "commit": decision.commit.map { .string($0) } ?? .null, "agent": .string(decision.agent),
            "detail": .string(decision.detail),
        ])
    }
}

extension BraidServer {
    /// `workspace/init`: makes the repository around the server's folder a Braid repository
    /// (standalone; a daemon only runs in one that already is).
    func initializeWorkspace(_ params: ServiceParams.Init) throws -> JSONValue {
        if let service = service.withLock({ $0 }) {
            throw ResponseError(BraidErrorCode.wrongState, "\(service.workspace.root.path) is already a Braid repository")
        }
        guard let workspace = uninitialized.withLock({ $0 }) else {
            throw ResponseError(BraidErrorCode.noWorkspace, "not inside a git repository: `git init` first")
        }
        do {
            let report = try workspace.initialize(testCommand: params.testCommand, agent: params.agent)
            try openService(workspace)
            uninitialized.withLock { $0 = nil }
            return .object(["root": .string(workspace.root.path), "createdConfig": .bool(report.createdConfig),
                            "createdBoard": .bool(report.createdBoard), "board": .string(report.config.board)])
        } catch let error as ResponseError {
            throw error
        } catch {
            throw ResponseError(.requestFailed, "workspace/init: \(error)")
        }
    }
}
