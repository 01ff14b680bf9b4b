/// Finds the line a field of a JSON text is on, for error messages.
///
/// It follows the path key by key through the text (each key searched after the previous one),
/// which is exact for the configs people write and never worse than the line of the parent.
struct FieldLocator {
    let bytes: [UInt8]

    static func display(_ path: [String]) -> String {
        path.reduce(into: "") { out, part in
            if part.hasPrefix("[") || out.isEmpty { out += part } else { out += "." + part }
        }
    }

    func line(of path: [String]) -> Int? {
        var offset = 0
        var found: Int?
        for part in path where !part.hasPrefix("[") {
            let needle = Array("\"\(part)\"".utf8)
            guard let at = Self.findKey(needle, in: bytes, from: offset) else { break }
            found = at
            offset = at + needle.count
        }
        return found.map { Self.line(ofOffset: $0, in: bytes) } ?? (path.isEmpty ? 1 : nil)
    }

    static func line(ofOffset offset: Int, in bytes: [UInt8]) -> Int {
        var line = 1
        for b in bytes.prefix(offset) where b == 0x0A { line += 1 }
        return line
    }

    /// The quoted name used as a key (followed by `:`), not a string value that happens to equal it.
    private static func findKey(_ needle: [UInt8], in haystack: [UInt8], from start: Int) -> Int? {
        var i = start
        while i + needle.count <= haystack.count {
            if haystack[i] == needle[0] && haystack[i..<(i + needle.count)].elementsEqual(needle) {
                var j = i + needle.count
                while j < haystack.count, [0x20, 0x09, 0x0A, 0x0D].contains(haystack[j]) { j += 1 }
                if j < haystack.count, haystack[j] == UInt8(ascii: ":") { return i }
            }
            i += 1
        }
        return nil
    }
}
