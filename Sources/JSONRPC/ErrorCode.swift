/// A JSON-RPC error code: an open set, so a server may define its own next to the standard ones.
public struct ErrorCode: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    public let rawValue: Int
    public init(rawValue: Int) { self.rawValue = rawValue }

    // JSON-RPC 2.0.
    public static let parseError = ErrorCode(rawValue: -32700)
    public static let invalidRequest = ErrorCode(rawValue: -32600)
    public static let methodNotFound = ErrorCode(rawValue: -32601)
    public static let invalidParams = ErrorCode(rawValue: -32602)
    public static let internalError = ErrorCode(rawValue: -32603)

    // The Language Server Protocol's, which editors already understand.
    public static let serverNotInitialized = ErrorCode(rawValue: -32002)
    public static let unknownErrorCode = ErrorCode(rawValue: -32001)
    public static let requestFailed = ErrorCode(rawValue: -32803)
    public static let serverCancelled = ErrorCode(rawValue: -32802)
    public static let contentModified = ErrorCode(rawValue: -32801)
    public static let requestCancelled = ErrorCode(rawValue: -32800)

    public var description: String { String(rawValue) }
}

/// The `error` member of a response: what a handler throws to fail a request with a precise code.
public struct ResponseError: Error, Sendable, Hashable, CustomStringConvertible {
    public var code: ErrorCode
    public var message: String
    public var data: JSONValue?

    public init(_ code: ErrorCode, _ message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public static func methodNotFound(_ method: String) -> ResponseError {
        ResponseError(.methodNotFound, "method not found: \(method)")
    }

    public static func invalidParams(_ message: String) -> ResponseError {
        ResponseError(.invalidParams, "invalid params: \(message)")
    }

    public static let cancelled = ResponseError(.requestCancelled, "request cancelled")

    public var json: JSONValue {
        var members: [String: JSONValue] = ["code": .number(JSONNumber(code.rawValue)), "message": .string(message)]
        if let data { members["data"] = data }
        return .object(members)
    }

    public init?(json: JSONValue) {
        guard let code = json["code"]?.intValue else { return nil }
        self.init(ErrorCode(rawValue: code), json["message"]?.stringValue ?? "", data: json["data"])
    }

    public var description: String { "\(message) (code \(code.rawValue))" }
}

/// Thrown to a caller waiting on the peer when the connection ends first.
public struct ConnectionClosedError: Error, Sendable, CustomStringConvertible {
    public init() {}
    public var description: String { "the connection closed before the peer answered" }
}
