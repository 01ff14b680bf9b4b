import BraidCore
import Foundation
import JSON
import JSONRPC

/// Tells one client what happens in its repository, in order, from `initialized` to `shutdown`
/// (or until it disconnects): each service event becomes its notification, and an escalation
/// becomes a question (`window/showMessageRequest`) whose answer is acted upon.
actor EventForwarder {
    static let notifications = ["task/changed", "session/output", "session/exited", "gate/result", "$/progress",
                                "window/showMessage"]
    static let escalationRequest = "window/showMessageRequest"
    /// The actions offered for an escalated task, as LSP's `MessageActionItem` titles.
    static let escalationActions = ["Retry", "Reassign", "Abandon"]

    let service: Service
    let connection: Connection
    /// Whether the client said it answers `window/showMessageRequest`; others are told with
    /// `window/showMessage` and decide through `task/retry`, `task/reassign` or `task/abandon`.
    let answersRequests: Bool
    private var subscription: Int?
    private var starting: Task<Void, Never>?
    private var pump: Task<Void, Never>?
    private var merges = 0
    /// Tokens the client gave `supervisor/run`: each ends when the run does.
    private var runTokens: [JSONValue] = []
    /// Tasks this client was asked about and has not answered yet.
    private var asking: Set<String> = []

    init(service: Service, connection: Connection, answersRequests: Bool) {
        self.service = service
        self.connection = connection
        self.answersRequests = answersRequests
    }

    /// Subscribes (once: a second call waits for the first to finish).
    func start() async {
        if let starting {
            await starting.value
            return
        }
        let starting = Task { await subscribe() }
        self.starting = starting
        await starting.value
    }

    private func subscribe() async {
        let (id, stream) = await service.subscribe()
        subscription = id
        // Escalations that happened before this client came still wait for an answer.
        for (task, escalation) in await service.openEscalations.sorted(by: { $0.key < $1.key }) {
            escalated(task, agent: escalation.agent, reason: escalation.reason)
        }
        pump = Task { [weak self] in
            for await event in stream { await self?.forward(event) }
        }
    }

    func stop() async {
        pump?.cancel()
        pump = nil
        if let subscription { await service.unsubscribe(subscription) }
        subscription = nil
    }

    /// A `supervisor/run` with a work-done token: progress begins now and ends with the run.
    func follow(runToken token: JSONValue) {
        runTokens.append(token)
        progress(token, ["kind": "begin", "title": "Braid run", "message": "dispatching from the board"])
    }

    private func forward(_ event: ServiceEvent) {
        switch event {
        case .taskChanged(let snapshot):
            connection.notify("task/changed", params: ["id": .number(JSONNumber(snapshot.id)), "task": snapshot.json])
        case .taskRemoved(let id):
            connection.notify("task/changed", params: ["id": .number(JSONNumber(id)), "task": .null])
        case .sessionOutput(let task, let session, let offset, let text):
            connection.notify("session/output", params: ["task": .number(JSONNumber(task)), "session": .string(session),
                                                         "offset": .number(JSONNumber(offset)), "text": .string(text)])
        case .sessionStarted:
            break
        case .sessionExited(let task, let session, let exitCode, let signal, let reason):
            connection.notify("session/exited", params: [
                "task": .number(JSONNumber(task)), "session": .string(session),
                "exitCode": exitCode.map { .number(JSONNumber(Int($0))) } ?? .null,
                "signal": signal.map { .number(JSONNumber(Int($0))) } ?? .null, "reason": .string(reason)])
        case .gateStarted(let task, let session, let steps):
            progress(.string("braid/gate/\(session)"), ["kind": "begin", "title": .string("Gate of #\(task)"),
                                                        "message": .string(steps.joined(separator: ", "))])
        case .gateResult(let task, let session, let result):
            connection.notify("gate/result", params: Self.gateResult(task: task, session: session, result))
            progress(.string("braid/gate/\(session)"), ["kind": "end", "message": .string(result.passed ? "passed" : result.summary)])
        case .mergeStarted:
            merges += 1
            progress(.string("braid/merge/\(merges)"), ["kind": "begin", "title": "Merge queue", "message": "landing queued tasks"])
        case .mergeFinished(let landed, let refused, let waiting):
            var message = "landed \(landed.count), sent back \(refused.count)"
            if let waiting { message += "; waiting: \(waiting)" }
            progress(.string("braid/merge/\(merges)"), ["kind": "end", "message": .string(message)])
        case .mergeDecided(let decision):
            decision.notify(connection)
        case .escalated(let task, let agent, let reason):
            escalated(task, agent: agent, reason: reason)
        case .runStarted:
            break
        case .runEnded:
            for token in runTokens { progress(token, ["kind": "end", "message": "nothing left to run"]) }
            runTokens = []
        case .notice(let message):
            tell(.warning, message)
        case .log(let line):
            connection.notify(LogMessageNotification.self, .init(type: .info, message: line))
        }
    }

    private func progress(_ token: JSONValue, _ value: [String: JSONValue]) {
        connection.notify("$/progress", params: ["token": token, "value": .object(value)])
    }

    static func gateResult(task: Int, session: String, _ result: GateResult) -> JSONValue {
        .object([
            "task": .number(JSONNumber(task)), "session": .string(session), "passed": .bool(result.passed),
            "failedStep": result.failedStep.map { .string($0.name) } ?? .null, "summary": .string(result.summary),
            "steps": .array(result.steps.map { step in
                .object(["name": .string(step.name), "passed": .bool(step.passed), "outcome": .string("\(step.outcome)"),
                         "seconds": .number(JSONNumber(step.seconds))])
            }),
            "skipped": .array(result.skipped.map { .string($0) }),
        ])
    }

    // MARK: Escalations

    private func escalated(_ task: Int, agent: String, reason: String) {
        guard answersRequests else {
            connection.notify("window/showMessage", params: [
                "type": 2, "message": .string("#\(task) needs you: \(reason). Retry, reassign or abandon it (task/retry, task/reassign, task/abandon).")])
            return
        }
        Task { await ask(task, agent: agent, reason: reason) }
    }

    /// Asks the client what to do about an escalated task and does it; another client may have
    /// decided first, which the answer is then told.
    private func ask(_ task: Int, agent: String, reason: String) async {
        // One question per escalation (a task escalated again is asked again).
        guard let stamp = await service.supervisor.escalationStamp(task) else { return }
        let key = "\(task)@\(stamp.timeIntervalSince1970)"
        guard asking.insert(key).inserted else { return }
        defer { asking.remove(key) }
        let answer: JSONValue
        do {
            answer = try await connection.sendRequest(Self.escalationRequest, params: [
                "type": 2, "message": .string("#\(task) was escalated: \(reason)"),
                "actions": .array(Self.escalationActions.map { ["title": .string($0)] }),
            ])
        } catch {
            return
        }
        guard let title = answer["title"]?.stringValue else { return }  // dismissed: the task stays blocked
        // Decided meanwhile (by another client, or a task/... request), or escalated again since:
        // a late answer is not acted on.
        guard await service.supervisor.escalationStamp(task) == stamp else {
            tell(.warning, "#\(task) was decided meanwhile: \(title) not done")
            return
        }
        do {
            let supervisor = service.supervisor
            switch title {
            case "Retry":
                try await supervisor.decideEscalation(task: task, escalatedAt: stamp, outcome: .retriedByUser,
                                                      guidance: answer["guidance"]?.stringValue)
                await supervisor.startRun()
                tell(.info, "#\(task) retried: back in Todo with its tries counted afresh")
            case "Reassign":
                var to = answer["agent"]?.stringValue ?? ""
                if to.isEmpty { to = try await otherAgent(for: task, than: agent) }
                try await supervisor.decideEscalation(task: task, escalatedAt: stamp, outcome: .reassigned, agent: to)
                await supervisor.startRun()
                tell(.info, "#\(task) reassigned to \(to)")
            case "Abandon":
                try await supervisor.decideEscalation(task: task, escalatedAt: stamp, outcome: .abandoned)
                tell(.info, "#\(task) abandoned: its worktree and branch are removed")
            default:
                tell(.error, "#\(task): '\(title)' is not one of \(Self.escalationActions.joined(separator: ", "))")
            }
        } catch {
            tell(.error, "#\(task): \(title) failed: \(error)")
        }
    }

    private func tell(_ type: MessageType, _ message: String) {
        connection.notify("window/showMessage", params: ["type": .number(JSONNumber(type.rawValue)), "message": .string(message)])
    }

    /// The agent a "Reassign" answer gives the task: its own fallbacks first, then the config's,
    /// then any other configured agent.
    private func otherAgent(for task: Int, than current: String) async throws -> String {
        let config = service.config
        let snapshot = try await service.task(task)
        let fallback = (try? service.workspace.boardStore(config).read().task(id: task)?.fallback) ?? []
        let candidates = (fallback ?? []) + config.fallback + config.agents.keys.sorted() + [config.defaultAgent]
        let last = snapshot.agent ?? current
        guard let other = candidates.first(where: { $0 != last && $0 != current }) else {
            throw RequestError.wrongState("no other agent is configured; use task/reassign with an agent's name")
        }
        return other
    }
}
