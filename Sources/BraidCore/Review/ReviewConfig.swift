/// The fresh-context reviewer: `review` in `.braid/config.json`. Off unless `agent` is set.
public struct ReviewConfig: Sendable, Equatable {
    /// The agent profile that reviews each diff whose gate passed (it may differ from the builder).
    public var agent: String?
    /// Tasks whose review has no finding above `threshold` go straight to the merge queue.
    public var auto = false
    /// The most severe finding that still lets `auto` through.
    public var threshold = ReviewSeverity.low
    /// Findings block the merge (approve, merge) until a person overrules each.
    public var veto = false
    /// Bytes of the diff the reviewer is shown; a longer one is cut, and the reviewer told so.
    public var maxDiffBytes = 200_000

    public init() {}

    public var isOn: Bool { agent != nil }
}

/// How much a finding matters, from least to most.
public enum ReviewSeverity: String, Sendable, Equatable, Comparable, CaseIterable, Codable {
    case info, low, medium, high, critical

    public static func < (a: Self, b: Self) -> Bool { a.rank < b.rank }

    private var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    /// Reviewers write "error", "warning", "major" as often as the canonical names.
    public init?(loosely text: String) {
        switch text.lowercased() {
        case "info", "note", "nit", "suggestion", "style": self = .info
        case "low", "minor": self = .low
        case "medium", "moderate", "warning", "warn": self = .medium
        case "high", "major", "error", "important": self = .high
        case "critical", "blocker", "severe", "security": self = .critical
        default: return nil
        }
    }
}
