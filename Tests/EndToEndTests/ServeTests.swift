#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONRPC
import Testing
import TestSupport

/// The real `braid serve` over pipes, driven with hand-written frames.
@Suite(.serialized) struct ServeTests {
    @Test func fullLifecycleWithHandWrittenFramesExitsZero() throws {
        let server = try RawServer()
        server.write("Content-Length: 92\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{\"processId\":null,\"capabilities\":{}}}")
        let initialize = server.next()
        #expect(initialize?["id"] == 1)
        #expect(initialize?["result"]?["serverInfo"]?["name"] == "braid")
        #expect(initialize?["result"]?["serverInfo"]?["version"]?.stringValue?.isEmpty == false)
        server.write("Content-Length: 52\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"initialized\",\"params\":{}}")
        let log = server.next()
        #expect(log?["method"] == "window/logMessage")
        server.write("Content-Length: 51\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":\"v\",\"method\":\"braid/version\"}")
        let version = server.next()
        #expect(version?["id"] == "v")
        #expect(version?["result"]?["name"] == "braid")
        server.write("Content-Length: 44\r\n\r\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"shutdown\"}")
        #expect(server.next() == ["jsonrpc": "2.0", "id": 3, "result": .null])
        server.write("Content-Length: 33\r\n\r\n{\"jsonrpc\":\"2.0\",\"method\":\"exit\"}")
        #expect(server.waitForExit() == 0)
    }

    @Test func exitWithoutShutdownExitsOne() throws {
        let server = try RawServer()
        server.initialize()
        server.send(Frames.notification("exit"))
        #expect(server.waitForExit() == 1)
    }

    @Test func endOfInputAnswersWhatIsInFlightThenExits() throws {
        let server = try RawServer()
        server.initialize()
        server.send(Frames.request(2, "braid/ping", ["delayMs": 300]))
        server.closeInput()
        #expect(server.nextWithID()?["result"]?["pong"] == true)
        #expect(server.waitForExit() == 1)
    }

