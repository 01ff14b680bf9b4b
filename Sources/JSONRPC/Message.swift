/// A request id, kept as received: JSON-RPC allows a number or a string, and peers compare by type.
public enum RequestID: Hashable, Sendable, CustomStringConvertible {
    case number(JSONNumber)
    case string(String)

    public init(_ value: Int) { self = .number(JSONNumber(value)) }

    public var json: JSONValue {
        switch self {
        case .number(let n): return .number(n)
        case .string(let s): return .string(s)
        }
    }

    public var description: String {
        switch self {
        case .number(let n): return n.text
        case .string(let s): return "\"\(s)\""
        }
    }
}

/// One JSON-RPC message, as read from the peer.
public enum Message: Sendable {
    case request(id: RequestID, method: String, params: JSONValue?)
    case notification(method: String, params: JSONValue?)
    case response(id: RequestID?, result: Result<JSONValue, ResponseError>)
}

/// What one frame from the peer turned out to be.
public enum Inbound: Sendable {
    case message(Message)
    /// Not a valid message: answer with this error (id null when it could not be recovered).
    case invalid(id: RequestID?, error: ResponseError)
    /// A JSON-RPC batch: its elements, in order; answered with one array.
    case batch([BatchElement])
    /// A response that is not valid: JSON-RPC never answers a response, so it is only logged.
    case malformedResponse(String)

    public enum BatchElement: Sendable {
        case message(Message)
        case invalid(id: RequestID?, error: ResponseError)
        case malformedResponse(String)
    }

    /// Classifies a frame's body. Never throws: every defect becomes the error the peer should get.
    public static func decode(body: [UInt8], maxDepth: Int = JSONParser.defaultMaxDepth) -> Inbound {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body, maxDepth: maxDepth)
        } catch {
            return .invalid(id: nil, error: ResponseError(.parseError, "parse error: \(error)"))
        }
        if case .array(let elements) = value {
            if elements.isEmpty {
                return .invalid(id: nil, error: ResponseError(.invalidRequest, "invalid request: empty batch"))
            }
            return .batch(elements.map { element in
                switch decodeMessage(element) {
                case .success(let m): return .message(m)
                case .failure(let f) where f.isResponse: return .malformedResponse(f.error.message)
                case .failure(let f): return .invalid(id: f.id, error: f.error)
                }
            })
        }
        switch decodeMessage(value) {
        case .success(let m): return .message(m)
        case .failure(let f) where f.isResponse: return .malformedResponse(f.error.message)
        case .failure(let f): return .invalid(id: f.id, error: f.error)
        }
    }

    struct Failure: Error {
        let id: RequestID?
        let error: ResponseError
        var isResponse = false
    }

    static func decodeMessage(_ value: JSONValue) -> Result<Message, Failure> {
        guard case .object(let members) = value else {
            return .failure(Failure(id: nil, error: ResponseError(.invalidRequest, "invalid request: a message must be a JSON object")))
        }
        var id: RequestID?
        var idIsValid = true
        switch members["id"] {
        case .none, .null?: break
        case .number(let n)?: id = .number(n)
        case .string(let s)?: id = .string(s)
        default: idIsValid = false
        }
        func invalid(_ message: String) -> Result<Message, Failure> {
            .failure(Failure(id: id, error: ResponseError(.invalidRequest, "invalid request: \(message)")))
        }
        guard members["jsonrpc"] == .string("2.0") else { return invalid("\"jsonrpc\" must be \"2.0\"") }
        guard idIsValid else { return invalid("\"id\" must be a number or a string") }

        if let methodValue = members["method"] {
            guard case .string(let method) = methodValue else { return invalid("\"method\" must be a string") }
            var params = members["params"]
            switch params {
            case .none, .object?, .array?: break
            case .null?: params = nil
            default: return invalid("\"params\" must be an object or an array")
            }
            if let id { return .success(.request(id: id, method: method, params: params)) }
            if members["id"] == .null { return invalid("a request's \"id\" must not be null") }
            return .success(.notification(method: method, params: params))
        }
        if let error = members["error"] {
            guard let decoded = ResponseError(json: error) else {
                return .failure(Failure(id: id, error: ResponseError(.invalidRequest, "malformed response: \"error\" must have an integer \"code\""), isResponse: true))
            }
            return .success(.response(id: id, result: .failure(decoded)))
        }
        if let result = members["result"] {
            guard id != nil else {
                return .failure(Failure(id: nil, error: ResponseError(.invalidRequest, "malformed response: a response needs an \"id\""), isResponse: true))
            }
            return .success(.response(id: id, result: .success(result)))
        }
        return invalid("neither \"method\" nor \"result\" nor \"error\" is present")
    }
}

/// Builds outgoing message bodies directly as bytes, in a fixed member order.
enum OutboundMessage {
    static func response(id: RequestID?, result: [UInt8]) -> [UInt8] {
        var out = prefix(id: id)
        out.append(contentsOf: #","result":"#.utf8)
        out.append(contentsOf: result)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func error(id: RequestID?, _ error: ResponseError) -> [UInt8] {
        var out = prefix(id: id)
        out.append(contentsOf: #","error":"#.utf8)
        JSONWriter.write(error.json, into: &out)
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func request(id: RequestID, method: String, params: JSONValue?) -> [UInt8] {
        var out = prefix(id: id)
        appendMethod(method, params: params, into: &out)
        return out
    }

    static func notification(method: String, params: JSONValue?) -> [UInt8] {
        var out = Array(#"{"jsonrpc":"2.0""#.utf8)
        appendMethod(method, params: params, into: &out)
        return out
    }

    private static func prefix(id: RequestID?) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(96)
        out.append(contentsOf: #"{"jsonrpc":"2.0","id":"#.utf8)
        JSONWriter.write(id?.json ?? .null, into: &out)
        return out
    }

    private static func appendMethod(_ method: String, params: JSONValue?, into out: inout [UInt8]) {
        out.append(contentsOf: #","method":"#.utf8)
        JSONWriter.writeString(method, into: &out)
        if let params {
            out.append(contentsOf: #","params":"#.utf8)
            JSONWriter.write(params, into: &out)
        }
        out.append(UInt8(ascii: "}"))
    }
}
