/// One secret found: where, by which rule, and how to recognise it again without seeing it.
///
/// A finding never holds the secret. `excerpt` shows at most its first four characters and its
/// length, so that the finding can be printed, journaled and sent to an agent; `fingerprint`
/// (the start of the secret's SHA-256) is what an allow-list line names to silence it.
public struct SecretFinding: Sendable, Hashable, CustomStringConvertible {
    /// The file, relative to the repository's top when the scan knows it.
    public let path: String
    /// 1-based; in a diff, the line's number in the new file.
    public let line: Int
    public let rule: SecretRule
    /// The redacted finding, e.g. `ghp_…[40 chars]` or `DB_PASSWORD = s3Cr…[24 chars]`.
    public let excerpt: String
    /// `sha256:` and the first 16 hex digits of the secret's SHA-256.
    public let fingerprint: String

    public init(path: String, line: Int, rule: SecretRule, excerpt: String, fingerprint: String) {
        self.path = path
        self.line = line
        self.rule = rule
        self.excerpt = excerpt
        self.fingerprint = fingerprint
    }

    /// `path:line: rule: excerpt (fingerprint)`, the scanner's output line.
    public var description: String { "\(path):\(line): \(rule.rawValue): \(excerpt) (\(fingerprint))" }

    /// The fingerprint of a secret: `sha256:` and 16 hex digits (64 bits: enough to tell secrets
    /// apart, far too few to recover one).
    public static func fingerprint(of secret: [UInt8]) -> String {
        "sha256:" + SHA256.hex(secret).prefix(16)
    }

    /// A secret as it may be shown: its first characters (four at most, fewer for a short one, so
    /// that at most a quarter shows), an ellipsis, and its length.
    public static func redact(_ secret: [UInt8]) -> String {
        let text = String(decoding: secret, as: UTF8.self)
        let count = text.unicodeScalars.count
        let shown = min(4, count / 4)
        return String(String.UnicodeScalarView(text.unicodeScalars.prefix(shown))) + "…[\(count) chars]"
    }
}
