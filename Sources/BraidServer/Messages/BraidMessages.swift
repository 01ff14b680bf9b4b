import JSONRPC

/// `braid/version`: which Braid answers, and which protocol it speaks.
public enum VersionRequest: RequestType {
    public static let method = "braid/version"

    public struct Result: Codable, Sendable, Equatable {
        public var name: String
        public var version: String
        public var protocolVersion: String
    }
}

/// `braid/ping`: a health check of the connection in both directions, for editors' health commands.
///
/// `delayMs` holds the answer back (a request that can be cancelled); `roundTrip` makes the server
/// ask the client `client/ping` first and include its answer, proving server-to-client requests work.
public enum PingRequest: RequestType {
    public static let method = "braid/ping"
    public static let positionalParameters = ["delayMs", "roundTrip"]

    public struct Params: Codable, Sendable {
        public var delayMs: Int?
        public var roundTrip: Bool?
        public init(delayMs: Int? = nil, roundTrip: Bool? = nil) {
            self.delayMs = delayMs
            self.roundTrip = roundTrip
        }
    }

    public struct Result: Codable, Sendable {
        public var pong: Bool
        /// The client's answer to `client/ping`, when `roundTrip` was asked for.
        public var client: JSONValue?
    }

    /// The longest delay accepted; a ping is a diagnostic, not a timer.
    public static let maxDelayMs = 60_000
}

/// `client/ping`: the server asks the client to answer; the client returns any JSON value.
public enum ClientPingRequest: RequestType {
    public static let method = "client/ping"

    public struct Params: Codable, Sendable {
        public var nonce: Int
    }

    public typealias Result = JSONValue
}
