import Foundation

/// A request a peer can send, named once with its parameter and result types.
///
/// Declaring methods as types (as sourcekit-lsp and vscode-jsonrpc do) keeps the method name, the
/// params and the result in one place, so the server and its clients cannot drift apart.
public protocol RequestType: Sendable {
    associatedtype Params: Decodable & Encodable & Sendable = NoParams
    associatedtype Result: Decodable & Encodable & Sendable
    static var method: String { get }
    /// Names for params given by position, in order. Empty: params must be given by name.
    static var positionalParameters: [String] { get }
}

extension RequestType {
    public static var positionalParameters: [String] { [] }
}

/// A notification a peer can send.
public protocol NotificationType: Sendable {
    associatedtype Params: Decodable & Encodable & Sendable = NoParams
    static var method: String { get }
}

/// Params of a method that takes none; `{}`, `[]` and an absent member are all accepted.
public struct NoParams: Codable, Sendable, Hashable {
    public init() {}
    public init(from decoder: Decoder) throws {}
    public func encode(to encoder: Encoder) throws {
        _ = encoder.container(keyedBy: NoKeys.self)
    }
    private enum NoKeys: CodingKey {}
}

/// What a request handler learns of its request, and the way back to the peer.
public struct RequestContext: Sendable {
    public let id: RequestID
    public let method: String
    public let connection: Connection
}

/// One answered request, as `HandlerTable.onAnswer` sees it.
public struct AnswerRecord: Sendable {
    public let method: String
    public let id: RequestID
    public let params: JSONValue?
    /// Nil when the request succeeded.
    public let error: ResponseError?
    /// From arrival to answer.
    public let elapsed: Duration
}

/// Whether a message may run beside others.
public enum Ordering: Sendable {
    /// Runs after every ordered message that arrived before it has finished: for state changes.
    case ordered
    /// Runs at once, concurrently with anything else: for read-only requests.
    case concurrent
}

/// The decision taken on a message, in arrival order, before it is dispatched.
public enum Admission: Sendable {
    case accept
    /// Answer a request with this error; a notification is dropped.
    case reject(ResponseError)
    /// Drop the message silently (a request is still answered, with -32600).
    case drop
}

/// The methods a connection serves. Built before the connection starts and immutable after, so
/// dispatch needs no lock.
public struct HandlerTable: Sendable {
    public typealias RequestBody = @Sendable (JSONValue?, RequestContext) async throws -> [UInt8]
    public typealias NotificationBody = @Sendable (JSONValue?, Connection) async -> Void

    struct RequestEntry: Sendable {
        let ordering: Ordering
        let body: RequestBody
    }

    struct NotificationEntry: Sendable {
        let ordering: Ordering
        let body: NotificationBody
    }

    var requests: [String: RequestEntry] = [:]
    var notifications: [String: NotificationEntry] = [:]

    /// Consulted for every request and notification, in arrival order (LSP's lifecycle lives here).
    public var admission: (@Sendable (_ method: String, _ isRequest: Bool) -> Admission)?

    /// Told of every answer after it was written, refusals included: for tracing, and for state
    /// that depends on how a request ended (a failed `initialize`).
    public var onAnswer: (@Sendable (AnswerRecord, Connection) -> Void)?

    public init() {}

    public var requestMethods: [String] { requests.keys.sorted() }
    public var notificationMethods: [String] { notifications.keys.sorted() }

    /// Registers an untyped request handler returning any JSON value.
    public mutating func onRequest(_ method: String, ordering: Ordering = .concurrent,
                                   _ body: @escaping @Sendable (JSONValue?, RequestContext) async throws -> JSONValue) {
        requests[method] = RequestEntry(ordering: ordering) { params, context in
            JSONWriter.encode(try await body(params, context))
        }
    }

    /// Registers an untyped request handler whose result is JSON it encoded itself (a large answer
    /// kept encoded between requests). The bytes must be one valid JSON value.
    public mutating func onEncodedRequest(_ method: String, ordering: Ordering = .concurrent,
                                          _ body: @escaping @Sendable (JSONValue?, RequestContext) async throws -> [UInt8]) {
        requests[method] = RequestEntry(ordering: ordering, body: body)
    }

    /// Registers a typed request handler: params are decoded (by name or position), the result encoded.
    public mutating func on<R: RequestType>(_ type: R.Type, ordering: Ordering = .concurrent,
                                            _ body: @escaping @Sendable (R.Params, RequestContext) async throws -> R.Result) {
        requests[R.method] = RequestEntry(ordering: ordering) { params, context in
            let decoded = try ParamsCoding.decode(R.Params.self, from: params, positional: R.positionalParameters)
            let result = try await body(decoded, context)
            return try ParamsCoding.encode(result)
        }
    }

