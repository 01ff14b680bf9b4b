/// A generated-looking value assigned to a name that says it is secret:
/// `password = "…"`, `"client_secret": "…"`, `apiKey: '…'`, `DB_PASSWORD=…`, `export API_TOKEN=…`,
/// `token := "…"`, `password: String = "…"`; and AWS secret access keys (40 base64 characters
/// assigned to a name holding both `aws` and `secret`).
///
/// The name holds one of `password`, `passwd`, `passphrase`, `secret`, `token`, `apikey`,
/// `accesskey`, `privatekey`, `credential`, `authkey` (ignoring case, `_` and `-`), and does not end
/// in a word that makes it about the secret rather than the secret itself (`token_url`,
/// `password_file`, `secret_name`, `max_tokens`…).
///
/// The value must look generated, not written: at least 16 characters, no spaces, no placeholder,
/// no path, URL or UUID, letters with digits or symbols (not only letters: those are words, as
/// in `thirtyMinutesFromNowUTC`), not an ascending run, and an entropy of at least 3.0 bits per
/// character. In code a literal is quoted; an unquoted value counts only on a line that starts
/// with the name (dotenv, YAML, INI, shell), where values are unquoted, and only when it holds no
/// call, subscript or block: `token = makeToken()` is code, not a secret.
extension LineScanner {
    enum SecretName {
        case generic
        case awsSecret
    }

    static let secretWords: [[UInt8]] = ["password", "passwd", "passphrase", "secret", "token", "apikey", "accesskey",
                                         "privatekey", "credential", "authkey"].map { Array($0.utf8) }
    static let notSecretEndings: [[UInt8]] = [
        "name", "names", "file", "files", "filename", "path", "paths", "dir", "directory", "url", "urls", "uri", "endpoint",
        "length", "len", "count", "size", "type", "types", "kind", "format", "field", "fields", "header", "prefix", "suffix",
        "env", "var", "ref", "id", "ids", "tokens", "hash", "policy", "store", "manager", "provider", "pattern", "regex", "rule",
        "rules", "label", "mode", "version", "expiry", "expiration", "expires", "ttl", "timeout", "enabled", "required",
    ].map { Array($0.utf8) }
    static let notSecretParts: [[UInt8]] = ["tokeniz", "maxtoken", "tokenlimit", "tokencount", "nexttoken", "pagetoken",
                                            "csrf"].map { Array($0.utf8) }

    func assignment(name: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let end = line.upperBound
        guard let (isEquals, afterOperator) = assignmentOperator(after: name.upperBound, end: end),
              let kind = secretName(name) else { return }
        var value: Range<Int>
        var quoted: Bool
        guard let first = self.value(at: afterOperator, end: end) else { return }
        (value, quoted) = first
        // `password: String = "…"`: a type annotation, then the value.
        if !quoted && !isEquals && isTypeName(value),
           let (_, next) = assignmentOperator(after: value.upperBound, end: end, equalsOnly: true),
           let second = self.value(at: next, end: end) {
            (value, quoted) = second
        }
        // Unquoted, a value is code (`token = makeToken()`) unless the line is a config line.
        if !quoted && (!startsLine(name, line: line) || containsCode(value)) { return }
        let lead = text(name) + " = "
        if kind == .awsSecret && value.count == 40 && all(value, ByteClass.base64) && plausible(value) {
            matches.append(SecretMatch(rule: .awsSecretKey, secret: value, lead: lead))
        } else if looksGenerated(value) {
            matches.append(SecretMatch(rule: .assignedSecret, secret: value, lead: lead))
        }
    }

    /// `=`, `:=`, `=>`, `:` after the name (and after a quoted key's closing quote and blanks);
    /// not `==`, `=~`, `::`. Returns whether it was an `=` form, and where the value may start.
    private func assignmentOperator(after start: Int, end: Int, equalsOnly: Bool = false) -> (Bool, Int)? {
        var j = start
        // A quoted key's closing quote, and a subscript's bracket: `"name": …`, `env['NAME'] = …`.
        if !equalsOnly && j < end && (bytes[j] == UInt8(ascii: "\"") || bytes[j] == UInt8(ascii: "'")) { j += 1 }
        if !equalsOnly && j < end && bytes[j] == UInt8(ascii: "]") { j += 1 }
        while j < end && isBlank(j) { j += 1 }
        guard j < end else { return nil }
        switch bytes[j] {
        case UInt8(ascii: "="):
            if j + 1 < end && (bytes[j + 1] == UInt8(ascii: "=") || bytes[j + 1] == UInt8(ascii: "~")) { return nil }
            j += 1
            if j < end && bytes[j] == UInt8(ascii: ">") { j += 1 }
            return (true, j)
        case UInt8(ascii: ":") where !equalsOnly:
            if j + 1 < end && bytes[j + 1] == UInt8(ascii: ":") { return nil }
            j += 1
            if j < end && bytes[j] == UInt8(ascii: "=") { return (true, j + 1) }
            return (false, j)
        default:
            return nil
        }
    }

