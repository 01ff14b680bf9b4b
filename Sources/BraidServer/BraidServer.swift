import BraidCore
import Foundation
import JSONRPC
import Synchronization

/// Braid's protocol surface: the methods of `Protocol/` registered on a JSON-RPC connection.
///
/// The server owns no transport and no process: the executable gives it a channel and says what
/// "exit" and "watch this process" mean, so tests can run it in memory.
public final class BraidServer: Sendable {
    public struct Hooks: Sendable {
        /// Ends the process with this code once output is flushed (LSP's `exit`).
        public var exit: @Sendable (Int32) -> Void
        /// Exit when this process dies (the `processId` of `initialize`).
        public var watchClientProcess: @Sendable (Int32) -> Void
        /// Diagnostics for stderr, never for the protocol stream.
        public var log: @Sendable (String) -> Void

        public init(exit: @escaping @Sendable (Int32) -> Void,
                    watchClientProcess: @escaping @Sendable (Int32) -> Void = { _ in },
                    log: @escaping @Sendable (String) -> Void = { _ in }) {
            self.exit = exit
            self.watchClientProcess = watchClientProcess
            self.log = log
        }
    }

    /// Requests this server answers (beyond what the client sends it, see `Protocol/`).
    public static let servedRequests = [
        InitializeRequest.method, ShutdownRequest.method, VersionRequest.method, PingRequest.method,
    ] + ServiceMethods.names
    /// Notifications this server acts on.
    public static let servedNotifications = [
        InitializedNotification.method, ExitNotification.method, SetTraceNotification.method, "$/cancelRequest",
    ]
    /// Notifications this server sends.
    public static let sentNotifications = [LogMessageNotification.method, LogTraceNotification.method,
                                           MergeLandedNotification.method, MergeRefusedNotification.method] + EventForwarder.notifications
    /// Requests this server sends to the client.
    public static let sentRequests = [ClientPingRequest.method, EventForwarder.escalationRequest]

    public let lifecycle = Lifecycle()
    private let hooks: Hooks
    private let trace = Mutex(TraceValue.off)
    private let pingNonce = Atomic<Int>(0)
    private let initializedReceived = Atomic<Bool>(false)
    /// The `processId` of an `initialize` whose answer is not written yet (watched once it is).
    private let pendingClientProcess = Mutex<Int32?>(nil)
    /// Where a repository is looked for when `initialize` names none.
    let defaultFolder: URL
    /// The repository's service: the daemon's, shared by every client, or (standalone) one this
    /// server opened at `initialize`; nil outside a Braid repository until `workspace/init`.
    let service: Mutex<Service?>
    /// Whether this server opened the service itself (and closes it at exit).
    let ownsService: Bool
    /// The repository found at `initialize` without a config yet (what `workspace/init` sets up).
    let uninitialized = Mutex<Workspace?>(nil)
    /// Tells this client of the service's events, from `initialized` to `shutdown`.
    let forwarder = Mutex<EventForwarder?>(nil)
    /// Whether the client can answer `window/showMessageRequest` (escalations are asked of it).
    let answersRequests = Atomic<Bool>(false)

    /// - Parameter service: the daemon's service, shared with every other client; nil for a
    ///   standalone server, which opens its own at `initialize`.
    public init(hooks: Hooks, folder: URL = URL(fileURLWithPath: FileManager.default.currentDirectoryPath), service: Service? = nil) {
        self.hooks = hooks
        self.defaultFolder = folder
        self.service = Mutex(service)
        self.ownsService = service == nil
    }

    public var traceValue: TraceValue { trace.withLock { $0 } }

    /// The handlers of every method above, with LSP's lifecycle as the admission rule.
    public func makeHandlers() -> HandlerTable {
        var table = HandlerTable()
        table.admission = { [lifecycle] method, isRequest in lifecycle.admit(method: method, isRequest: isRequest) }
        table.onAnswer = { [self] record, connection in answered(record, connection) }

        table.on(InitializeRequest.self, ordering: .ordered) { [self] params, _ in try initialize(params) }
        table.on(InitializedNotification.self) { [self] _, connection in
            // Once per session, however often a client repeats it.
            guard !initializedReceived.exchange(true, ordering: .relaxed) else { return }
            // Subscribed first: a client told "ready" hears of every change made after it.
            await startForwarding(connection)
            connection.notify(LogMessageNotification.self, .init(type: .info,
                message: "\(BraidVersion.name) \(BraidVersion.current) ready (pid \(getpid()))"))
        }
        table.on(ShutdownRequest.self, ordering: .ordered) { [self] _, _ in
            await stopForwarding()
            return .null
        }
        table.on(ExitNotification.self) { [self] _, _ in
            await stopForwarding()
            if ownsService, let service = service.withLock({ $0 }) { await service.close() }
            hooks.exit(lifecycle.exitCode)
        }
        table.on(SetTraceNotification.self) { [self] params, _ in trace.withLock { $0 = params.value } }

        table.on(VersionRequest.self) { _, _ in
            VersionRequest.Result(name: BraidVersion.name, version: BraidVersion.current,
                                  protocolVersion: BraidVersion.protocolVersion)
        }
        // Untyped so that the client's answer is returned exactly as it was written.
        table.onRequest(PingRequest.method) { [self] params, context in
            let decoded = try ParamsCoding.decode(PingRequest.Params.self, from: params, positional: PingRequest.positionalParameters)
            return try await ping(decoded, context)
        }
        ServiceMethods(server: self).register(in: &table)
        return table
    }

