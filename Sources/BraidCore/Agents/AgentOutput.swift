/// What Braid learns from an ended agent session's log and exit status.
public struct AgentOutput: Sendable, Hashable {
    public var usage: AgentUsage
    /// The agent stopped because of a rate limit, a used-up quota or credit: the supervisor moves
    /// the task to the next `fallback` agent instead of counting a failed try.
    public var quotaExhausted: Bool

    public init(usage: AgentUsage, quotaExhausted: Bool) {
        self.usage = usage
        self.quotaExhausted = quotaExhausted
    }
}
