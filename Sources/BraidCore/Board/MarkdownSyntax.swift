/// The few pieces of Markdown's block syntax the board needs, each read from one line's text.
///
/// Braid reads a board the way a Markdown renderer would show it, so that what a person sees in a
/// preview is what Braid acts on: a task line inside a code fence or an HTML comment is not a task.
/// Everything works on UTF-8 bytes, because boards of ten thousand tasks must parse in milliseconds.
enum MarkdownSyntax {
    /// A tab advances indentation to the next multiple of this, as CommonMark counts it.
    static let tabWidth = 4

    /// The width of the leading spaces and tabs, and where the rest of the line starts.
    static func indentation(_ line: Substring) -> (columns: Int, end: String.Index) {
        var columns = 0
        var i = line.utf8.startIndex
        while i != line.utf8.endIndex {
            switch line.utf8[i] {
            case 0x20: columns += 1
            case 0x09: columns += tabWidth - columns % tabWidth
            default: return (columns, i)
            }
            i = line.utf8.index(after: i)
        }
        return (columns, i)
    }

    static func isBlank(_ line: Substring) -> Bool {
        line.utf8.allSatisfy { $0 == 0x20 || $0 == 0x09 }
    }

    /// The line without its leading `columns` of indentation (a tab that straddles the cut goes too).
    static func dedent(_ line: Substring, by columns: Int) -> Substring {
        var removed = 0
        var i = line.utf8.startIndex
        while removed < columns, i != line.utf8.endIndex {
            switch line.utf8[i] {
            case 0x20: removed += 1
            case 0x09: removed += tabWidth - removed % tabWidth
            default: return line[i...]
            }
            i = line.utf8.index(after: i)
        }
        return line[i...]
    }

    static func trimmingTrailingWhitespace(_ text: Substring) -> Substring {
        var end = text.utf8.endIndex
        while end != text.utf8.startIndex {
            let before = text.utf8.index(before: end)
            let byte = text.utf8[before]
            guard byte == 0x20 || byte == 0x09 else { break }
            end = before
        }
        return text[..<end]
    }

    static func trimmingWhitespace(_ text: Substring) -> Substring {
        trimmingTrailingWhitespace(text[indentation(text).end...])
    }

    // MARK: Headings

    struct Heading {
        let level: Int
        /// The heading's text without the `#`s, the closing `#`s, or surrounding whitespace.
        let text: Substring
    }

    /// An ATX heading (`## Todo`, `## Done ##`), indented at most three spaces.
    static func heading(_ line: Substring) -> Heading? {
        let (columns, start) = indentation(line)
        guard columns <= 3 else { return nil }
        let utf8 = line.utf8
        var i = start
        var level = 0
        while i != utf8.endIndex, utf8[i] == UInt8(ascii: "#") {
            level += 1
            i = utf8.index(after: i)
        }
        guard (1...6).contains(level) else { return nil }
        guard i == utf8.endIndex || utf8[i] == 0x20 || utf8[i] == 0x09 else { return nil }
        var text = trimmingWhitespace(line[i...])
        // A closing sequence of `#`s counts only when whitespace (or nothing) precedes it.
        var end = text.utf8.endIndex
        while end != text.utf8.startIndex, text.utf8[text.utf8.index(before: end)] == UInt8(ascii: "#") {
            end = text.utf8.index(before: end)
        }
        if end != text.utf8.endIndex {
            if end == text.utf8.startIndex {
                text = text[end..<end]
            } else {
                let before = text.utf8[text.utf8.index(before: end)]
                if before == 0x20 || before == 0x09 { text = trimmingTrailingWhitespace(text[..<end]) }
            }
        }
        return Heading(level: level, text: text)
    }

    // MARK: Code fences

    struct Fence {
        /// A backtick or a tilde.
        let marker: UInt8
        let length: Int
        /// The opening line's indentation, removed from each content line.
        let indent: Int
        /// What follows the opening marker, e.g. `sh`.
        let info: Substring
    }

    /// A fence opening (three or more backticks or tildes); `maxIndent` is 3 outside task bodies.
    static func fenceOpening(_ line: Substring, maxIndent: Int = .max) -> Fence? {
        let (columns, start) = indentation(line)
        guard columns <= maxIndent, start != line.utf8.endIndex else { return nil }
        let marker = line.utf8[start]
        guard marker == UInt8(ascii: "`") || marker == UInt8(ascii: "~") else { return nil }
        var i = start
        var length = 0
        while i != line.utf8.endIndex, line.utf8[i] == marker {
            length += 1
            i = line.utf8.index(after: i)
        }
        guard length >= 3 else { return nil }
        let info = trimmingWhitespace(line[i...])
        // A backtick fence's info string may not contain a backtick (that is inline code instead).
        if marker == UInt8(ascii: "`") && info.utf8.contains(UInt8(ascii: "`")) { return nil }
        return Fence(marker: marker, length: length, indent: columns, info: info)
    }

