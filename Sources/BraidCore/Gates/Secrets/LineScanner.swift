/// Finds secrets in one line of a buffer: the scanner's hot loop.
///
/// Speed comes from looking at each byte once and doing real work rarely. The line is cut into
/// words, maximal runs of `[A-Za-z0-9_-]` (a table lookup per byte). Every token format Braid knows
/// is one such word with a fixed prefix, so only words of 10 bytes or more are looked at, by their
/// first byte (a switch, then a few byte compares). Three things look at the byte after a word: a
/// `://` (a URL that may carry a password), and `=` or `:` after a name like `password` (an
/// assignment whose value may be a secret). Entropy, placeholders and the other costly tests run
/// only on the few candidates left. No regular expression is involved.
struct LineScanner {
    let bytes: UnsafePointer<UInt8>
    /// The buffer's length: a private key's material may be on the lines that follow.
    let count: Int
    /// `ByteClass.table()`: 256 entries, so any byte indexes it.
    let classes: UnsafeBufferPointer<UInt8>
    /// The buffer is a unified diff: each line starts with its marker (`+`, ` `, `-`), which a look
    /// at the following lines skips.
    let isDiff: Bool

    /// Appends what `line` holds to `matches`; where two matches overlap, the specific rule wins
    /// over `assigned-secret`.
    func scan(_ line: Range<Int>, into matches: inout [SecretMatch]) {
        let end = line.upperBound
        let before = matches.count
        var i = line.lowerBound
        while i < end {
            guard isWord(i) else {
                i += 1
                continue
            }
            let start = i
            i += 1
            while i < end && isWord(i) { i += 1 }
            if i - start >= 10 { token(start..<i, line: line, &matches) }
            if i < end { afterWord(start..<i, line: line, &matches) }
        }
        if matches.count - before > 1 { preferSpecific(&matches, from: before) }
    }

    // MARK: Bytes

    @inline(__always) func byteClass(_ i: Int) -> UInt8 { classes[Int(bytes[i])] }
    @inline(__always) func isWord(_ i: Int) -> Bool { byteClass(i) & ByteClass.word != 0 }
    @inline(__always) func isBlank(_ i: Int) -> Bool { byteClass(i) & ByteClass.blank != 0 }

    /// Whether `literal` starts at `at` and fits before `end`.
    @inline(__always) func starts(_ at: Int, _ end: Int, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - at >= n else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[at + k] != p[k] { return false }
        return true
    }

    /// Whether every byte of `range` has one of the classes in `mask`.
    func all(_ range: Range<Int>, _ mask: UInt8) -> Bool {
        for i in range where byteClass(i) & mask == 0 { return false }
        return true
    }

    /// Whether some byte of `range` has one of the classes in `mask`.
    func any(_ range: Range<Int>, _ mask: UInt8) -> Bool {
        for i in range where byteClass(i) & mask != 0 { return true }
        return false
    }

    /// Random enough to be a real key rather than a documentation placeholder
    /// (`ghp_xxxxxxxx…`, `AKIA…EXAMPLE`).
    func plausible(_ range: Range<Int>, minimumBits: Double = 3.0) -> Bool {
        !Placeholder.contains(bytes, range) && Entropy.bitsPerByte(bytes, range) >= minimumBits
    }

