import JSONRPC

/// `initialize`: the first request of every session, as in LSP.
public enum InitializeRequest: RequestType {
    public static let method = "initialize"

    public struct Params: Codable, Sendable {
        /// The client's process id: the server exits when that process dies.
        public var processId: Int?
        public var clientInfo: ClientInfo?
        public var rootPath: String?
        public var rootUri: String?
        public var capabilities: JSONValue?
        public var trace: TraceValue?

        public init(processId: Int? = nil, clientInfo: ClientInfo? = nil, rootPath: String? = nil,
                    rootUri: String? = nil, capabilities: JSONValue? = nil, trace: TraceValue? = nil) {
            self.processId = processId
            self.clientInfo = clientInfo
            self.rootPath = rootPath
            self.rootUri = rootUri
            self.capabilities = capabilities
            self.trace = trace
        }
    }

    public struct ClientInfo: Codable, Sendable {
        public var name: String
        public var version: String?
        public init(name: String, version: String? = nil) {
            self.name = name
            self.version = version
        }
    }

    public struct Result: Codable, Sendable {
        public var capabilities: ServerCapabilities
        public var serverInfo: ServerInfo
    }
}

public struct ServerInfo: Codable, Sendable, Equatable {
    public var name: String
    public var version: String
}

/// What this server offers, so that a client can adapt to an older or newer Braid.
public struct ServerCapabilities: Codable, Sendable {
    public var protocolVersion: String
    /// Requests the server answers beyond the lifecycle ones.
    public var requests: [String]
    /// Notifications the server may send.
    public var notifications: [String]
    public var batches: Bool
    public var cancellation: Bool
}

public enum InitializedNotification: NotificationType {
    public static let method = "initialized"
}

public enum ShutdownRequest: RequestType {
    public static let method = "shutdown"
    public typealias Result = JSONValue
}

public enum ExitNotification: NotificationType {
    public static let method = "exit"
}

/// LSP's trace levels, set by `initialize` and `$/setTrace`.
public enum TraceValue: String, Codable, Sendable {
    case off, messages, verbose
}

public enum SetTraceNotification: NotificationType {
    public static let method = "$/setTrace"
    public struct Params: Codable, Sendable {
        public var value: TraceValue
    }
}

/// Sent while tracing is on: one per request the server answered.
public enum LogTraceNotification: NotificationType {
    public static let method = "$/logTrace"
    public struct Params: Codable, Sendable {
        public var message: String
        public var verbose: String?
    }
}

/// LSP's message types (1 error … 4 log).
public enum MessageType: Int, Codable, Sendable {
    case error = 1, warning = 2, info = 3, log = 4
}

public enum LogMessageNotification: NotificationType {
    public static let method = "window/logMessage"
    public struct Params: Codable, Sendable {
        public var type: MessageType
        public var message: String
    }
}
