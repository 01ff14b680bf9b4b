import Dispatch
import Foundation

/// One JSON-RPC 2.0 peer-to-peer connection over a `ByteChannel`.
///
/// Requests from the peer run as Swift tasks: `.concurrent` handlers at once, `.ordered` ones one
/// after another in arrival order. `$/cancelRequest` is acted on when it arrives, ahead of any
/// queue, and cancels the handler's task. Every request is answered exactly once: the in-flight
/// table is the only path to a response, and an entry is removed by the first answer.
public actor Connection {
    public struct Options: Sendable {
        /// A larger `Content-Length` is answered with an error and its body skipped unread.
        public var maxMessageSize: Int = 64 << 20
        public var maxDepth: Int = JSONParser.defaultMaxDepth
        /// Where the connection reports what it dropped (never the peer's output stream).
        public var log: (@Sendable (String) -> Void)?
        /// Elements of one batch; a longer batch is refused whole (-32600).
        public var maxBatchLength = 10_000
        /// At end of input, how long requests in flight may still finish before they are cancelled.
        public var drainGracePeriod: Duration = .seconds(5)

        public init(maxMessageSize: Int = 64 << 20, maxDepth: Int = JSONParser.defaultMaxDepth,
                    log: (@Sendable (String) -> Void)? = nil) {
            self.maxMessageSize = maxMessageSize
            self.maxDepth = maxDepth
            self.log = log
        }
    }

    /// Where a request's answer goes: straight to the peer, or into a slot of a batch's reply.
    private enum Sink {
        case single
        case batch(BatchReply, slot: Int)
    }

    private struct Inflight {
        /// Unique per request, so that a stale task never acts on a later request reusing its id.
        let serial: Int
        let task: Task<Void, Never>
        let sink: Sink
        let method: String
        let params: JSONValue?
        let arrived: ContinuousClock.Instant
        /// False while an ordered request waits for its turn.
        var running: Bool
    }

    public nonisolated let channel: any ByteChannel
    public nonisolated let handlers: HandlerTable
    public nonisolated let options: Options

    private var inflight: [RequestID: Inflight] = [:]
    private var nextSerial = 0
    private var notificationTasks: [Int: Task<Void, Never>] = [:]
    private var lastOrdered: Task<Void, Never>?
    private var pendingOutgoing: [Int: CheckedContinuation<JSONValue, any Error>] = [:]
    private var nextOutgoingID = 1
    private var closed = false
    private var running = false

    public init(channel: any ByteChannel, handlers: HandlerTable, options: Options = Options()) {
        self.channel = channel
        self.handlers = handlers
        self.options = options
    }

    /// Reads and dispatches until the peer closes its output (or stops reading ours), then waits
    /// for every request in flight to be answered and flushes. Call once.
    public func run() async {
        guard !running else { return }
        running = true
        let (stream, continuation) = AsyncStream<[Inbound]>.makeStream()
        // Bounds what the reader may queue ahead of dispatch, so a flood cannot grow memory without end.
        let credits = DispatchSemaphore(value: 64)
        let reader = InboundReader(maxMessageSize: options.maxMessageSize, maxDepth: options.maxDepth)
        channel.start(onInput: { chunk in
            guard let chunk else {
                continuation.finish()
                return
            }
            let events = reader.feed(chunk)
            if !events.isEmpty {
                credits.wait()
                continuation.yield(events)
            }
        }, onOutputFailure: {
            continuation.finish()
        })
        for await events in stream {
            // A peer that sends but does not read must not grow our output without bound. (While
            // parked here nothing is read, `$/cancelRequest` included; answers would not be read either.)
            await channel.waitForOutputRoom()
            for event in events { dispatch(event) }
            credits.signal()
        }
        await drain()
    }

    /// Closes the output; the peer sees end of input. Requests waiting on the peer fail.
    public func close() {
        closed = true
        failPendingOutgoing()
        channel.closeOutput()
    }

    // MARK: Dispatch

    private func dispatch(_ inbound: Inbound) {
        switch inbound {
        case .message(let message):
            handle(message, sink: .single)
        case .invalid(let id, let error):
            writeBody(OutboundMessage.error(id: id, error))
        case .malformedResponse(let reason):
            options.log?("dropped a response: \(reason)")
        case .batch(let elements) where elements.count > options.maxBatchLength:
            writeBody(OutboundMessage.error(id: nil, ResponseError(.invalidRequest,
                "invalid request: a batch of \(elements.count) elements exceeds the limit of \(options.maxBatchLength)")))
        case .batch(let elements):
            let reply = BatchReply()
            for element in elements {
                switch element {
                case .message(let message):
                    if case .request = message {
                        handle(message, sink: .batch(reply, slot: reply.reserve()))
                    } else {
                        handle(message, sink: .single)
                    }
                case .invalid(let id, let error):
                    reply.fill(reply.reserve(), OutboundMessage.error(id: id, error))
                case .malformedResponse(let reason):
                    options.log?("dropped a response in a batch: \(reason)")
                }
            }
            reply.seal()
            if let body = reply.bodyIfComplete() { writeBody(body) }
        }
    }

    private func handle(_ message: Message, sink: Sink) {
        switch message {
        case .response(let id, let result):
            resolveOutgoing(id: id, result: result)
        case .notification(let method, let params):
            if method == "$/cancelRequest" {
                cancelIncoming(params?["id"])
                return
            }
            if let admission = handlers.admission {
                guard case .accept = admission(method, false) else { return }
            }
            guard let entry = handlers.notifications[method] else {
                if !method.hasPrefix("$/") { options.log?("dropped notification for unknown method \(method)") }
                return
            }
            let connection = self
            switch entry.ordering {
            case .concurrent:
                nextSerial += 1
                let token = nextSerial
                notificationTasks[token] = Task {
                    await entry.body(params, connection)
                    self.notificationTasks[token] = nil
                }
            case .ordered:
                let previous = lastOrdered
                lastOrdered = Task {
                    await previous?.value
                    await entry.body(params, connection)
                }
            }
        case .request(let id, let method, let params):
            let arrived = ContinuousClock.now
            func refuse(_ error: ResponseError) {
                answer(sink, OutboundMessage.error(id: id, error))
                observe(AnswerRecord(method: method, id: id, params: params, error: error, elapsed: ContinuousClock.now - arrived))
            }
            if inflight[id] != nil {
                // Answered with a null id: the id belongs to the request in flight, whose answer
                // a client would otherwise take this refusal for.
                writeBody(OutboundMessage.error(id: nil,
                    ResponseError(.invalidRequest, "invalid request: id \(id) is already in use by a request in flight")))
                return
            }
            if let admission = handlers.admission {
                switch admission(method, true) {
                case .accept: break
                case .reject(let error):
                    refuse(error)
                    return
                case .drop:
                    refuse(ResponseError(.invalidRequest, "invalid request: \(method) is not accepted now"))
                    return
                }
            }
            guard let entry = handlers.requests[method] else {
                refuse(.methodNotFound(method))
                return
            }
            let context = RequestContext(id: id, method: method, connection: self)
            // These tasks inherit the actor's isolation: the handler itself runs off the actor (it is
            // nonisolated), and the answer is recorded back on it without a further hop.
            nextSerial += 1
            let serial = nextSerial
            let task: Task<Void, Never>
            switch entry.ordering {
            case .concurrent:
                task = Task {
                    let outcome = await Self.invoke(entry.body, params, context)
                    self.complete(id, serial: serial, outcome)
                }
            case .ordered:
                let previous = lastOrdered
                task = Task {
                    await previous?.value
                    guard self.begin(id, serial: serial) else { return }
                    let outcome = await Self.invoke(entry.body, params, context)
                    self.complete(id, serial: serial, outcome)
                }
                lastOrdered = task
            }
            inflight[id] = Inflight(serial: serial, task: task, sink: sink, method: method, params: params, arrived: arrived,
                                    running: entry.ordering == .concurrent)
        }
    }

    private static func invoke(_ body: HandlerTable.RequestBody, _ params: JSONValue?,
                               _ context: RequestContext) async -> Result<[UInt8], ResponseError> {
        if Task.isCancelled { return .failure(.cancelled) }
        do {
            return .success(try await body(params, context))
        } catch let error as ResponseError {
            return .failure(error)
        } catch is CancellationError {
            return .failure(.cancelled)
        } catch {
            return .failure(ResponseError(.internalError, "internal error: \(error)"))
        }
    }

    /// An ordered request reaching its turn: false if it was already answered (cancelled while queued).
    private func begin(_ id: RequestID, serial: Int) -> Bool {
        guard inflight[id]?.serial == serial else { return false }
        inflight[id]?.running = true
        return true
    }

    private func complete(_ id: RequestID, serial: Int, _ outcome: Result<[UInt8], ResponseError>) {
        guard inflight[id]?.serial == serial, let entry = inflight.removeValue(forKey: id) else { return }
        var failure: ResponseError?
        switch outcome {
        case .success(let result): answer(entry.sink, OutboundMessage.response(id: id, result: result))
        case .failure(let error):
            failure = error
            answer(entry.sink, OutboundMessage.error(id: id, error))
        }
        observe(AnswerRecord(method: entry.method, id: id, params: entry.params, error: failure,
                             elapsed: ContinuousClock.now - entry.arrived))
    }

    private func observe(_ record: AnswerRecord) {
        handlers.onAnswer?(record, self)
    }

    private func cancelIncoming(_ idValue: JSONValue?) {
        let id: RequestID
        switch idValue {
        case .number(let n)?: id = .number(n)
        case .string(let s)?: id = .string(s)
        default: return
        }
        guard let entry = inflight[id] else { return }
        entry.task.cancel()
        if !entry.running {
            // Queued behind ordered work: answer now rather than after the queue drains.
            complete(id, serial: entry.serial, .failure(.cancelled))
        }
    }

    private func answer(_ sink: Sink, _ body: [UInt8]) {
        switch sink {
        case .single:
            writeBody(body)
        case .batch(let reply, let slot):
            reply.fill(slot, body)
            if let complete = reply.bodyIfComplete() { writeBody(complete) }
        }
    }

    private nonisolated func writeBody(_ body: [UInt8]) {
        channel.write(Framing.frame(body))
    }

    // MARK: Requests to the peer

    /// Sends a request to the peer and waits for its answer. Cancelling the calling task sends
    /// `$/cancelRequest` and throws `CancellationError` at once.
    public func sendRequest(_ method: String, params: JSONValue? = nil) async throws -> JSONValue {
        if closed { throw ConnectionClosedError() }
        let id = nextOutgoingID
        nextOutgoingID += 1
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(throwing: CancellationError())
                    return
                }
                pendingOutgoing[id] = continuation
                writeBody(OutboundMessage.request(id: RequestID(id), method: method, params: params))
            }
        } onCancel: {
            Task { await self.cancelOutgoing(id) }
        }
    }

    /// Typed form of `sendRequest`.
    public func send<R: RequestType>(_ type: R.Type, _ params: R.Params) async throws -> R.Result {
        let encodedParams: JSONValue? = R.Params.self == NoParams.self ? nil : try JSONParser.parse(ParamsCoding.encode(params))
        let result = try await sendRequest(R.method, params: encodedParams)
        // A JSONValue result is returned as received, numbers exact.
        if R.Result.self == JSONValue.self, let exact = result as? R.Result { return exact }
        return try JSONDecoder().decode(R.Result.self, from: Data(JSONWriter.encode(result)))
    }

    private func cancelOutgoing(_ id: Int) {
        guard let continuation = pendingOutgoing.removeValue(forKey: id) else { return }
        continuation.resume(throwing: CancellationError())
        notify("$/cancelRequest", params: ["id": .number(JSONNumber(id))])
    }

    private func resolveOutgoing(id: RequestID?, result: Result<JSONValue, ResponseError>) {
        guard case .number(let n)? = id, let key = n.intValue,
              let continuation = pendingOutgoing.removeValue(forKey: key) else {
            options.log?("dropped a response with unknown id \(id.map { "\($0)" } ?? "null")")
            return
        }
        continuation.resume(with: result.mapError { $0 as any Error })
    }

    private func failPendingOutgoing() {
        let waiting = pendingOutgoing
        pendingOutgoing = [:]
        for (_, continuation) in waiting { continuation.resume(throwing: ConnectionClosedError()) }
    }

    // MARK: Notifications to the peer

    public nonisolated func notify(_ method: String, params: JSONValue? = nil) {
        writeBody(OutboundMessage.notification(method: method, params: params))
    }

    public nonisolated func notify<N: NotificationType>(_ type: N.Type, _ params: N.Params) {
        let encoded: JSONValue? = N.Params.self == NoParams.self ? nil : (try? JSONParser.parse(ParamsCoding.encode(params)))
        notify(N.method, params: encoded)
    }

    /// Reports through `Options.log`, for what must not reach the peer's stream.
    public nonisolated func log(_ message: String) {
        options.log?(message)
    }

    // MARK: Closing

    /// End of input: requests in flight may finish within the grace period, then are cancelled
    /// (and so answered -32800); notifications still running are awaited likewise.
    private func drain() async {
        closed = true
        failPendingOutgoing()
        let grace = Task { [options] in
            guard (try? await Task.sleep(for: options.drainGracePeriod)) != nil else { return }
            await self.cancelEverything()
        }
        while let (id, entry) = inflight.first {
            await entry.task.value
            // A task that ended without answering (it cannot, but never loop forever).
            complete(id, serial: entry.serial, .failure(ResponseError(.internalError, "internal error: handler ended without an answer")))
        }
        while let (_, task) = notificationTasks.first {
            await task.value
        }
        await lastOrdered?.value
        grace.cancel()
        channel.flush(timeout: .seconds(10))
    }

    private func cancelEverything() {
        for entry in inflight.values { entry.task.cancel() }
        for task in notificationTasks.values { task.cancel() }
        lastOrdered?.cancel()
    }
}

