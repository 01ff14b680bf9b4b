import Foundation

/// Braid's in-house secret scanner: finds private keys, cloud and AI-provider keys, tokens with
/// known prefixes, passwords in URLs, and high-entropy values assigned to secret-sounding names
/// (`SecretRule` lists them), in the added lines of a diff or in whole files.
///
/// It works on UTF-8 bytes in one pass (see `LineScanner`), with no regular expression, so that
/// scanning a diff costs about what reading it does. It reports findings only, never the secrets
/// themselves; `SecretAllowList` decides which a person has allowed.
public struct SecretScanner: Sendable {
    public init() {}

    /// Findings in the added lines of a unified diff, each with its file and its line number in
    /// the new file.
    public func scanDiff(_ diff: Data) -> [SecretFinding] {
        diff.withUnsafeBytes { raw in scanDiff(raw.bindMemory(to: UInt8.self)) }
    }

    public func scanDiff(_ diff: [UInt8]) -> [SecretFinding] {
        diff.withUnsafeBufferPointer { scanDiff($0) }
    }

    public func scanDiff(_ diff: UnsafeBufferPointer<UInt8>) -> [SecretFinding] {
        guard let bytes = diff.baseAddress, diff.count > 0 else { return [] }
        return Self.withClasses { classes in
            let scanner = LineScanner(bytes: bytes, count: diff.count, classes: classes, isDiff: true)
            var matches: [SecretMatch] = []
            var found: [(file: Int, line: Int, match: SecretMatch)] = []
            let files = UnifiedDiff.forEachAddedLine(bytes, count: diff.count) { file, line, text in
                scanner.scan(text, into: &matches)
                guard !matches.isEmpty else { return }
                found += matches.map { (file, line, $0) }
                matches.removeAll(keepingCapacity: true)
            }
            return found.map { Self.finding($0.match, path: files[$0.file], line: $0.line, in: bytes) }
        }
    }

    /// Findings in every line of a file's text.
    public func scanText(_ text: Data, path: String) -> [SecretFinding] {
        text.withUnsafeBytes { raw in scanText(raw.bindMemory(to: UInt8.self), path: path) }
    }

    public func scanText(_ text: [UInt8], path: String) -> [SecretFinding] {
        text.withUnsafeBufferPointer { scanText($0, path: path) }
    }

    public func scanText(_ text: UnsafeBufferPointer<UInt8>, path: String) -> [SecretFinding] {
        guard let bytes = text.baseAddress, text.count > 0 else { return [] }
        return Self.withClasses { classes in
            let scanner = LineScanner(bytes: bytes, count: text.count, classes: classes, isDiff: false)
            var matches: [SecretMatch] = []
            var findings: [SecretFinding] = []
            var line = 0
            Lines.forEach(bytes, count: text.count) { start, end in
                line += 1
                scanner.scan(start..<end, into: &matches)
                guard !matches.isEmpty else { return }
                findings += matches.map { Self.finding($0, path: path, line: line, in: bytes) }
                matches.removeAll(keepingCapacity: true)
            }
            return findings
        }
    }

    /// Whether a file's start holds a NUL byte, as git decides that a file is binary (it looks at
    /// the first 8,000 bytes).
    public static func looksBinary(_ data: Data) -> Bool {
        data.prefix(8000).contains(0)
    }

    private static func withClasses<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        ByteClass.table().withUnsafeBufferPointer(body)
    }

    private static func finding(_ match: SecretMatch, path: String, line: Int, in bytes: UnsafePointer<UInt8>) -> SecretFinding {
        let secret = Array(UnsafeBufferPointer(start: bytes + match.secret.lowerBound, count: match.secret.count))
        return SecretFinding(path: path, line: line, rule: match.rule,
                             excerpt: match.lead + SecretFinding.redact(secret) + match.trail,
                             fingerprint: SecretFinding.fingerprint(of: secret))
    }
}
