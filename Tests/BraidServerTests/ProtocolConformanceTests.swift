import BraidServer
import Foundation
import JSONRPC
import Testing
import TestSupport

/// Keeps `Protocol/` and the server in step, as rust-analyzer's tidy test does for its docs.
@Suite struct ProtocolConformanceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func model() throws -> JSONValue {
        try JSONParser.parse(Array(try Data(contentsOf: root.appendingPathComponent("Protocol/braid-protocol.json"))))
    }

    func methods(_ model: JSONValue, _ section: String, direction: Set<String>) -> Set<String> {
        Set((model[section]?.arrayValue ?? []).filter { direction.contains($0["messageDirection"]?.stringValue ?? "") }
            .compactMap { $0["method"]?.stringValue })
    }

    @Test func servedRequestsAreExactlyTheListedOnes() throws {
        let model = try Self.model()
        let handlers = BraidServer(hooks: .init(exit: { _ in })).makeHandlers()
        #expect(methods(model, "requests", direction: ["clientToServer", "both"]) == Set(handlers.requestMethods))
        #expect(Set(BraidServer.servedRequests) == Set(handlers.requestMethods))
        #expect(methods(model, "requests", direction: ["serverToClient", "both"]) == Set(BraidServer.sentRequests))
    }

    @Test func servedNotificationsAreExactlyTheListedOnes() throws {
        let model = try Self.model()
        let handlers = BraidServer(hooks: .init(exit: { _ in })).makeHandlers()
        // $/cancelRequest is acted on by the connection itself, ahead of the handlers.
        #expect(methods(model, "notifications", direction: ["clientToServer", "both"])
            == Set(handlers.notificationMethods + ["$/cancelRequest"]))
        #expect(Set(BraidServer.servedNotifications) == Set(handlers.notificationMethods + ["$/cancelRequest"]))
        #expect(methods(model, "notifications", direction: ["serverToClient", "both"])
            == Set(BraidServer.sentNotifications + ["$/cancelRequest"]))
    }

    @Test func everyListedMethodIsDescribedInTheReadableProtocol() throws {
        let model = try Self.model()
        let readme = try String(contentsOf: Self.root.appendingPathComponent("Protocol/README.md"), encoding: .utf8)
        for entry in (model["requests"]?.arrayValue ?? []) + (model["notifications"]?.arrayValue ?? []) {
            let method = entry["method"]?.stringValue ?? "?"
            #expect(readme.contains("### `\(method)`"), "Protocol/README.md has no section for \(method)")
        }
        for code in model["errorCodes"]?.arrayValue ?? [] {
            #expect(readme.contains("\(code["code"]?.intValue ?? 0)"))
        }
    }

    /// Outside a repository (the harness's folder is empty), Braid's own methods answer -32012, or
    /// -32602 first when their params do not decode; every code must be one the method declares.
    @Test func everyListedRequestIsServedAndAnUnlistedOneIsNot() async throws {
        let model = try Self.model()
        let h = ServerHarness()
        await h.initialize()
        var id = 10
        for entry in model["requests"]?.arrayValue ?? [] where entry["messageDirection"] == "clientToServer" {
            let method = entry["method"]?.stringValue ?? "?"
            guard method != "initialize" && method != "shutdown" else { continue }
            id += 1
            let reply = await h.request(id, method, [:])
            #expect(reply?["error"]?["code"] != -32601, "\(method) is listed but not served")
            if let code = reply?["error"]?["code"] {
                #expect(entry["errors"]?.arrayValue?.contains(code) == true, "\(method) answered \(code), which it does not declare")
            }
            // Outside a Braid repository that is the answer, before the params are even looked at.
            if method.contains("/"), !method.hasPrefix("braid/"), method != "workspace/init" {
                #expect(reply?["error"]?["code"] == -32012, "\(method): \(String(describing: reply))")
            }
        }
        #expect(await h.request(99, "braid/notListed")?["error"]?["code"] == -32601)
        await h.finish()
    }

    @Test func resultsAndNotificationsMatchTheirDeclaredShapes() async throws {
        let model = try Self.model()
        let checker = ShapeChecker(model: model)
        let h = ServerHarness()
        let initialize = await h.initialize(["processId": 1, "clientInfo": ["name": "t"], "trace": "messages"])
        try checker.check(initialize?["result"], against: "initialize", in: "requests", part: "result")
        try checker.check(await h.request(2, "braid/version")?["result"], against: "braid/version", in: "requests", part: "result")

        h.peer.send(Frames.request(3, "braid/ping", ["roundTrip": true, "delayMs": 0]))
        guard let ask = await h.nextWithID() else { Issue.record("no client/ping"); return }
        try checker.check(ask["params"], against: "client/ping", in: "requests", part: "params")
        h.peer.send(["jsonrpc": "2.0", "id": ask["id"] ?? .null, "result": ["ok": true]])
        let ping = await h.nextWithID()
        try checker.check(ping?["result"], against: "braid/ping", in: "requests", part: "result")
        #expect(ping?["result"]?["client"] == ["ok": true])

        let sent = h.notifications.withLock { $0 }
        #expect(Set(sent.compactMap { $0["method"]?.stringValue }) == ["window/logMessage", "$/logTrace"])
        for notification in sent {
            try checker.check(notification["params"], against: notification["method"]?.stringValue ?? "", in: "notifications", part: "params")
        }
        try checker.check(await h.request(4, "shutdown")?["result"], against: "shutdown", in: "requests", part: "result")
        await h.finish()
    }
}

