/// Values that stand in for a secret rather than being one: `changeme`, `<token>`, `${API_KEY}`,
/// `xxxx…`, `your-key-here`, the `EXAMPLE` keys of vendors' documentation. Documentation, sample
/// configs and tests are full of them, and a finding on one is noise that teaches people to ignore
/// the scanner.
enum Placeholder {
    /// Markers that, anywhere in a value (case-insensitively), make it a placeholder.
    static let markers: [[UInt8]] = [
        "changeme", "change_me", "change-me", "example", "xxxx", "placeholder", "dummy", "redacted", "your_", "your-",
        "yourkey", "yourtoken", "yourpassword", "yoursecret", "sample", "****", "....", "…", "<", ">", "${", "{{", "}}",
        "%(", "%s", "replace_me", "replaceme", "insert_", "fixme", "notasecret", "not_a_secret", "not-a-secret",
    ].map { Array($0.utf8) }

    /// Whether `bytes[range]` is a placeholder: it holds a marker, refers to a variable (`$NAME`,
    /// `%NAME%`), or is one character repeated.
    static func contains(_ bytes: UnsafePointer<UInt8>, _ range: Range<Int>) -> Bool {
        guard let first = range.first else { return true }
        if bytes[first] == UInt8(ascii: "$") || bytes[first] == UInt8(ascii: "%") { return true }
        var lowered: [UInt8] = []
        lowered.reserveCapacity(range.count)
        var allSame = true
        for i in range {
            let b = bytes[i]
            if b != bytes[first] { allSame = false }
            lowered.append(b >= 0x41 && b <= 0x5A ? b | 0x20 : b)
        }
        if allSame { return true }
        return markers.contains { ByteSearch.contains(lowered, $0) }
    }

    /// The same test on a string.
    static func contains(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return true }
            return contains(base, 0..<buffer.count)
        }
    }
}