    /// The value at `start`: a quoted string on this line (a string with escapes is left alone),
    /// or an unquoted run up to a blank or a separator.
    private func value(at start: Int, end: Int) -> (Range<Int>, Bool)? {
        var j = start
        while j < end && isBlank(j) { j += 1 }
        guard j < end else { return nil }
        // Python's b"…", r"…", f"…", u"…"; Objective-C's @"…".
        if j + 1 < end, isStringPrefix(bytes[j]), isQuote(bytes[j + 1]) { j += 1 }
        let quote = bytes[j]
        if isQuote(quote) {
            let valueStart = j + 1
            var k = valueStart
            while k < end && bytes[k] != quote {
                if bytes[k] == UInt8(ascii: "\\") { return nil }
                k += 1
            }
            return k < end ? (valueStart..<k, true) : nil
        }
        var k = j
        while k < end && !isBlank(k) && !isSeparator(bytes[k]) { k += 1 }
        return k > j ? (j..<k, false) : nil
    }

    /// Calls, subscripts and blocks: `token = os.environ.get(…)` is code on a line of its own.
    private func containsCode(_ value: Range<Int>) -> Bool {
        for i in value {
            switch bytes[i] {
            case UInt8(ascii: "("), UInt8(ascii: "["), UInt8(ascii: "{"): return true
            default: continue
            }
        }
        return false
    }

    private func isQuote(_ b: UInt8) -> Bool { b == UInt8(ascii: "\"") || b == UInt8(ascii: "'") || b == UInt8(ascii: "`") }

    private func isStringPrefix(_ b: UInt8) -> Bool {
        switch b | 0x20 {
        case UInt8(ascii: "b"), UInt8(ascii: "r"), UInt8(ascii: "f"), UInt8(ascii: "u"): return true
        default: return b == UInt8(ascii: "@")
        }
    }