/// Checks a JSON value against a type of the protocol's model (base, reference, array, or, map).
struct ShapeChecker {
    struct Mismatch: Error, CustomStringConvertible {
        let description: String
    }

    let model: JSONValue

    func check(_ value: JSONValue?, against method: String, in section: String, part: String) throws {
        guard let entry = model[section]?.arrayValue?.first(where: { $0["method"]?.stringValue == method }) else {
            throw Mismatch(description: "\(method) is not in \(section)")
        }
        guard let type = entry[part] else { throw Mismatch(description: "\(method) declares no \(part)") }
        try check(value ?? .null, type, path: "\(method).\(part)")
    }

    func check(_ value: JSONValue, _ type: JSONValue, path: String) throws {
        func fail(_ expected: String) -> Mismatch { Mismatch(description: "\(path): expected \(expected), got \(value)") }
        switch type["kind"]?.stringValue {
        case "base":
            let name = type["name"]?.stringValue ?? ""
            let ok: Bool
            switch (name, value) {
            case ("any", _): ok = true
            case ("null", .null), ("string", .string), ("boolean", .bool), ("number", .number): ok = true
            case ("integer", .number(let n)): ok = n.intValue != nil
            default: ok = false
            }
            if !ok { throw fail(name) }
        case "array":
            guard case .array(let elements) = value, let element = type["element"] else { throw fail("array") }
            for (i, e) in elements.enumerated() { try check(e, element, path: "\(path)[\(i)]") }
        case "map":
            guard case .object(let members) = value, let element = type["value"] else { throw fail("map") }
            for (k, v) in members { try check(v, element, path: "\(path).\(k)") }
        case "or":
            let items = type["items"]?.arrayValue ?? []
            guard items.contains(where: { (try? check(value, $0, path: path)) != nil }) else { throw fail("one of \(items)") }
        case "stringLiteral":
            guard let literal = type["value"], value == literal else { throw fail("the string \(type["value"] ?? .null)") }
        case "reference":
            let name = type["name"]?.stringValue ?? ""
            if let structure = model["structures"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) {
                guard case .object(let members) = value else { throw fail(name) }
                let properties = structure["properties"]?.arrayValue ?? []
                let known = Set(properties.compactMap { $0["name"]?.stringValue })
                for extra in members.keys where !known.contains(extra) {
                    throw Mismatch(description: "\(path): \(extra) is not a property of \(name)")
                }
                for property in properties {
                    let key = property["name"]?.stringValue ?? ""
                    if let member = members[key], let propertyType = property["type"] {
                        try check(member, propertyType, path: "\(path).\(key)")
                    } else if property["optional"] != .bool(true) {
                        throw Mismatch(description: "\(path): missing \(key) of \(name)")
                    }
                }
            } else if let enumeration = model["enumerations"]?.arrayValue?.first(where: { $0["name"]?.stringValue == name }) {
                let values = (enumeration["values"]?.arrayValue ?? []).compactMap { $0["value"] }
                guard values.contains(value) else { throw fail("a value of \(name)") }
            } else {
                throw Mismatch(description: "\(path): unknown type \(name)")
            }
        default:
            throw Mismatch(description: "\(path): unknown kind in \(type)")
        }
    }
}