    /// Registers an untyped notification handler.
    public mutating func onNotification(_ method: String, ordering: Ordering = .ordered,
                                        _ body: @escaping @Sendable (JSONValue?, Connection) async -> Void) {
        notifications[method] = NotificationEntry(ordering: ordering, body: body)
    }

    /// Registers a typed notification handler; params that do not decode are logged and dropped.
    public mutating func on<N: NotificationType>(_ type: N.Type, ordering: Ordering = .ordered,
                                                 _ body: @escaping @Sendable (N.Params, Connection) async -> Void) {
        notifications[N.method] = NotificationEntry(ordering: ordering) { params, connection in
            guard let decoded = try? ParamsCoding.decode(N.Params.self, from: params, positional: []) else {
                connection.log("dropped \(N.method): its params do not decode")
                return
            }
            await body(decoded, connection)
        }
    }
}

/// Bridges `JSONValue` params and Codable types, turning decoding failures into -32602 messages a
/// client author can act on ("missing field 'title'").
public enum ParamsCoding {
    public static func decode<T: Decodable>(_ type: T.Type, from params: JSONValue?, positional: [String]) throws -> T {
        if T.self == NoParams.self, let empty = NoParams() as? T { return empty }
        var value = params ?? .object([:])
        if case .array(let elements) = value {
            if elements.isEmpty {
                value = .object([:])
            } else {
                guard !positional.isEmpty else {
                    throw ResponseError.invalidParams("params must be given by name (an object)")
                }
                guard elements.count <= positional.count else {
                    throw ResponseError.invalidParams("expected at most \(positional.count) positional params, got \(elements.count)")
                }
                var object: [String: JSONValue] = [:]
                for (name, element) in zip(positional, elements) where element != .null { object[name] = element }
                value = .object(object)
            }
        }
        do {
            return try JSONDecoder().decode(T.self, from: Data(JSONWriter.encode(value)))
        } catch let error as DecodingError {
            if case .dataCorrupted(let context) = error, context.codingPath.isEmpty,
               let field = nonIntegerField(in: value, decoding: T.self) {
                // Foundation reports a fraction or an out-of-range number given for an integer
                // without a path; name the field rather than saying "not valid JSON".
                throw ResponseError.invalidParams("'\(field)' must be an integer")
            }
            throw ResponseError.invalidParams(describe(error))
        }
    }

    /// The top-level member whose non-integer number the decoder rejected: the one that, set to
    /// 0, makes that failure go away.
    static func nonIntegerField<T: Decodable>(in value: JSONValue, decoding type: T.Type) -> String? {
        guard case .object(let members) = value else { return nil }
        // Bounded: each candidate costs a decode, and hostile params may hold thousands.
        let candidates = members.keys.sorted().filter { key in
            if case .number(let n)? = members[key] { return Int(n.text) == nil }
            return false
        }.prefix(16)
        for key in candidates {
            var patched = members
            patched[key] = .number(JSONNumber(0))
            do {
                _ = try JSONDecoder().decode(T.self, from: Data(JSONWriter.encode(.object(patched))))
                return key
            } catch DecodingError.dataCorrupted(let context) where context.codingPath.isEmpty {
                continue
            } catch {
                return key
            }
        }
        return nil
    }

    public static func encode<T: Encodable>(_ value: T) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(value))
    }

    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ last: CodingKey? = nil) -> String {
            let keys = context.codingPath + (last.map { [$0] } ?? [])
            let joined = keys.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }.joined(separator: ".")
            return joined.isEmpty ? "params" : "'\(joined.replacingOccurrences(of: ".[", with: "["))'"
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing field \(path(context, key))"
        case .typeMismatch(let type, let context): return "\(path(context)) must be \(describe(type))"
        case .valueNotFound(let type, let context): return "\(path(context)) must be \(describe(type)), not null"
        case .dataCorrupted(let context): return "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }

    static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type, is Int32.Type, is Int64.Type, is UInt.Type, is UInt32.Type, is UInt64.Type: return "an integer"
        case is Double.Type, is Float.Type: return "a number"
        default:
            let name = String(describing: type)
            if name.hasPrefix("Array") { return "an array" }
            if name.hasPrefix("Dictionary") { return "an object" }
            return "of type \(name)"
        }
    }
}
