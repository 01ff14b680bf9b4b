import Foundation
import Synchronization
import Testing
@testable import JSONRPC
import TestSupport

/// Runs a connection with `handlers` against a raw peer.
func withServer(_ handlers: HandlerTable, _ body: (MemoryPeer, Connection) async throws -> Void) async throws {
    let (serverEnd, clientEnd) = MemoryChannel.pair()
    let connection = Connection(channel: serverEnd, handlers: handlers)
    let running = Task { await connection.run() }
    let peer = MemoryPeer(clientEnd)
    try await body(peer, connection)
    clientEnd.closeOutput()
    await running.value
}

struct Sum: RequestType {
    static let method = "sum"
    static let positionalParameters = ["a", "b"]
    struct Params: Codable, Sendable { var a: Int; var b: Int }
    typealias Result = Int
}

@Suite struct ConnectionTests {
    func table() -> HandlerTable {
        var table = HandlerTable()
        table.on(Sum.self) { params, _ in params.a + params.b }
        table.onRequest("sleep") { params, _ in
            try await Task.sleep(for: .milliseconds(params?["ms"]?.intValue ?? 0))
            return "slept"
        }
        table.onRequest("fail") { _, _ in throw CocoaError(.fileNoSuchFile) }
        return table
    }

    @Test func typedHandlerTakesParamsByNameOrPosition() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(Frames.request(1, "sum", ["a": 2, "b": 3]))
            #expect(await peer.next() == ["jsonrpc": "2.0", "id": 1, "result": 5])
            peer.send(Frames.request(2, "sum", [4, 5]))
            #expect(await peer.next()?["result"] == 9)
            peer.send(raw: #"{"jsonrpc":"2.0","id":"s","method":"sum","params":[1,2,3]}"#)
            #expect(await peer.next()?["error"]?["message"] == "invalid params: expected at most 2 positional params, got 3")
        }
    }

    @Test func badParamsGetMinus32602NamingTheField() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(Frames.request(1, "sum", ["a": 2]))
            let missing = await peer.next()
            #expect(missing?["error"]?["code"] == -32602)
            #expect(missing?["error"]?["message"] == "invalid params: missing field 'b'")
            peer.send(Frames.request(2, "sum", ["a": 2, "b": "x"]))
            #expect(await peer.next()?["error"]?["message"] == "invalid params: 'b' must be an integer")
            // A fraction for an integer names the field, not another member that merely holds one.
            peer.send(raw: #"{"jsonrpc":"2.0","id":3,"method":"sum","params":{"a":1,"aaa":0.5,"b":1.5}}"#)
            #expect(await peer.next()?["error"]?["message"] == "invalid params: 'b' must be an integer")
        }
    }

    @Test func unknownMethodAndThrownErrorsGetTheirCodes() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(Frames.request(1, "nope"))
            #expect(await peer.next()?["error"] == ["code": -32601, "message": "method not found: nope"])
            peer.send(Frames.request(2, "fail"))
            #expect(await peer.next()?["error"]?["code"] == -32603)
        }
    }

    @Test func stringAndHugeIDsAreEchoedExactly() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(raw: #"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"sum","params":[1,1]}"#)
            let reply = await peer.next()
            #expect(reply.map { String(decoding: JSONWriter.encode($0), as: UTF8.self) } == #"{"id":123456789012345678901234567890,"jsonrpc":"2.0","result":2}"#)
            peer.send(raw: #"{"jsonrpc":"2.0","id":"x-1","method":"sum","params":[1,1]}"#)
            #expect(await peer.next()?["id"] == "x-1")
        }
    }

    @Test func cancelReachesTheHandlersTask() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(Frames.request(1, "sleep", ["ms": 60_000]))
            peer.send(Frames.notification("$/cancelRequest", ["id": 1]))
            let reply = await peer.next()
            #expect(reply?["id"] == 1)
            #expect(reply?["error"]?["code"] == -32800)
        }
    }

    @Test func requestsRunConcurrentlyUnlessOrdered() async throws {
        let log = Mutex<[String]>([])
        let gate = AsyncGate()
        var table = table()
        table.onRequest("ordered", ordering: .ordered) { params, _ in
            let name = params?["name"]?.stringValue ?? ""
            if params?["wait"] == true { await gate.wait() }
            log.withLock { $0.append(name) }
            return .string(name)
        }
        try await withServer(table) { peer, _ in
            // A slow concurrent request does not hold back a quick one.
            peer.send(Frames.request(1, "sleep", ["ms": 60_000]))
            peer.send(Frames.request(2, "sum", [1, 1]))
            #expect(await peer.next()?["id"] == 2)
            peer.send(Frames.notification("$/cancelRequest", ["id": 1]))
            #expect(await peer.next()?["id"] == 1)
            // Ordered requests finish in arrival order even when the first is held back...
            peer.send(Frames.request(3, "ordered", ["name": "first", "wait": true]))
            peer.send(Frames.request(4, "ordered", ["name": "second"]))
            // ...while a concurrent one, sent after both, is answered meanwhile.
            peer.send(Frames.request(5, "sum", [2, 2]))
            #expect(await peer.next()?["id"] == 5)
            #expect(log.withLock { $0 }.isEmpty)
            await gate.open()
            #expect(await peer.next()?["id"] == 3)
            #expect(await peer.next()?["id"] == 4)
            #expect(log.withLock { $0 } == ["first", "second"])
        }
    }

    @Test func cancellingAQueuedOrderedRequestAnswersAtOnce() async throws {
        let gate = AsyncGate()
        var table = table()
        table.onRequest("slowOrdered", ordering: .ordered) { _, _ in
            await gate.wait()
            return "done"
        }
        try await withServer(table) { peer, _ in
            peer.send(Frames.request(1, "slowOrdered"))
            peer.send(Frames.request(2, "slowOrdered"))
            peer.send(Frames.notification("$/cancelRequest", ["id": 2]))
            let first = await peer.next()
            #expect(first?["id"] == 2)
            #expect(first?["error"]?["code"] == -32800)
            await gate.open()
            #expect(await peer.next()?["id"] == 1)
        }
    }

    @Test func batchesAreAnsweredWithOneArray() async throws {
        try await withServer(table()) { peer, _ in
            peer.send(raw: #"[{"jsonrpc":"2.0","id":1,"method":"sum","params":[1,2]},{"jsonrpc":"2.0","method":"note"},{"foo":"bar"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#)
            guard let reply = await peer.next()?.arrayValue else { Issue.record("no array"); return }
            #expect(reply.count == 3)
            #expect(reply[0]["result"] == 3)
            #expect(reply[1]["error"]?["code"] == -32600)
            #expect(reply[1]["id"] == .null)
            #expect(reply[2]["error"]?["code"] == -32601)
            // A batch of notifications only is not answered; the next request is.
            peer.send(raw: #"[{"jsonrpc":"2.0","method":"a"},{"jsonrpc":"2.0","method":"b"}]"#)
            peer.send(Frames.request(3, "sum", [0, 0]))
            #expect(await peer.next()?["id"] == 3)
            peer.send(raw: "[]")
            #expect(await peer.next()?["error"]?["message"] == "invalid request: empty batch")
        }
    }

    @Test func aDuplicateIDInFlightIsRefusedWithoutTouchingTheFirst() async throws {
        let gate = AsyncGate()
        var table = table()
        table.onRequest("hold") { _, _ in
            await gate.wait()
            return "held"
        }
        try await withServer(table) { peer, _ in
            peer.send(Frames.request(7, "hold"))
            peer.send(Frames.request(7, "sum", [1, 1]))
            let refusal = await peer.next()
            #expect(refusal?["id"] == .null)
            #expect(refusal?["error"]?["message"] == "invalid request: id 7 is already in use by a request in flight")
            await gate.open()
            #expect(await peer.next() == ["jsonrpc": "2.0", "id": 7, "result": "held"])
        }
    }

    @Test func aCancelledQueuedRequestNeverAnswersALaterRequestWithItsID() async throws {
        let gate = AsyncGate()
        var table = table()
        table.onRequest("blockOrdered", ordering: .ordered) { _, _ in
            await gate.wait()
            return "unblocked"
        }
        table.onRequest("echoOrdered", ordering: .ordered) { params, _ in params ?? .null }
        try await withServer(table) { peer, _ in
            peer.send(Frames.request(1, "blockOrdered"))
            peer.send(Frames.request(2, "echoOrdered", ["n": 1]))
            peer.send(Frames.notification("$/cancelRequest", ["id": 2]))
            #expect(await peer.next()?["error"]?["code"] == -32800)
            // Id 2 is free again: its reuse must run, not inherit the cancelled task's fate.
            peer.send(Frames.request(2, "echoOrdered", ["n": 2]))
            await gate.open()
            #expect(await peer.next()?["result"] == "unblocked")
            #expect(await peer.next() == ["jsonrpc": "2.0", "id": 2, "result": ["n": 2]])
        }
    }

    @Test func serverToClientRequestsAreMatchedByID() async throws {
        var table = HandlerTable()
        table.onRequest("askTwice") { _, context in
            async let a = context.connection.sendRequest("client/a")
            async let b = context.connection.sendRequest("client/b")
            return .array([try await a, try await b])
        }
        try await withServer(table) { peer, _ in
            peer.send(Frames.request(1, "askTwice"))
            guard let first = await peer.next(), let second = await peer.next() else { Issue.record(); return }
            // Answer in reverse order: ids, not order, decide.
            for request in [second, first] {
                peer.send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": request["method"] ?? .null])
            }
            #expect(await peer.next()?["result"] == ["client/a", "client/b"])
        }
    }

    @Test func endOfInputAnswersEverythingInFlightThenReturns() async throws {
        let (serverEnd, clientEnd) = MemoryChannel.pair()
        let connection = Connection(channel: serverEnd, handlers: table())
        let peer = MemoryPeer(clientEnd)
        for id in 1...20 { peer.send(Frames.request(id, "sleep", ["ms": 50])) }
        clientEnd.closeOutput()
        await connection.run()
        var ids = Set<Int>()
        for _ in 1...20 { if let id = await peer.next()?["id"]?.intValue { ids.insert(id) } }
        #expect(ids == Set(1...20))
    }

    @Test func requestsToAPeerThatLeftFail() async throws {
        var table = HandlerTable()
        let (outcomes, reportOutcome) = AsyncStream<String>.makeStream()
        table.onNotification("ask", ordering: .concurrent) { _, connection in
            do {
                _ = try await connection.sendRequest("never/answered")
                reportOutcome.yield("answered")
            } catch {
                reportOutcome.yield("\(type(of: error))")
            }
        }
        let (serverEnd, clientEnd) = MemoryChannel.pair()
        let connection = Connection(channel: serverEnd, handlers: table)
        let peer = MemoryPeer(clientEnd)
        let running = Task { await connection.run() }
        peer.send(Frames.notification("ask"))
        #expect(await peer.next()?["method"] == "never/answered")
        clientEnd.closeOutput()
        await running.value
        // run() returned only after the notification's task ended, so its outcome is in.
        var iterator = outcomes.makeAsyncIterator()
        #expect(await iterator.next() == "ConnectionClosedError")
    }

    @Test func endOfInputCancelsWhatOutlastsTheGracePeriod() async throws {
        let (serverEnd, clientEnd) = MemoryChannel.pair()
        var options = Connection.Options()
        options.drainGracePeriod = .milliseconds(50)
        let connection = Connection(channel: serverEnd, handlers: table(), options: options)
        let peer = MemoryPeer(clientEnd)
        peer.send(Frames.request(1, "sleep", ["ms": 600_000]))
        clientEnd.closeOutput()
        await connection.run()
        let reply = await peer.next()
        #expect(reply?["id"] == 1)
        #expect(reply?["error"]?["code"] == -32800)
    }

    @Test func anOverlongBatchIsRefusedWhole() async throws {
        try await withServer(table()) { peer, _ in
            let element = #"{"jsonrpc":"2.0","id":1,"method":"sum","params":[1,1]}"#
            peer.send(raw: "[" + Array(repeating: element, count: 10_001).joined(separator: ",") + "]")
            let reply = await peer.next()
            #expect(reply?["error"]?["message"] == "invalid request: a batch of 10001 elements exceeds the limit of 10000")
        }
    }

    @Test func admissionRunsInArrivalOrder() async throws {
        var table = table()
        let seen = Mutex<[String]>([])
        table.admission = { method, isRequest in
            seen.withLock { $0.append(method) }
            return method == "sum" ? .reject(ResponseError(.serverNotInitialized, "no")) : .accept
        }
        try await withServer(table) { peer, _ in
            peer.send(Frames.request(1, "sum", [1, 1]))
            #expect(await peer.next()?["error"]?["code"] == -32002)
            #expect(seen.withLock { $0 } == ["sum"])
        }
    }

    @Test func twoConnectionsTalkTypedBothWays() async throws {
        let (a, b) = MemoryChannel.pair()
        var serverTable = HandlerTable()
        serverTable.on(Sum.self) { p, _ in p.a + p.b }
        let server = Connection(channel: a, handlers: serverTable)
        let client = Connection(channel: b, handlers: HandlerTable())
        let s = Task { await server.run() }
        let c = Task { await client.run() }
        let result = try await client.send(Sum.self, .init(a: 20, b: 22))
        #expect(result == 42)
        await client.close()
        await s.value
        await server.close()
        await c.value
    }
}