    @Test func everyErrorCodeComesBackFromTheRealBinary() throws {
        let server = try RawServer()
        // -32002 before initialize.
        #expect(server.request(1, "braid/version")?["error"]?["code"] == -32002)
        server.initialize(id: 2)
        // -32700 for a body that is not JSON, with a null id.
        server.send(body: #"{"jsonrpc":"2.0","id":3,"method":"braid/version""#)
        let parse = server.nextWithID()
        #expect(parse?["error"]?["code"] == -32700)
        #expect(parse?["id"] == .null)
        // -32600 for a request that is not JSON-RPC 2.0.
        server.send(body: #"{"jsonrpc":"1.0","id":4,"method":"braid/version"}"#)
        #expect(server.nextWithID()?["error"]?["code"] == -32600)
        // -32601 for an unknown method.
        #expect(server.request(5, "braid/nothing")?["error"]?["code"] == -32601)
        // -32602 for params of the wrong type.
        let invalid = server.request(6, "braid/ping", ["delayMs": "soon"])
        #expect(invalid?["error"]?["code"] == -32602)
        #expect(invalid?["error"]?["message"] == "invalid params: 'delayMs' must be an integer")
        // -32603 when the request cannot be completed: the client fails client/ping.
        server.send(Frames.request(7, "braid/ping", ["roundTrip": true]))
        guard let ask = server.nextWithID() else { Issue.record("no client/ping"); return }
        server.send(["jsonrpc": "2.0", "id": ask["id"] ?? .null, "error": ["code": -32001, "message": "nope"]])
        #expect(server.nextWithID()?["error"]?["code"] == -32603)
        // -32800 for a cancelled request.
        server.send(Frames.request(8, "braid/ping", ["delayMs": 60_000]))
        server.send(Frames.notification("$/cancelRequest", ["id": 8]))
        let cancelled = server.nextWithID(timeout: 5)
        #expect(cancelled?["id"] == 8)
        #expect(cancelled?["error"]?["code"] == -32800)
    }

    @Test func aBatchIsAnsweredWithOneArray() throws {
        let server = try RawServer()
        server.initialize()
        server.send(body: #"[{"jsonrpc":"2.0","id":10,"method":"braid/version"},{"jsonrpc":"2.0","method":"$/note"},{"jsonrpc":"2.0","id":11,"method":"braid/ping","params":[0]},{"nope":1}]"#)
        guard let batch = server.nextWithID()?.arrayValue else { Issue.record("no array"); return }
        #expect(batch.count == 3)
        #expect(Set(batch.compactMap { $0["id"]?.intValue }) == [10, 11])
        #expect(batch.contains { $0["error"]?["code"] == -32600 })
    }

    @Test func serverToClientRequestRoundTrip() throws {
        let server = try RawServer()
        server.initialize()
        server.send(Frames.request(2, "braid/ping", ["roundTrip": true]))
        guard let ask = server.nextWithID() else { Issue.record("no client/ping"); return }
        #expect(ask["method"] == "client/ping")
        #expect(ask["params"]?["nonce"]?.intValue != nil)
        server.send(["jsonrpc": "2.0", "id": ask["id"] ?? .null, "result": ["echo": "from the test"]])
        let reply = server.nextWithID()
        #expect(reply?["id"] == 2)
        #expect(reply?["result"]?["client"] == ["echo": "from the test"])
    }

    @Test func aMessageSplitAcrossManySmallWrites() throws {
        let server = try RawServer()
        server.initialize()
        let bytes = Frames.frame(Frames.request(2, "braid/version")) + Frames.frame(Frames.request(3, "braid/ping", [0]))
        for byte in bytes {
            server.write([byte])
        }
        // Both are read-only requests, answered concurrently: in either order.
        let ids = Set([server.nextWithID(), server.nextWithID()].compactMap { $0?["id"]?.intValue })
        #expect(ids == [2, 3])
    }

    @Test func manyMessagesInOneWrite() throws {
        let server = try RawServer()
        server.initialize()
        var bytes: [UInt8] = []
        for id in 100..<600 { bytes += Frames.frame(Frames.request(id, "braid/version")) }
        server.write(bytes)
        var seen = Set<Int>()
        for _ in 100..<600 { if let id = server.nextWithID()?["id"]?.intValue { seen.insert(id) } }
        #expect(seen == Set(100..<600))
    }

    @Test func aHugeIDIsEchoedExactly() throws {
        let server = try RawServer()
        server.initialize()
        server.send(body: #"{"jsonrpc":"2.0","id":123456789012345678901234567890,"method":"braid/version"}"#)
        let reply = server.nextWithID()
        #expect(reply?["id"] == (try JSONParser.parse("123456789012345678901234567890")))
        #expect(reply?["result"]?["name"] == "braid")
    }

    @Test func anOversizedMessageIsRefusedUnreadAndTheStreamGoesOn() throws {
        let server = try RawServer(arguments: ["serve", "--max-message-size", "65536"])
        server.initialize()
        let size = 64 << 20
        let header = Array("Content-Length: \(size)\r\n\r\n".utf8)
        let writer = server.writeInBackground(header + [UInt8](repeating: 0x20, count: size) + Frames.frame(Frames.request(9, "braid/version")))
        let refusal = server.nextWithID(timeout: 30)
        #expect(refusal?["error"]?["code"] == -32600)
        #expect(refusal?["error"]?["message"]?.stringValue == "invalid request: message of \(size) bytes exceeds the limit of 65536 bytes")
        #expect(server.nextWithID(timeout: 30)?["id"] == 9)
        _ = writer
        // The 64 MiB body was skipped as it arrived, never held.
        let peak = server.peakResidentKiB ?? Int.max
        #expect(peak < 48 * 1024, "peak RSS \(peak) KiB")
    }

    @Test func exitsWhenTheClientProcessDies() throws {
        let sleeper = try RawServer(arguments: ["60"], executable: "/bin/sleep")
        let server = try RawServer(arguments: ["serve", "--clientProcessId", String(sleeper.pid)])
        server.initialize()
        kill(sleeper.pid, SIGKILL)
        #expect(sleeper.waitForExit() != nil)
        #expect(server.waitForExit(timeout: 10) == 1)
    }

    @Test func exitsWhenTheProcessIdOfInitializeDies() throws {
        let sleeper = try RawServer(arguments: ["60"], executable: "/bin/sleep")
        let server = try RawServer()
        _ = server.request(1, "initialize", ["processId": .number(JSONNumber(Int(sleeper.pid))), "capabilities": [:]])
        kill(sleeper.pid, SIGKILL)
        #expect(sleeper.waitForExit() != nil)
        #expect(server.waitForExit(timeout: 10) == 1)
    }

    @Test func badCommandLinesFailWithOneLineAndExitTwo() throws {
        let typo = try ProgramRun.run(BraidBinary.path, ["sevre"])
        #expect(typo.status == 2)
        #expect(typo.stderr == "braid: unknown command 'sevre' (did you mean 'serve'?)\n")
        let option = try ProgramRun.run(BraidBinary.path, ["serve", "--clientProcessId", "x"])
        #expect(option.status == 2)
        #expect(option.stderr == "braid: serve: --clientProcessId needs a process id\n")
    }
}
