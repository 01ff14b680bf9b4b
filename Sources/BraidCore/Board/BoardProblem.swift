/// A line Braid could not read as the board's syntax asks; the line itself is left exactly as it is.
///
/// Problems never stop Braid from reading the rest of the board: they are shown to the person, who
/// is the one to fix them.
public struct BoardProblem: Sendable, Hashable, CustomStringConvertible {
    /// 1-based, as editors and `grep -n` count.
    public let line: Int
    public let message: String

    public init(line: Int, message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { "line \(line): \(message)" }

    /// The compiler-style form editors jump from: `BOARD.md:7: malformed checkbox '[?]'`.
    public func description(file: String) -> String { "\(file):\(line): \(message)" }
}
