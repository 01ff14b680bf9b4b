import Testing
@testable import JSONRPC

@Suite struct MessageTests {
    func decode(_ text: String) -> Inbound { Inbound.decode(body: Array(text.utf8)) }

    @Test func classifiesRequestsNotificationsAndResponses() {
        guard case .message(.request(let id, let method, let params)) = decode(#"{"jsonrpc":"2.0","id":"a","method":"m","params":[1]}"#) else {
            Issue.record("not a request"); return
        }
        #expect(id == .string("a"))
        #expect(method == "m")
        #expect(params == [1])
        guard case .message(.notification("n", nil)) = decode(#"{"jsonrpc":"2.0","method":"n","params":null}"#) else {
            Issue.record("not a notification"); return
        }
        guard case .message(.response(let rid, .success(let result))) = decode(#"{"jsonrpc":"2.0","id":3,"result":{"x":1}}"#) else {
            Issue.record("not a response"); return
        }
        #expect(rid == RequestID(3))
        #expect(result == ["x": 1])
        guard case .message(.response(nil, .failure(let error))) = decode(#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"p"}}"#) else {
            Issue.record("not an error response"); return
        }
        #expect(error.code == .parseError)
    }

    @Test(arguments: [
        (#"[1]"#, "a message must be a JSON object"),
        (#"{"id":1,"method":"m"}"#, "\"jsonrpc\" must be \"2.0\""),
        (#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#, "\"id\" must be a number or a string"),
        (#"{"jsonrpc":"2.0","id":1,"method":3}"#, "\"method\" must be a string"),
        (#"{"jsonrpc":"2.0","id":1,"method":"m","params":"x"}"#, "\"params\" must be an object or an array"),
        (#"{"jsonrpc":"2.0","id":null,"method":"m"}"#, "a request's \"id\" must not be null"),
        (#"{"jsonrpc":"2.0","id":1}"#, "neither \"method\" nor \"result\" nor \"error\" is present"),
    ])
    func invalidRequestsCarryAReason(text: String, reason: String) {
        let inbound = decode(text)
        switch inbound {
        case .invalid(_, let error):
            #expect(error.code == .invalidRequest)
            #expect(error.message == "invalid request: \(reason)")
        case .batch(let elements):
            guard case .invalid(_, let error) = elements.first else { Issue.record("\(inbound)"); return }
            #expect(error.message == "invalid request: \(reason)")
        default:
            Issue.record("accepted: \(inbound)")
        }
    }

    @Test func recoversTheIDOfAnInvalidRequest() {
        guard case .invalid(let id, _) = decode(#"{"jsonrpc":"1.0","id":42,"method":"m"}"#) else { Issue.record(); return }
        #expect(id == RequestID(42))
    }

    @Test func aParseErrorHasNoID() {
        guard case .invalid(nil, let error) = decode(#"{"jsonrpc":"2.0","id":1,"#) else { Issue.record(); return }
        #expect(error.code == .parseError)
    }

    @Test func anEmptyBatchIsOneInvalidRequest() {
        guard case .invalid(nil, let error) = decode("[]") else { Issue.record(); return }
        #expect(error.message == "invalid request: empty batch")
    }
}