    func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(start: bytes + range.lowerBound, count: range.count), as: UTF8.self)
    }

    // MARK: Words

    /// The token formats, each a word with a known prefix.
    private func token(_ word: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let s = word.lowerBound, e = word.upperBound, n = e - s
        switch bytes[s] {
        case UInt8(ascii: "A"):
            if n == 20 && isAWSKeyPrefix(s) && all(s + 4..<e, ByteClass.upper | ByteClass.digit) && plausible(s + 4..<e, minimumBits: 2.5) {
                matches.append(SecretMatch(rule: .awsAccessKey, secret: word))
            } else if n == 39 && starts(s, e, "AIza") && plausible(s + 4..<e) {
                matches.append(SecretMatch(rule: .googleAPIKey, secret: word))
            }
        case UInt8(ascii: "g"):
            if n >= 40 && bytes[s + 1] == UInt8(ascii: "h") && bytes[s + 3] == UInt8(ascii: "_") && isGitHubKind(bytes[s + 2])
                && all(s + 4..<e, ByteClass.alphanumeric) && plausible(s + 4..<e) {
                matches.append(SecretMatch(rule: .githubToken, secret: word))
            } else if n >= 51 && starts(s, e, "github_pat_") && noDash(s + 11..<e) && plausible(s + 11..<e) {
                matches.append(SecretMatch(rule: .githubToken, secret: word))
            } else if n >= 26 && starts(s, e, "glpat-") && plausible(s + 6..<e) {
                matches.append(SecretMatch(rule: .gitlabToken, secret: word))
            }
        case UInt8(ascii: "x"):
            if n >= 25 && starts(s, e, "xox") && isSlackKind(bytes[s + 3]) && bytes[s + 4] == UInt8(ascii: "-")
                && any(s + 5..<e, ByteClass.digit) && plausible(s + 5..<e) {
                matches.append(SecretMatch(rule: .slackToken, secret: word))
            }
        case UInt8(ascii: "s"), UInt8(ascii: "r"):
            if n >= 28 && (starts(s, e, "sk_live_") || starts(s, e, "rk_live_") || starts(s, e, "sk_test_") || starts(s, e, "rk_test_")) {
                if all(s + 8..<e, ByteClass.alphanumeric) && plausible(s + 8..<e) {
                    matches.append(SecretMatch(rule: .stripeKey, secret: word))
                }
            } else if bytes[s] == UInt8(ascii: "s") && starts(s, e, "sk-") {
                openAIOrAnthropic(word, &matches)
            }
        case UInt8(ascii: "G"):
            if n >= 31 && starts(s, e, "GOCSPX-") && plausible(s + 7..<e) {
                matches.append(SecretMatch(rule: .googleOAuthSecret, secret: word))
            }
        case UInt8(ascii: "n"):
            if n == 40 && starts(s, e, "npm_") && all(s + 4..<e, ByteClass.alphanumeric) && plausible(s + 4..<e) {
                matches.append(SecretMatch(rule: .npmToken, secret: word))
            }
        case UInt8(ascii: "e"):
            jsonWebToken(word, line: line, &matches)
        case UInt8(ascii: "-"):
            privateKey(word, line: line, &matches)
        default:
            break
        }
    }

    /// The four letters AWS puts before a key id: AKIA (long-term), ASIA (temporary), and the
    /// rarer ids of other resources that are as sensitive.
    private func isAWSKeyPrefix(_ s: Int) -> Bool {
        guard bytes[s + 3] == UInt8(ascii: "A") else { return false }
        switch (bytes[s + 1], bytes[s + 2]) {
        case (UInt8(ascii: "K"), UInt8(ascii: "I")), (UInt8(ascii: "S"), UInt8(ascii: "I")),
             (UInt8(ascii: "G"), UInt8(ascii: "P")), (UInt8(ascii: "I"), UInt8(ascii: "D")),
             (UInt8(ascii: "R"), UInt8(ascii: "O")), (UInt8(ascii: "N"), UInt8(ascii: "P")):
            return true
        default:
            return false
        }
    }

    private func isGitHubKind(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "p") || b == UInt8(ascii: "o") || b == UInt8(ascii: "u") || b == UInt8(ascii: "s") || b == UInt8(ascii: "r")
    }

    private func isSlackKind(_ b: UInt8) -> Bool {
        b == UInt8(ascii: "b") || b == UInt8(ascii: "p") || b == UInt8(ascii: "a") || b == UInt8(ascii: "r")
            || b == UInt8(ascii: "s") || b == UInt8(ascii: "e")
    }

    private func noDash(_ range: Range<Int>) -> Bool {
        for i in range where bytes[i] == UInt8(ascii: "-") { return false }
        return true
    }

    /// `sk-ant-…` is Anthropic's; any other `sk-` key with a long mixed body is OpenAI's (legacy
    /// `sk-…`, and `sk-proj-`, `sk-svcacct-`, `sk-admin-`).
    private func openAIOrAnthropic(_ word: Range<Int>, _ matches: inout [SecretMatch]) {
        let s = word.lowerBound, e = word.upperBound
        if starts(s, e, "sk-ant-") {
            if e - s >= 47 && plausible(s + 7..<e) { matches.append(SecretMatch(rule: .anthropicKey, secret: word)) }
            return
        }
        var body = s + 3
        for kind: StaticString in ["proj-", "svcacct-", "admin-", "None-"] where starts(body, e, kind) {
            body += kind.utf8CodeUnitCount
            break
        }
        let range = body..<e
        guard range.count >= 32, any(range, ByteClass.upper), any(range, ByteClass.lower), any(range, ByteClass.digit),
              plausible(range, minimumBits: 3.5) else { return }
        matches.append(SecretMatch(rule: .openAIKey, secret: word))
    }

    /// `eyJ….eyJ….signature`: a header and a payload that are base64url JSON objects, and a
    /// signature of at least 16 characters.
    private func jsonWebToken(_ header: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let end = line.upperBound
        guard starts(header.lowerBound, header.upperBound, "eyJ"), header.upperBound < end,
              bytes[header.upperBound] == UInt8(ascii: ".") else { return }
        let payload = header.upperBound + 1
        var j = payload
        while j < end && isWord(j) { j += 1 }
        guard j - payload >= 10, starts(payload, j, "eyJ"), j < end, bytes[j] == UInt8(ascii: ".") else { return }
        let signature = j + 1
        var k = signature
        while k < end && isWord(k) { k += 1 }
        guard k - signature >= 16, plausible(signature..<k) else { return }
        matches.append(SecretMatch(rule: .jwt, secret: header.lowerBound..<k))
    }

    /// After a word: a URL's `://`, or the operator of an assignment.
    private func afterWord(_ word: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let i = word.upperBound
        switch bytes[i] {
        case UInt8(ascii: ":"):
            if i + 2 < line.upperBound && bytes[i + 1] == UInt8(ascii: "/") && bytes[i + 2] == UInt8(ascii: "/") {
                url(scheme: word, line: line, &matches)
            } else if word.count >= 5 {
                assignment(name: word, line: line, &matches)
            }
        case UInt8(ascii: "="), UInt8(ascii: "\""), UInt8(ascii: "'"), UInt8(ascii: " "), UInt8(ascii: "\t"):
            if word.count >= 5 { assignment(name: word, line: line, &matches) }
        default:
            break
        }
    }

    /// Where matches overlap, drops `assigned-secret` ones: `"client_secret": "GOCSPX-…"` is one
    /// Google OAuth secret, not two findings.
    private func preferSpecific(_ matches: inout [SecretMatch], from start: Int) {
        let specific = matches[start...].filter { $0.rule != .assignedSecret }.map(\.secret)
        guard !specific.isEmpty else { return }
        var kept = Array(matches[..<start])
        for match in matches[start...] {
            if match.rule == .assignedSecret && specific.contains(where: { $0.overlaps(match.secret) }) { continue }
            kept.append(match)
        }
        matches = kept
    }
}
