import BraidCore
import BraidServer
import Foundation
import JSONRPC
import Synchronization
import TestSupport

/// A `BraidServer` on an in-memory connection, with its hooks recorded instead of acted on.
final class ServerHarness: Sendable {
    let server: BraidServer
    let peer: MemoryPeer
    let connection: Connection
    private let clientEnd: MemoryChannel
    private let running: Task<Void, Never>

    /// - Parameter folder: where the server looks for a repository when `initialize` names none: by
    ///   default a folder outside any git repository, never the folder the tests run in (whose
    ///   repository `workspace/init` would set up).
    init(folder: URL = ServerHarness.outsideAnyRepository) {
        let (serverEnd, clientEnd) = MemoryChannel.pair()
        self.clientEnd = clientEnd
        let box = HookBox()
        server = BraidServer(hooks: .init(exit: { box.exit($0) }, watchClientProcess: { box.watch($0) }), folder: folder)
        connection = Connection(channel: serverEnd, handlers: server.makeHandlers())
        let connection = self.connection
        running = Task { await connection.run() }
        peer = MemoryPeer(clientEnd)
        hooks = box
    }

    let hooks: HookBox

    /// The system's temporary folder, or `/`, whichever is outside any git repository: the server
    /// finds no repository there and, without one, writes nothing.
    static let outsideAnyRepository: URL = {
        let candidates = [FileManager.default.temporaryDirectory, URL(fileURLWithPath: "/")]
        return candidates.first { (try? Workspace.locate(from: $0)) == nil } ?? candidates[1]
    }()

    /// A new empty folder under the system's temporary folder (the caller removes it).
    static func emptyFolder() -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-server-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    func request(_ id: Int, _ method: String, _ params: JSONValue? = nil) async -> JSONValue? {
        peer.send(Frames.request(id, method, params))
        return await nextWithID()
    }

    func notify(_ method: String, _ params: JSONValue? = nil) {
        peer.send(Frames.notification(method, params))
    }

    /// Skips notifications, which are kept for `nextNotification`.
    func nextWithID() async -> JSONValue? {
        while let message = await peer.next() {
            if message["id"] != nil { return message }
            notifications.withLock { $0.append(message) }
        }
        return nil
    }

    let notifications = Mutex<[JSONValue]>([])

    func nextNotification() async -> JSONValue? {
        if let queued = notifications.withLock({ queue -> JSONValue? in queue.isEmpty ? nil : queue.removeFirst() }) { return queued }
        return await peer.next()
    }

    @discardableResult
    func initialize(_ params: JSONValue = ["processId": .null, "capabilities": [:]]) async -> JSONValue? {
        let reply = await request(1, "initialize", params)
        notify("initialized", [:])
        return reply
    }

    func finish() async {
        clientEnd.closeOutput()
        await running.value
    }
}

/// What the server asked its host to do.
final class HookBox: Sendable {
    let watched = Mutex<[Int32]>([])
    private let exitCodes: AsyncStream<Int32>
    private let reportExit: AsyncStream<Int32>.Continuation

    init() {
        (exitCodes, reportExit) = AsyncStream<Int32>.makeStream()
    }

    func exit(_ code: Int32) { reportExit.yield(code) }
    func watch(_ pid: Int32) { watched.withLock { $0.append(pid) } }

    /// The code of the first exit the server asked for (waits for it).
    func firstExit() async -> Int32? {
        var iterator = exitCodes.makeAsyncIterator()
        return await iterator.next()
    }
}
