/// How an agent process ended.
public enum AgentExit: Sendable, Hashable, Codable, CustomStringConvertible {
    /// It exited by itself with this status.
    case exited(Int32)
    /// A signal ended it.
    case signaled(Int32)
    /// It ended, but it was not Braid's child (a process adopted after a restart), so how it ended
    /// cannot be known.
    case unknown

    /// Decodes a status from `waitpid`.
    init(waitStatus status: Int32) {
        let (code, bySignal) = ChildReaper.decode(status)
        self = bySignal ? .signaled(code) : .exited(code)
    }

    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signaled(let signal): return "ended by signal \(signal)\(Self.signalName(signal).map { " (\($0))" } ?? "")"
        case .unknown: return "ended (status unknown: not started by this run of Braid)"
        }
    }

    static func signalName(_ signal: Int32) -> String? {
        let names: [Int32: String] = [1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 6: "SIGABRT",
                                      7: "SIGBUS", 8: "SIGFPE", 9: "SIGKILL", 11: "SIGSEGV", 13: "SIGPIPE",
                                      14: "SIGALRM", 15: "SIGTERM"]
        return names[signal]
    }

    // A flat shape for the journal: {"status": 3}, {"signal": 15} or {}.
    private enum CodingKeys: String, CodingKey { case status, signal }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        if let status = try container.decodeIfPresent(Int32.self, forKey: .status) {
            self = .exited(status)
        } else if let signal = try container.decodeIfPresent(Int32.self, forKey: .signal) {
            self = .signaled(signal)
        } else {
            self = .unknown
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .exited(let status): try container.encode(status, forKey: .status)
        case .signaled(let signal): try container.encode(signal, forKey: .signal)
        case .unknown: break
        }
    }
}
