/// `-----BEGIN … PRIVATE KEY-----` followed by key material: PEM keys (PKCS#1 `RSA`, `EC`, `DSA`,
/// PKCS#8 plain and `ENCRYPTED`), OpenSSH keys, PGP private key blocks.
///
/// The header alone is not a finding: code that parses keys, and this scanner, name it as a
/// constant. Key material is base64 right after the header, either on one of the next lines (a
/// key file; legacy encrypted PEM has `Proc-Type:` and `DEK-Info:` lines first, PGP a blank line
/// and `Version:`), or after an escaped line break on the same line (a key inside a JSON string,
/// as in a Google service-account file).
extension LineScanner {
    func privateKey(_ word: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let end = line.upperBound
        guard word.count == 10, starts(word.lowerBound, word.upperBound, "-----BEGIN"), word.upperBound < end,
              bytes[word.upperBound] == UInt8(ascii: " ") else { return }
        var j = word.upperBound + 1
        while j < end && (byteClass(j) & (ByteClass.upper | ByteClass.digit | ByteClass.blank) != 0) { j += 1 }
        let label = text(word.upperBound + 1..<j)
        guard label.hasSuffix("PRIVATE KEY") || label.hasSuffix("PRIVATE KEY BLOCK"), starts(j, end, "-----") else { return }
        let headerEnd = j + 5
        guard let material = escapedMaterial(from: headerEnd, end: end) ?? materialOnNextLines(after: line) else { return }
        matches.append(SecretMatch(rule: .privateKey, secret: material, lead: text(word.lowerBound..<headerEnd) + " "))
    }

    /// Base64 after `\n` (or `\\n`, `\r\n`) on the header's own line.
    private func escapedMaterial(from start: Int, end: Int) -> Range<Int>? {
        var j = start
        var sawEscape = false
        while j + 1 < end && bytes[j] == UInt8(ascii: "\\") {
            j += 1
            while j < end && bytes[j] == UInt8(ascii: "\\") { j += 1 }
            guard j < end, bytes[j] == UInt8(ascii: "n") || bytes[j] == UInt8(ascii: "r") else { return nil }
            j += 1
            sawEscape = true
        }
        guard sawEscape else { return nil }
        return base64Run(from: j, end: end)
    }

    /// Base64 starting one of the next few lines (skipping blank ones and `Name: value` headers).
    private func materialOnNextLines(after line: Range<Int>) -> Range<Int>? {
        var position = line.upperBound
        for _ in 0..<4 {
            while position < count && bytes[position] != 0x0A { position += 1 }
            guard position < count else { return nil }
            var start = position + 1
            var end = start
            while end < count && bytes[end] != 0x0A { end += 1 }
            position = end
            if isDiff {
                guard start < end, bytes[start] == UInt8(ascii: "+") || bytes[start] == UInt8(ascii: " ") else { return nil }
                start += 1
            }
            while start < end && (isBlank(start) || bytes[start] == UInt8(ascii: "\"") || bytes[start] == UInt8(ascii: "'")) { start += 1 }
            if start < end && bytes[end - 1] == 0x0D { end -= 1 }
            if start == end || isHeaderLine(start..<end) { continue }
            return base64Run(from: start, end: end)
        }
        return nil
    }

    private func isHeaderLine(_ range: Range<Int>) -> Bool {
        var j = range.lowerBound
        while j < range.upperBound && (isWord(j)) { j += 1 }
        return j > range.lowerBound && j < range.upperBound && bytes[j] == UInt8(ascii: ":")
    }

    /// The run of base64 at `start`, at most 64 bytes of it, when it is at least 16 long.
    private func base64Run(from start: Int, end: Int) -> Range<Int>? {
        var j = start
        while j < end && j - start < 64 && byteClass(j) & ByteClass.base64 != 0 { j += 1 }
        return j - start >= 16 ? start..<j : nil
    }
}
