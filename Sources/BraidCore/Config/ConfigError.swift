/// A config that cannot be used, located precisely enough to fix in one go.
public struct ConfigError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file as the user knows it (relative to the repository root).
    public let file: String
    /// 1-based; nil when the file as a whole is the problem (missing, unreadable).
    public let line: Int?
    /// The field's path, e.g. `gate[0].timeoutSeconds`; empty for a syntax error.
    public let field: String
    public let message: String

    public var description: String {
        let location = line.map { "\(file):\($0)" } ?? file
        return field.isEmpty ? "\(location): \(message)" : "\(location): \(field): \(message)"
    }
}
