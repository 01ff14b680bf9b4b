/// The `key: value` lines of a task's body that Braid reads; any other key is description.
///
/// Keys are matched case-insensitively (`Agent:` is `agent:`), and the first line for a key wins.
public enum BoardField: String, CaseIterable, Sendable, Hashable, CustomStringConvertible {
    /// The agent that should run the task, e.g. `claude`.
    case agent
    /// Comma-separated globs of the files the task may change; overlapping tasks never run together.
    case touches
    /// Ids the task waits for, e.g. `#11, #12`.
    case after
    /// An integer; a higher number is dispatched first.
    case priority
    /// Why the task is blocked, in words a person can act on.
    case blocked

    /// The key as Braid writes it, without the colon.
    public var key: String { rawValue }

    public var description: String { rawValue }

    init?(key: some StringProtocol) {
        self.init(rawValue: key.lowercased())
    }
}