    private func isSeparator(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ")"), UInt8(ascii: "]"), UInt8(ascii: "}"), UInt8(ascii: "\""),
             UInt8(ascii: "'"), UInt8(ascii: "`"):
            return true
        default:
            return false
        }
    }

    /// A type after `name:` (`String`, `String?`, `[UInt8]`, `Optional<String>`, `str`).
    private func isTypeName(_ range: Range<Int>) -> Bool {
        guard let first = range.first, byteClass(first) & (ByteClass.upper | ByteClass.lower) != 0 || bytes[first] == UInt8(ascii: "[") else {
            return false
        }
        for i in range {
            let b = bytes[i]
            guard isWord(i) || b == UInt8(ascii: ".") || b == UInt8(ascii: "?") || b == UInt8(ascii: "!") || b == UInt8(ascii: "<")
                    || b == UInt8(ascii: ">") || b == UInt8(ascii: "[") || b == UInt8(ascii: "]") else { return false }
        }
        return true
    }

    /// The name starts its line, after blanks and at most one keyword like `export`, `ENV`, `set`
    /// or a YAML list's `- `: a config line, where values are written unquoted.
    private func startsLine(_ name: Range<Int>, line: Range<Int>) -> Bool {
        var j = line.lowerBound
        while j < name.lowerBound && isBlank(j) { j += 1 }
        if j == name.lowerBound { return true }
        if bytes[j] == UInt8(ascii: "-") && j + 1 < name.lowerBound && isBlank(j + 1) { j += 1 }
        else {
            let wordStart = j
            while j < name.lowerBound && isWord(j) { j += 1 }
            let keyword = text(wordStart..<j)
            guard ["export", "ENV", "ARG", "set", "setenv", "declare", "readonly", "local"].contains(keyword) else { return false }
        }
        while j < name.lowerBound && isBlank(j) { j += 1 }
        return j == name.lowerBound
    }

    /// Whether the name says "secret", and whether it is an AWS secret access key's name. The
    /// name is folded (lower case, without `_` and `-`) into a buffer on the stack: names are
    /// looked at often enough that allocating for each would show.
    func secretName(_ range: Range<Int>) -> SecretName? {
        guard range.count <= 64, mayNameSecret(range) else { return nil }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 64) { buffer -> SecretName? in
            var count = 0
            for i in range where bytes[i] != UInt8(ascii: "_") && bytes[i] != UInt8(ascii: "-") {
                let b = bytes[i]
                buffer[count] = b >= 0x41 && b <= 0x5A ? b | 0x20 : b
                count += 1
            }
            let folded = UnsafeBufferPointer(rebasing: buffer[..<count])
            guard Self.secretWords.contains(where: { ByteSearch.contains(folded, $0) }),
                  !Self.notSecretEndings.contains(where: { folded.count > $0.count && ByteSearch.hasSuffix(folded, $0) }),
                  !Self.notSecretParts.contains(where: { ByteSearch.contains(folded, $0) }) else { return nil }
            return ByteSearch.contains(folded, Self.aws) && ByteSearch.contains(folded, Self.secret) ? .awsSecret : .generic
        }
    }

    static let aws = Array("aws".utf8)
    static let secret = Array("secret".utf8)

    /// A cheap first look, without allocating: one of the secret words' trigrams (`ass`, `ecr`,
    /// `oke`, `key`, `ede`, `swd`) is in the name.
    private func mayNameSecret(_ range: Range<Int>) -> Bool {
        var i = range.lowerBound
        while i + 2 < range.upperBound {
            let a = bytes[i] | 0x20, b = bytes[i + 1] | 0x20, c = bytes[i + 2] | 0x20
            switch (a, b, c) {
            case (UInt8(ascii: "a"), UInt8(ascii: "s"), UInt8(ascii: "s")), (UInt8(ascii: "e"), UInt8(ascii: "c"), UInt8(ascii: "r")),
                 (UInt8(ascii: "o"), UInt8(ascii: "k"), UInt8(ascii: "e")), (UInt8(ascii: "k"), UInt8(ascii: "e"), UInt8(ascii: "y")),
                 (UInt8(ascii: "e"), UInt8(ascii: "d"), UInt8(ascii: "e")), (UInt8(ascii: "s"), UInt8(ascii: "w"), UInt8(ascii: "d")):
                return true
            default:
                i += 1
            }
        }
        return false
    }

    /// A value that was generated rather than written.
    func looksGenerated(_ value: Range<Int>) -> Bool {
        let n = value.count
        guard n >= 16, n <= 4096, !Placeholder.contains(bytes, value) else { return false }
        var upper = 0, lower = 0, digits = 0, other = 0, ascending = 0
        for i in value {
            let b = bytes[i]
            let c = byteClass(i)
            if c & ByteClass.upper != 0 { upper += 1 } else if c & ByteClass.lower != 0 { lower += 1 }
            else if c & ByteClass.digit != 0 { digits += 1 }
            else if b == 0x20 || b == 0x09 || b < 0x20 { return false }
            else { other += 1 }
            if i > value.lowerBound && b == bytes[i - 1] &+ 1 { ascending += 1 }
        }
        // Letters and something else: letters alone are words (`thirtyMinutesFromNowUTC`), and a
        // random value of 16 or more characters almost always has a digit or a symbol.
        guard upper + lower > 0, digits + other > 0, ascending * 2 < n else { return false }
        if isPathOrURL(value) || isUUID(value) || isJoinedWords(value) { return false }
        return Entropy.bitsPerByte(bytes, value) >= 3.0
    }

    private func isPathOrURL(_ value: Range<Int>) -> Bool {
        if starts(value.lowerBound, value.upperBound, "./") || starts(value.lowerBound, value.upperBound, "../")
            || starts(value.lowerBound, value.upperBound, "~/") { return true }
        var slashes = 0, base64Only = true
        for i in value {
            if bytes[i] == UInt8(ascii: "/") { slashes += 1 }
            if bytes[i] == UInt8(ascii: ":") && i + 2 < value.upperBound && bytes[i + 1] == UInt8(ascii: "/") { return true }
            if byteClass(i) & ByteClass.base64 == 0 { base64Only = false }
        }
        if bytes[value.lowerBound] == UInt8(ascii: "/") && slashes >= 2 { return true }
        return !base64Only && slashes >= 2
    }

    /// 8-4-4-4-12 hex digits.
    private func isUUID(_ value: Range<Int>) -> Bool {
        guard value.count == 36 else { return false }
        for (offset, i) in value.enumerated() {
            let b = bytes[i]
            if [8, 13, 18, 23].contains(offset) {
                guard b == UInt8(ascii: "-") else { return false }
            } else {
                guard (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x66) else { return false }
            }
        }
        return true
    }

    /// Words of letters joined by `-`, `_`, `.` or `/` with no digit (`my-app-secret-key`,
    /// `SESSION_SECRET_VALUE`, `com.example.auth.token`).
    private func isJoinedWords(_ value: Range<Int>) -> Bool {
        var separators = 0
        for i in value {
            let b = bytes[i]
            if b == UInt8(ascii: "-") || b == UInt8(ascii: "_") || b == UInt8(ascii: ".") || b == UInt8(ascii: "/") { separators += 1 }
            else if byteClass(i) & (ByteClass.upper | ByteClass.lower) == 0 { return false }
        }
        return separators > 0
    }
}
