/// What one agent session used, as far as the agent said; nil where it said nothing.
public struct AgentUsage: Sendable, Hashable {
    /// The session's cost in US dollars.
    public var costUSD: Double?
    public var inputTokens: Int?
    public var outputTokens: Int?

    public init(costUSD: Double? = nil, inputTokens: Int? = nil, outputTokens: Int? = nil) {
        self.costUSD = costUSD
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// Nothing was reported.
    public static let none = AgentUsage()

    public var isEmpty: Bool { costUSD == nil && inputTokens == nil && outputTokens == nil }

    /// Each field of `self`, or of `other` where `self` has none.
    func filling(from other: AgentUsage) -> AgentUsage {
        AgentUsage(costUSD: costUSD ?? other.costUSD,
                   inputTokens: inputTokens ?? other.inputTokens,
                   outputTokens: outputTokens ?? other.outputTokens)
    }
}
