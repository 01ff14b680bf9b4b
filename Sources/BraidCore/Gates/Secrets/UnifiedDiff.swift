/// Reads a unified diff (`git diff`, or `diff -u`) and hands over each added line: its file, its
/// number in the new file, and where its text lies in the buffer.
///
/// Hunks are followed by their counts (`@@ -a,b +c,d @@`), so an added line whose text starts
/// with `++ ` is never mistaken for a file header, and the new file's line numbers are exact.
/// File names come from the `+++` line: git's `b/` prefix is removed when the `---` line has its
/// `a/` (or is `/dev/null`), and a C-quoted name (`"b/tab\there"`) is unquoted; a deleted file
/// (`+++ /dev/null`) has no added lines.
enum UnifiedDiff {
    /// Calls `added(fileIndex, lineNumber, text)` for each added line, in order; returns the file
    /// names the indexes refer to.
    @discardableResult
    static func forEachAddedLine(_ bytes: UnsafePointer<UInt8>, count: Int,
                                 _ added: (_ file: Int, _ line: Int, _ text: Range<Int>) -> Void) -> [String] {
        var files: [String] = []
        var file = -1
        var oldPath: [UInt8]?
        var oldLeft = 0, newLeft = 0, newLine = 0
        Lines.forEach(bytes, count: count) { start, end in
            if oldLeft > 0 || newLeft > 0 {
                let marker = start < end ? bytes[start] : UInt8(ascii: " ")
                switch marker {
                case UInt8(ascii: "+"):
                    if file >= 0 { added(file, newLine, start + 1..<end) }
                    newLine += 1
                    newLeft -= 1
                    return
                case UInt8(ascii: "-"):
                    oldLeft -= 1
                    return
                case UInt8(ascii: " "):
                    newLine += 1
                    oldLeft -= 1
                    newLeft -= 1
                    return
                case UInt8(ascii: "\\"):
                    return
                default:
                    // A hunk shorter than its header said: read the line as a header.
                    oldLeft = 0
                    newLeft = 0
                }
            }
            guard end - start >= 4 else { return }
            if starts(bytes, start, end, "@@ -") {
                if let (old, new, first) = hunkHeader(bytes, start + 4, end) {
                    oldLeft = old
                    newLeft = new
                    newLine = first
                }
            } else if starts(bytes, start, end, "--- ") {
                oldPath = path(bytes, start + 4, end)
            } else if starts(bytes, start, end, "+++ ") {
                guard var name = path(bytes, start + 4, end), name != Array("/dev/null".utf8) else {
                    file = -1
                    return
                }
                let gitStyle = oldPath.map { $0.starts(with: Array("a/".utf8)) || $0 == Array("/dev/null".utf8) } ?? false
                if gitStyle && name.starts(with: Array("b/".utf8)) { name.removeFirst(2) }
                files.append(String(decoding: name, as: UTF8.self))
                file = files.count - 1
            } else if starts(bytes, start, end, "diff ") {
                file = -1
                oldPath = nil
            }
        }
        return files
    }

    private static func starts(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard end - start >= n else { return false }
        for k in 0..<n where bytes[start + k] != literal.utf8Start[k] { return false }
        return true
    }

    /// `a[,b] +c[,d] @@` → (b, d, c); a missing count is 1.
    private static func hunkHeader(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> (Int, Int, Int)? {
        var i = start
        func number() -> Int? {
            var value = 0
            let first = i
            while i < end, bytes[i] >= 0x30, bytes[i] <= 0x39, value < 1 << 40 {
                value = value * 10 + Int(bytes[i] - 0x30)
                i += 1
            }
            return i > first ? value : nil
        }
        guard number() != nil else { return nil }
        var oldCount = 1
        if i < end && bytes[i] == UInt8(ascii: ",") {
            i += 1
            guard let n = number() else { return nil }
            oldCount = n
        }
        guard i + 1 < end, bytes[i] == UInt8(ascii: " "), bytes[i + 1] == UInt8(ascii: "+") else { return nil }
        i += 2
        guard let newStart = number() else { return nil }
        var newCount = 1
        if i < end && bytes[i] == UInt8(ascii: ",") {
            i += 1
            guard let n = number() else { return nil }
            newCount = n
        }
        return (oldCount, newCount, newStart)
    }

    /// The file name of a `---`/`+++` line: C-unquoted when quoted, else up to a tab (`diff -u`
    /// puts the date after one).
    private static func path(_ bytes: UnsafePointer<UInt8>, _ start: Int, _ end: Int) -> [UInt8]? {
        guard start < end else { return nil }
        guard bytes[start] == UInt8(ascii: "\"") else {
            var stop = start
            while stop < end && bytes[stop] != 0x09 { stop += 1 }
            return Array(UnsafeBufferPointer(start: bytes + start, count: stop - start))
        }
        var out: [UInt8] = []
        var i = start + 1
        while i < end && bytes[i] != UInt8(ascii: "\"") {
            guard bytes[i] == UInt8(ascii: "\\"), i + 1 < end else {
                out.append(bytes[i])
                i += 1
                continue
            }
            let c = bytes[i + 1]
            i += 2
            switch c {
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "a"): out.append(0x07)
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "v"): out.append(0x0B)
            case UInt8(ascii: "0")...UInt8(ascii: "3"):
                // Three octal digits: one byte of a name git would not print as is.
                var value = Int(c - 0x30)
                for _ in 0..<2 where i < end && bytes[i] >= 0x30 && bytes[i] <= 0x37 {
                    value = value * 8 + Int(bytes[i] - 0x30)
                    i += 1
                }
                out.append(UInt8(truncatingIfNeeded: value))
            default: out.append(c)
            }
        }
        return out
    }
}
