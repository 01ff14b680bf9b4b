/// One line of the board exactly as read: its text and the ending that followed it.
///
/// The board is kept as these lines, and an edit replaces only the lines it concerns, so that
/// everything else is written back byte for byte.
struct BoardLine: Sendable, Hashable {
    var text: Substring
    var ending: LineEnding

    init(_ text: Substring, _ ending: LineEnding) {
        self.text = text
        self.ending = ending
    }

    init(_ text: String, _ ending: LineEnding) {
        self.text = Substring(text)
        self.ending = ending
    }

    /// Splits text into lines; the byte order mark, when present, is reported apart from the lines.
    static func split(_ text: String) -> (hasBOM: Bool, lines: [BoardLine]) {
        var whole = Substring(text)
        var hasBOM = false
        if whole.utf8.starts(with: [0xEF, 0xBB, 0xBF]) {
            hasBOM = true
            whole = whole[whole.utf8.index(whole.startIndex, offsetBy: 3)...]
        }
        let utf8 = whole.utf8
        var lines: [BoardLine] = []
        var lineStart = utf8.startIndex
        var i = lineStart
        var previous: UInt8 = 0
        while i != utf8.endIndex {
            let byte = utf8[i]
            if byte == 0x0A {
                if previous == 0x0D {
                    lines.append(BoardLine(whole[lineStart..<utf8.index(before: i)], .crlf))
                } else {
                    lines.append(BoardLine(whole[lineStart..<i], .lf))
                }
                lineStart = utf8.index(after: i)
                previous = 0
            } else {
                previous = byte
            }
            i = utf8.index(after: i)
        }
        if lineStart != utf8.endIndex {
            lines.append(BoardLine(whole[lineStart...], .none))
        }
        return (hasBOM, lines)
    }
}