    /// The service a request works on, or -32012 outside a Braid repository.
    func requireService() throws -> Service {
        guard let service = service.withLock({ $0 }) else {
            throw ResponseError(BraidErrorCode.noWorkspace, "not a Braid repository: `workspace/init` (or `braid init`) sets it up")
        }
        return service
    }

    /// Ends the forwarding of events (a client that closed, or `shutdown`), and the service too
    /// when this server opened it.
    public func disconnected() async {
        await stopForwarding()
    }

    /// Subscribes this client to the service's events (once; later calls wait for the first).
    /// A request whose effects the client must hear about (`supervisor/run`) calls it first.
    func startForwarding(_ connection: Connection) async {
        guard let service = service.withLock({ $0 }) else { return }
        let forwarder = self.forwarder.withLock { current -> EventForwarder in
            if let current { return current }
            let made = EventForwarder(service: service, connection: connection, answersRequests: answersRequests.load(ordering: .relaxed))
            current = made
            return made
        }
        await forwarder.start()
    }

    private func stopForwarding() async {
        guard let forwarder = forwarder.withLock({ current -> EventForwarder? in defer { current = nil }; return current }) else { return }
        await forwarder.stop()
    }

    /// After each answer: undo a failed `initialize`, watch the client once `initialize` succeeded,
    /// and trace.
    private func answered(_ record: AnswerRecord, _ connection: Connection) {
        if record.method == InitializeRequest.method {
            if record.error != nil {
                if record.error?.code != .invalidRequest { lifecycle.initializeFailed() }
            } else if let pid = pendingClientProcess.withLock({ pid -> Int32? in defer { pid = nil }; return pid }) {
                hooks.watchClientProcess(pid)
            }
        }
        let level = traceValue
        guard level != .off else { return }
        let millis = Double(record.elapsed.components.seconds) * 1000 + Double(record.elapsed.components.attoseconds) / 1e15
        let outcome = record.error.map { " with error \($0.code.rawValue)" } ?? ""
        var verbose: String?
        if level == .verbose {
            verbose = "Params: " + (record.params.map { $0.description } ?? "none")
        }
        connection.notify(LogTraceNotification.self, .init(
            message: "Received request '\(record.method) - (\(record.id))'; answered in \(String(format: "%.3f", millis)) ms\(outcome).",
            verbose: verbose))
    }

    private func initialize(_ params: InitializeRequest.Params) throws -> InitializeRequest.Result {
        if let trace = params.trace { self.trace.withLock { $0 = trace } }
        answersRequests.store(params.capabilities?["window"]?["showMessage"] != nil, ordering: .relaxed)
        if ownsService && service.withLock({ $0 }) == nil {
            let root = params.rootUri.flatMap { URL(string: $0) }.flatMap { $0.isFileURL ? $0 : nil }
                ?? params.rootPath.map { URL(fileURLWithPath: $0) } ?? defaultFolder
            if let found = try? Workspace.locate(from: root) {
                if FileManager.default.fileExists(atPath: found.configURL.path) {
                    try openService(found)
                } else {
                    uninitialized.withLock { $0 = found }
                }
            }
        }
        if let pid = params.processId, pid > 0, pid <= Int(Int32.max) { pendingClientProcess.withLock { $0 = Int32(pid) } }
        return InitializeRequest.Result(
            capabilities: ServerCapabilities(
                protocolVersion: BraidVersion.protocolVersion,
                requests: Self.servedRequests.filter { $0 != InitializeRequest.method && $0 != ShutdownRequest.method },
                notifications: Self.sentNotifications,
                batches: true,
                cancellation: true),
            serverInfo: ServerInfo(name: BraidVersion.name, version: BraidVersion.current))
    }

    /// Opens the repository's service in this process (standalone), and starts it.
    func openService(_ workspace: Workspace) throws {
        do {
            let opened = try Service(workspace: workspace, config: try workspace.loadConfig())
            service.withLock { $0 = opened }
            Task { await opened.start() }
        } catch {
            throw ResponseError(.requestFailed, "cannot open the Braid repository at \(workspace.root.path): \(error)")
        }
    }

    private func ping(_ params: PingRequest.Params, _ context: RequestContext) async throws -> JSONValue {
        if let delay = params.delayMs {
            guard (0...PingRequest.maxDelayMs).contains(delay) else {
                throw ResponseError.invalidParams("'delayMs' must be between 0 and \(PingRequest.maxDelayMs)")
            }
            try await Task.sleep(for: .milliseconds(delay))
        }
        var client: JSONValue?
        if params.roundTrip == true {
            let nonce = pingNonce.add(1, ordering: .relaxed).newValue
            do {
                client = try await context.connection.send(ClientPingRequest.self, .init(nonce: nonce))
            } catch let error as ResponseError {
                // The client failed our request: this request cannot be completed, through no fault of its params.
                throw ResponseError(.internalError, "internal error: \(ClientPingRequest.method) failed: \(error.message)",
                                    data: error.json)
            }
        }
        var result: [String: JSONValue] = ["pong": true]
        if let client { result["client"] = client }
        return .object(result)
    }
}
