/// Cuts text to a number of UTF-8 bytes, on a line break when one is near the cut, else between
/// two characters' scalars: never inside a character's encoding.
enum TextBounds {
    /// How near the cut a line break must be to be preferred, as a fraction of what is kept.
    private static let lineSearchFraction = 4

    /// The start of `text`, at most `maxBytes` long, and how many bytes were left out.
    static func head(_ text: String, maxBytes: Int) -> (kept: String, cutBytes: Int) {
        let bytes = Array(text.utf8)
        guard bytes.count > maxBytes else { return (text, 0) }
        var end = max(0, maxBytes)
        while end > 0, isContinuation(bytes[end]) { end -= 1 }
        let window = end / lineSearchFraction
        if let newline = bytes[(end - window)..<end].lastIndex(of: 0x0A) { end = newline + 1 }
        return (String(decoding: bytes[..<end], as: UTF8.self), bytes.count - end)
    }

    /// The end of `text`, at most `maxBytes` long, and how many bytes were left out.
    static func tail(_ text: String, maxBytes: Int) -> (kept: String, cutBytes: Int) {
        let bytes = Array(text.utf8)
        guard bytes.count > maxBytes else { return (text, 0) }
        var start = bytes.count - max(0, maxBytes)
        while start < bytes.count, isContinuation(bytes[start]) { start += 1 }
        let window = (bytes.count - start) / lineSearchFraction
        if let newline = bytes[start..<(start + window)].firstIndex(of: 0x0A) { start = newline + 1 }
        return (String(decoding: bytes[start...], as: UTF8.self), start)
    }

    private static func isContinuation(_ byte: UInt8) -> Bool { byte & 0xC0 == 0x80 }
}
