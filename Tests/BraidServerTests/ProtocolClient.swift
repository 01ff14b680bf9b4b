import BraidCore
import BraidServer
import Foundation
import JSONRPC
import Synchronization
import Testing
import TestSupport

/// An editor's side of a session with a `BraidServer`, on an in-memory connection: it records
/// every notification the server sends, and holds the server's questions
/// (`window/showMessageRequest`) until the test answers them.
///
/// Unlike `ServerHarness`, which reads frames one at a time, it runs a real client connection, so
/// notifications and server requests may arrive while a request waits for its answer.
final class ProtocolClient: Sendable {
    struct Question: Sendable {
        let params: JSONValue
        let answer: @Sendable (JSONValue) -> Void
    }

    let server: BraidServer
    let hooks = HookBox()
    private let client: Connection
    private let serverEnd: MemoryChannel
    private let serving: Task<Void, Never>
    private let reading: Task<Void, Never>
    private let inbox = Inbox()
    /// Every notification received so far, in order.
    var told: [(method: String, params: JSONValue)] { inbox.notifications.withLock { $0 } }
    /// Every `window/showMessageRequest` received so far, answered or not.
    var asked: [Question] { inbox.questions.withLock { $0 } }

    private final class Inbox: Sendable {
        let notifications = Mutex<[(method: String, params: JSONValue)]>([])
        let questions = Mutex<[Question]>([])
    }

    /// - Parameters:
    ///   - folder: the server's own folder (where it looks for a repository when `initialize`
    ///     names none); by default one outside any git repository.
    ///   - service: a daemon's service, shared with other clients; nil for a standalone server.
    init(folder: URL = ServerHarness.outsideAnyRepository, service: Service? = nil) {
        let (serverEnd, clientEnd) = MemoryChannel.pair()
        self.serverEnd = serverEnd
        let hooks = self.hooks
        server = BraidServer(hooks: .init(exit: { hooks.exit($0) }, watchClientProcess: { hooks.watch($0) }),
                             folder: folder, service: service)
        let serverConnection = Connection(channel: serverEnd, handlers: server.makeHandlers())
        serving = Task { await serverConnection.run() }
        var handlers = HandlerTable()
        let inbox = self.inbox
        for method in BraidServer.sentNotifications {
            handlers.onNotification(method) { params, _ in
                inbox.notifications.withLock { $0.append((method, params ?? .null)) }
            }
        }
        handlers.onRequest(ClientPingRequest.method) { _, _ in ["ok": true] }
        handlers.onRequest("window/showMessageRequest") { params, _ in
            await withCheckedContinuation { (continuation: CheckedContinuation<JSONValue, Never>) in
                let once = Mutex(false)
                inbox.questions.withLock {
                    $0.append(Question(params: params ?? .null) { value in
                        guard !once.withLock({ done in defer { done = true }; return done }) else { return }
                        continuation.resume(returning: value)
                    })
                }
            }
        }
        client = Connection(channel: clientEnd, handlers: handlers)
        let client = self.client
        reading = Task { await client.run() }
    }

    /// The answer to a request: its result, or its error.
    func call(_ method: String, _ params: JSONValue? = nil) async -> Result<JSONValue, ResponseError> {
        do {
            return .success(try await client.sendRequest(method, params: params))
        } catch let error as ResponseError {
            return .failure(error)
        } catch {
            return .failure(ResponseError(.internalError, "the connection failed: \(error)"))
        }
    }

    func notify(_ method: String, _ params: JSONValue? = nil) {
        client.notify(method, params: params)
    }

    @discardableResult
    func initialize(_ params: JSONValue) async -> Result<JSONValue, ResponseError> {
        let reply = await call("initialize", params)
        notify("initialized", [:])
        return reply
    }

    /// Notifications of one method received so far (params).
    func received(_ method: String) -> [JSONValue] {
        told.filter { $0.method == method }.map(\.params)
    }

    /// `shutdown` and `exit`, then the end of the connection. A standalone server closes its
    /// service on `exit`; a daemon's stays open for its other clients.
    func finish() async {
        _ = await call("shutdown")
        notify("exit")
        _ = await hooks.firstExit()
        // Questions left unanswered are dismissed, so that their handlers end.
        for question in asked { question.answer(.null) }
        await client.close()
        await serving.value
        // What the daemon does when a client's connection ends.
        await server.disconnected()
        serverEnd.closeOutput()
        await reading.value
    }
}

/// Polls `probe` until it returns a value, for at most `timeout`; records an issue when it never does.
func eventually<T>(_ what: String, timeout: Duration = .seconds(90), sourceLocation: SourceLocation = #_sourceLocation,
                   _ probe: () async -> T?) async -> T? {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if let value = await probe() { return value }
        try? await Task.sleep(for: .milliseconds(50))
    }
    Issue.record("timed out waiting for \(what)", sourceLocation: sourceLocation)
    return nil
}
