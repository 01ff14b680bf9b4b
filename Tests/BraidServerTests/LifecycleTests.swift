import BraidCore
import BraidServer
import JSONRPC
import Testing
import TestSupport

@Suite struct LifecycleTests {
    @Test func requestsBeforeInitializeGetServerNotInitialized() async {
        let h = ServerHarness()
        let reply = await h.request(5, "braid/version")
        #expect(reply?["error"] == ["code": -32002, "message": "server not initialized: send initialize first"])
        await h.finish()
    }

    @Test func notificationsBeforeInitializeAreDropped() async {
        let h = ServerHarness()
        h.notify("$/setTrace", ["value": "verbose"])
        h.notify("initialized", [:])
        await h.initialize()
        #expect(h.server.traceValue == .off)
        // The only notification is the one answering the real `initialized`.
        _ = await h.request(2, "braid/version")
        #expect(h.notifications.withLock { $0.count } <= 1)
        await h.finish()
    }

    @Test func initializeReportsServerInfoAndCapabilities() async {
        let h = ServerHarness()
        let reply = await h.initialize(["processId": 4242, "clientInfo": ["name": "test"], "capabilities": [:]])
        #expect(reply?["result"]?["serverInfo"] == ["name": "braid", "version": .string(BraidVersion.current)])
        #expect(reply?["result"]?["capabilities"]?["requests"]
            == .array(BraidServer.servedRequests.filter { $0 != "initialize" && $0 != "shutdown" }.map { .string($0) }))
        #expect(reply?["result"]?["capabilities"]?["notifications"] == .array(BraidServer.sentNotifications.map { .string($0) }))
        #expect(h.hooks.watched.withLock { $0 } == [4242])
        let log = await h.nextNotification()
        #expect(log?["method"] == "window/logMessage")
        #expect(log?["params"]?["type"] == 3)
        await h.finish()
    }

    @Test func aSecondInitializeIsAnInvalidRequest() async {
        let h = ServerHarness()
        await h.initialize()
        #expect(await h.request(2, "initialize", [:])?["error"]?["code"] == -32600)
        await h.finish()
    }

    @Test func initializeWithBadParamsCanBeRetried() async {
        let h = ServerHarness()
        let bad = await h.request(1, "initialize", ["processId": "me"])
        #expect(bad?["error"]?["code"] == -32602)
        #expect(bad?["error"]?["message"] == "invalid params: 'processId' must be an integer")
        #expect(await h.request(2, "initialize", [:])?["result"]?["serverInfo"]?["name"] == "braid")
        await h.finish()
    }

    @Test func shutdownThenExitExitsZero() async {
        let h = ServerHarness()
        await h.initialize()
        #expect(await h.request(2, "shutdown") == ["jsonrpc": "2.0", "id": 2, "result": .null])
        let after = await h.request(3, "braid/version")
        #expect(after?["error"]?["code"] == -32600)
        h.notify("exit")
        #expect(await h.hooks.firstExit() == 0)
        await h.finish()
    }

    @Test func exitWithoutShutdownExitsOne() async {
        let h = ServerHarness()
        await h.initialize()
        h.notify("exit")
        #expect(await h.hooks.firstExit() == 1)
        #expect(h.server.lifecycle.exitCode == 1)
        await h.finish()
    }

    @Test func unknownDollarRequestsAreNotFoundAndNotificationsIgnored() async {
        let h = ServerHarness()
        await h.initialize()
        h.notify("$/somethingNew", ["x": 1])
        #expect(await h.request(2, "$/somethingNew")?["error"]?["code"] == -32601)
        await h.finish()
    }

    @Test func traceReportsEachAnsweredRequest() async {
        let h = ServerHarness()
        await h.initialize()
        _ = await h.nextNotification() // window/logMessage
        h.notify("$/setTrace", ["value": "verbose"])
        _ = await h.request(2, "braid/ping", ["delayMs": 1])
        let trace = await h.nextNotification()
        #expect(trace?["method"] == "$/logTrace")
        #expect(trace?["params"]?["message"]?.stringValue?.hasPrefix("Received request 'braid/ping - (2)'") == true)
        #expect(trace?["params"]?["verbose"] == #"Params: {"delayMs":1}"#)
        await h.finish()
    }

    @Test func pingRejectsAnOutOfRangeDelay() async {
        let h = ServerHarness()
        await h.initialize()
        let reply = await h.request(2, "braid/ping", ["delayMs": 999_999])
        #expect(reply?["error"] == ["code": -32602, "message": "invalid params: 'delayMs' must be between 0 and 60000"])
        await h.finish()
    }

    @Test func pingFailsInternallyWhenTheClientAnswersWithAnError() async {
        let h = ServerHarness()
        await h.initialize()
        h.peer.send(Frames.request(2, "braid/ping", ["roundTrip": true]))
        guard let ask = await h.nextWithID() else { Issue.record("no client/ping"); return }
        #expect(ask["method"] == "client/ping")
        h.peer.send(["jsonrpc": "2.0", "id": ask["id"] ?? .null, "error": ["code": -1, "message": "no"]])
        let reply = await h.nextWithID()
        #expect(reply?["error"]?["code"] == -32603)
        #expect(reply?["error"]?["message"] == "internal error: client/ping failed: no")
        await h.finish()
    }
}
