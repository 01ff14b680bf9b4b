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
    /// Agents to move to, in order, when the task's agent is out of quota (before the config's list).
    case fallback
    /// Why the task is blocked, in words a person can act on.
    case blocked
    /// The commit the merge queue landed the task as.
    case landed

    /// The key as Braid writes it, without the colon.
    public var key: String { rawValue }

    public var description: String { rawValue }

    /// The field a key names, ignoring ASCII case; nil for any other key.
    init?(key: Substring) {
        // Every line of every body with a colon comes here: compare bytes, allocate nothing.
        let count = key.utf8.count
        for field in Self.allCases where field.rawValue.utf8.count == count {
            let matches = zip(field.rawValue.utf8, key.utf8).allSatisfy { lower, byte in
                byte == lower || (byte >= 0x41 && byte <= 0x5A && byte | 0x20 == lower)
            }
            if matches {
                self = field
                return
            }
        }
        return nil
    }
}
