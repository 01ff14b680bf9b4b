import Foundation

/// How one gate step ended.
public enum GateStepOutcome: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The program exited by itself with this status; 0 passes.
    case exited(Int32)
    /// A signal ended it (not Braid's time limit).
    case signaled(Int32)
    /// It ran past its time limit and Braid stopped it.
    case timedOut
    /// It could not be started: no such program, a missing directory.
    case couldNotStart(String)

    public var description: String {
        switch self {
        case .exited(let status): return "exited with status \(status)"
        case .signaled(let signal): return AgentExit.signaled(signal).description
        case .timedOut: return "ran past its time limit and was stopped"
        case .couldNotStart(let reason): return "could not start: \(reason)"
        }
    }

    // A flat shape for the journal: {"kind": "exited", "status": 1}.
    private enum CodingKeys: String, CodingKey { case kind, status, signal, reason }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        switch try container.decode(String.self, forKey: .kind) {
        case "exited": self = .exited(try container.decode(Int32.self, forKey: .status))
        case "signaled": self = .signaled(try container.decode(Int32.self, forKey: .signal))
        case "timedOut": self = .timedOut
        case "couldNotStart": self = .couldNotStart(try container.decode(String.self, forKey: .reason))
        case let kind:
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container,
                                                   debugDescription: "unknown gate step outcome \"\(kind)\"")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        switch self {
        case .exited(let status):
            try container.encode("exited", forKey: .kind)
            try container.encode(status, forKey: .status)
        case .signaled(let signal):
            try container.encode("signaled", forKey: .kind)
            try container.encode(signal, forKey: .signal)
        case .timedOut:
            try container.encode("timedOut", forKey: .kind)
        case .couldNotStart(let reason):
            try container.encode("couldNotStart", forKey: .kind)
            try container.encode(reason, forKey: .reason)
        }
    }
}

/// What one gate step did: how it ended, how long it took, and the end of what it printed.
public struct GateStepResult: Sendable, Hashable, Codable {
    public let name: String
    /// The argv that ran; a shell step's is `["/bin/sh", "-c", script]`.
    public let command: [String]
    public let outcome: GateStepOutcome
    public let seconds: Double
    public let timeLimitSeconds: Double
    /// Standard output and standard error together, interleaved as written.
    public let output: OutputTail

    public init(name: String, command: [String], outcome: GateStepOutcome, seconds: Double,
                timeLimitSeconds: Double, output: OutputTail) {
        self.name = name
        self.command = command
        self.outcome = outcome
        self.seconds = seconds
        self.timeLimitSeconds = timeLimitSeconds
        self.output = output
    }

    public var passed: Bool { outcome == .exited(0) }

    public var duration: Duration { .seconds(seconds) }
}
