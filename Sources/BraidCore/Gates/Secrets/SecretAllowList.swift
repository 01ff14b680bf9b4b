import Foundation

/// The findings a person has judged harmless, from `.braid/secrets-allow` (`SecretAllowList.path`).
///
/// One entry per line; `#` starts a comment (at the start of a line, or after a blank):
///
///     sha256:3f1a9c0d22e4b7a1          # one secret, by the fingerprint printed with its finding
///     jwt:Tests/Fixtures/**            # one rule, in the files a glob names
///     private-key:                     # one rule, everywhere
///     docs/examples/                   # every rule, in the files a glob names
///
/// Globs are those of `touches:` (`**` any folders, `*` and `?` within a name), matched against
/// the path from the repository's top; a glob names a folder's files too, and a glob without `/`
/// matches a name at any depth (`*.pem`). A fingerprint may be given in full or by a prefix of at
/// least 8 hex digits.
public struct SecretAllowList: Sendable, Hashable {
    /// Where the allow list lives, relative to the repository's top. The CLI reads the working
    /// tree's; the `braid:secrets` gate step reads the one committed at the task's base, so that an
    /// agent cannot allow its own finding.
    public static let path = ".braid/secrets-allow"

    public enum Entry: Sendable, Hashable {
        /// Hex digits the finding's fingerprint starts with.
        case fingerprint(String)
        /// A rule, in every file (nil) or in the files a glob names.
        case rule(SecretRule, PathGlob?)
        case path(PathGlob)
    }

    public let entries: [Entry]
    /// Lines that could not be read, as `line N: why`; they allow nothing.
    public let problems: [String]

    public static let empty = SecretAllowList(entries: [], problems: [])

    public init(entries: [Entry], problems: [String] = []) {
        self.entries = entries
        self.problems = problems
    }

    /// Reads the allow list's text.
    public init(text: String) {
        var entries: [Entry] = []
        var problems: [String] = []
        for (index, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = Self.withoutComment(raw).trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty else { continue }
            if line.hasPrefix("sha256:") {
                let digits = line.dropFirst("sha256:".count).lowercased()
                guard digits.count >= 8, digits.count <= 64, digits.allSatisfy(\.isHexDigit) else {
                    problems.append("line \(index + 1): a fingerprint is sha256: and 8 to 64 hex digits, as printed with a finding")
                    continue
                }
                entries.append(.fingerprint(digits))
            } else if let colon = line.firstIndex(of: ":"), let rule = SecretRule(rawValue: String(line[..<colon])) {
                let glob = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                entries.append(.rule(rule, glob.isEmpty ? nil : PathGlob(glob)))
            } else {
                entries.append(.path(PathGlob(line)))
            }
        }
        self.init(entries: entries, problems: problems)
    }

    /// Whether an entry allows `finding`. `path` is the finding's path from the repository's top
    /// when it differs from `finding.path` (a file given on the command line from a subfolder).
    public func allows(_ finding: SecretFinding, path: String? = nil) -> Bool {
        let path = path ?? finding.path
        let digits = finding.fingerprint.hasPrefix("sha256:") ? String(finding.fingerprint.dropFirst(7)) : finding.fingerprint
        return entries.contains { entry in
            switch entry {
            case .fingerprint(let prefix): return digits.hasPrefix(prefix) || prefix.hasPrefix(digits)
            case .rule(let rule, let glob): return rule == finding.rule && (glob?.matches(path) ?? true)
            case .path(let glob): return glob.matches(path)
            }
        }
    }

    /// `findings` split into those still reported and those allowed.
    public func partition(_ findings: [SecretFinding], path: (SecretFinding) -> String? = { _ in nil })
        -> (reported: [SecretFinding], allowed: [SecretFinding]) {
        var reported: [SecretFinding] = []
        var allowed: [SecretFinding] = []
        for finding in findings {
            if allows(finding, path: path(finding)) { allowed.append(finding) } else { reported.append(finding) }
        }
        return (reported, allowed)
    }

    private static func withoutComment(_ line: Substring) -> Substring {
        if line.hasPrefix("#") { return "" }
        var previous: Character = " "
        for index in line.indices {
            if line[index] == "#" && (previous == " " || previous == "\t") { return line[..<index] }
            previous = line[index]
        }
        return line
    }
}