/// Collects the answers to one batch and releases them as one array when the last one is in.
private final class BatchReply {
    private var bodies: [[UInt8]?] = []
    private var missing = 0
    private var sealed = false
    private var sent = false

    func reserve() -> Int {
        bodies.append(nil)
        missing += 1
        return bodies.count - 1
    }

    func fill(_ slot: Int, _ body: [UInt8]) {
        guard bodies[slot] == nil else { return }
        bodies[slot] = body
        missing -= 1
    }

    func seal() { sealed = true }

    /// The array, once all reserved slots are filled and the batch was fully read; nil before, and
    /// after it was returned once. A batch of notifications only gets no reply, as JSON-RPC says.
    func bodyIfComplete() -> [UInt8]? {
        guard sealed, missing == 0, !sent, !bodies.isEmpty else { return nil }
        sent = true
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (i, body) in bodies.enumerated() {
            if i > 0 { out.append(UInt8(ascii: ",")) }
            out.append(contentsOf: body ?? [])
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}

/// Turns input chunks into classified messages on the reader's thread, off the cooperative pool.
private final class InboundReader: @unchecked Sendable {
    private var parser: FrameParser
    private let maxDepth: Int

    init(maxMessageSize: Int, maxDepth: Int) {
        parser = FrameParser(maxMessageSize: maxMessageSize)
        self.maxDepth = maxDepth
    }

    func feed(_ chunk: UnsafeRawBufferPointer) -> [Inbound] {
        parser.append(chunk)
        var events: [Inbound] = []
        while let event = parser.next() {
            switch event {
            case .body(let body): events.append(Inbound.decode(body: body, maxDepth: maxDepth))
            case .error(let error): events.append(.invalid(id: nil, error: error.responseError))
            }
        }
        return events
    }
}
