/// The five columns of the board, in the order a task normally travels through them.
///
/// A section is found by its `## ` heading, matched case-insensitively and with runs of whitespace
/// collapsed, so `## in  progress` is `.inProgress`; the heading keeps whatever spelling it was
/// written with. Any other `## ` heading starts an unknown section, whose lines Braid never reads.
public enum BoardSection: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    case todo
    case inProgress
    case review
    case blocked
    case done

    /// The heading text Braid writes when it has to create the section.
    public var heading: String {
        switch self {
        case .todo: return "Todo"
        case .inProgress: return "In Progress"
        case .review: return "Review"
        case .blocked: return "Blocked"
        case .done: return "Done"
        }
    }

    public var description: String { heading }

    /// The section a `## ` heading's text names, or nil for a section Braid does not know.
    public init?(heading text: some StringProtocol) {
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let key = words.joined(separator: " ").lowercased()
        guard let match = Self.allCases.first(where: { $0.heading.lowercased() == key }) else { return nil }
        self = match
    }
}