    /// Whether the line closes the fence: at least as many of the same marker, and nothing else.
    static func closes(_ fence: Fence, _ line: Substring) -> Bool {
        let start = indentation(line).end
        var i = start
        var length = 0
        while i != line.utf8.endIndex, line.utf8[i] == fence.marker {
            length += 1
            i = line.utf8.index(after: i)
        }
        return length >= fence.length && isBlank(line[i...])
    }

    // MARK: HTML comments

    /// Whether a line opens an HTML comment that it does not also close.
    static func opensComment(_ line: Substring) -> Bool {
        let (columns, start) = indentation(line)
        guard columns <= 3 else { return false }
        let rest = line[start...]
        guard rest.utf8.starts(with: "<!--".utf8) else { return false }
        return !contains(rest[rest.utf8.index(rest.startIndex, offsetBy: 4)...], "-->")
    }

    static func contains(_ text: Substring, _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        let bytes = text.utf8
        guard let first = n.first else { return true }
        var i = bytes.startIndex
        while i != bytes.endIndex {
            if bytes[i] == first && bytes[i...].starts(with: n) { return true }
            i = bytes.index(after: i)
        }
        return false
    }

    // MARK: List items and checkboxes

    /// For a bullet list item (`-`, `*` or `+`, then whitespace or the end of the line), the index
    /// just past the bullet.
    static func bullet(_ line: Substring, at start: String.Index) -> String.Index? {
        let utf8 = line.utf8
        guard start != utf8.endIndex else { return nil }
        let byte = utf8[start]
        guard byte == UInt8(ascii: "-") || byte == UInt8(ascii: "*") || byte == UInt8(ascii: "+") else { return nil }
        let after = utf8.index(after: start)
        guard after == utf8.endIndex || utf8[after] == 0x20 || utf8[after] == 0x09 else { return nil }
        return after
    }

    struct Checkbox {
        /// Where `[` is.
        let start: String.Index
        /// Just past `]`.
        let end: String.Index
        /// What is between the brackets: ` `, `x` or `X` for a well-formed checkbox.
        let mark: Substring

        var isWellFormed: Bool { mark == " " || mark == "x" || mark == "X" }
        var isChecked: Bool { mark == "x" || mark == "X" }
        /// The checkbox as written, e.g. `[?]`, for messages.
        var written: String { "[\(mark)]" }
    }

    /// Something that looks like a checkbox after a bullet: `[`, at most two characters, `]`, then
    /// whitespace or the end of the line. `[link](url)` and `[word] text` are not checkbox-like.
    static func checkbox(_ line: Substring, afterBullet: String.Index) -> Checkbox? {
        let utf8 = line.utf8
        var i = afterBullet
        while i != utf8.endIndex, utf8[i] == 0x20 || utf8[i] == 0x09 { i = utf8.index(after: i) }
        guard i != utf8.endIndex, utf8[i] == UInt8(ascii: "[") else { return nil }
        let open = i
        let markStart = utf8.index(after: open)
        var close = markStart
        var characters = 0
        while close != utf8.endIndex, utf8[close] != UInt8(ascii: "]") {
            if utf8[close] == UInt8(ascii: "[") { return nil }
            // Count characters by their first byte, so that `[✓]` is one character, not three bytes.
            if utf8[close] & 0xC0 != 0x80 { characters += 1 }
            guard characters <= 2 else { return nil }
            close = utf8.index(after: close)
        }
        guard close != utf8.endIndex else { return nil }
        let end = utf8.index(after: close)
        guard end == utf8.endIndex || utf8[end] == 0x20 || utf8[end] == 0x09 else { return nil }
        return Checkbox(start: open, end: end, mark: line[markStart..<close])
    }

    /// Control characters (and the Unicode line and paragraph separators) would break a line in two,
    /// or hide in it; text Braid writes onto one line may contain none.
    static func firstControlCharacter(_ text: some StringProtocol) -> Unicode.Scalar? {
        text.unicodeScalars.first { scalar in
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: return true
            default: return false
            }
        }
    }
}
