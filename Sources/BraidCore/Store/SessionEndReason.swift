/// Why an agent's session ended. Open, like `TaskOutcome`: a newer Braid's reason reads back as
/// itself, and the fold counts it as a failed try (the session ended without passing its gate).
public struct SessionEndReason: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The agent's process exited by itself (whatever its status): its work goes to the gate.
    public static let exited = SessionEndReason(rawValue: "exited")
    /// Stopped at a person's request.
    public static let cancelled = SessionEndReason(rawValue: "cancelled")
    /// Stopped for running longer than its wall-time limit.
    public static let wallTime = SessionEndReason(rawValue: "wallTime")
    /// Stopped for producing no output for too long.
    public static let stalled = SessionEndReason(rawValue: "stalled")
    /// Found dead by a restarted daemon: the session ended while no Braid watched it.
    public static let daemonDied = SessionEndReason(rawValue: "daemonDied")

    public var description: String { rawValue }
}
