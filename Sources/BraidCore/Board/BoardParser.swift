/// Reads the board's lines into sections, tasks and problems, without changing a byte.
///
/// One pass, top to bottom, keeping only the state Markdown needs: whether the line is inside
/// front matter, a code fence or an HTML comment, and which section it is in. A list item's body
/// (its more-indented lines) is consumed with the item, so nothing nested is ever read as a task.
enum BoardParser {
    /// A known section's lines: from its heading to the next `#`/`##` heading or the end of the file.
    struct SectionSpan: Sendable, Hashable {
        let section: BoardSection
        /// 0-based line of the heading.
        let heading: Int
        /// 0-based line just past the section's last line.
        let end: Int
    }

    struct Result: Sendable {
        var tasks: [BoardTask] = []
        var problems: [BoardProblem] = []
        var sections: [SectionSpan] = []
        /// The largest id on any task line in a known section, duplicates included; 0 when none.
        var maxID = 0
        /// For each id written on more than one task line, those lines (1-based), first one first.
        var duplicates: [Int: [Int]] = [:]
        /// Where a code fence or HTML comment that is never closed begins: it hides everything to
        /// the end of the file, so new lines go before it.
        var unclosedBlockStart: Int?
    }

    static func parse(_ lines: [BoardLine]) -> Result {
        var result = Result()
        var current: (section: BoardSection, heading: Int)?
        var firstHeading: [BoardSection: Int] = [:]
        var firstLineOfID: [Int: Int] = [:]
        var fence: MarkdownSyntax.Fence?
        var inComment = false
        var blockStart = 0

        func closeSection(at end: Int) {
            if let open = current {
                result.sections.append(SectionSpan(section: open.section, heading: open.heading, end: end))
                current = nil
            }
        }

        var i = frontMatterEnd(lines)
        while i < lines.count {
            let text = lines[i].text
            if inComment {
                if MarkdownSyntax.contains(text, "-->") { inComment = false }
                i += 1
                continue
            }
            if let open = fence {
                if MarkdownSyntax.closes(open, text) { fence = nil }
                i += 1
                continue
            }
            let (columns, start) = MarkdownSyntax.indentation(text)
            // Blank lines, and lines indented as code, say nothing about the board.
            guard columns <= 3, start != text.utf8.endIndex else {
                i += 1
                continue
            }
            let first = text.utf8[start]
            if first == UInt8(ascii: "#"), let heading = MarkdownSyntax.heading(text) {
                if heading.level <= 2 {
                    closeSection(at: i)
                    if heading.level == 2, let section = BoardSection(heading: heading.text) {
                        if let earlier = firstHeading[section] {
                            result.problems.append(BoardProblem(line: i + 1, message:
                                "a second '\(section.heading)' section: its tasks are read, but Braid adds and moves tasks to the first one, on line \(earlier + 1)"))
                        } else {
                            firstHeading[section] = i
                        }
                        current = (section, i)
                    }
                }
                i += 1
                continue
            }
            if first == UInt8(ascii: "`") || first == UInt8(ascii: "~"),
               let opening = MarkdownSyntax.fenceOpening(text, maxIndent: 3) {
                fence = opening
                blockStart = i
                i += 1
                continue
            }
            if first == UInt8(ascii: "<"), MarkdownSyntax.opensComment(text) {
                inComment = true
                blockStart = i
                i += 1
                continue
            }
            if MarkdownSyntax.bullet(text, at: start) != nil {
                let end = bodyEnd(lines, item: i, indent: columns)
                if let section = current?.section {
                    readTask(lines, span: i..<end, section: section, into: &result, firstLineOfID: &firstLineOfID)
                }
                i = end
                continue
            }
            i += 1
        }
        closeSection(at: lines.count)
        if fence != nil || inComment { result.unclosedBlockStart = blockStart }
        return result
    }

    /// Just past the front matter: a first line `---`, up to a closing `---` or `...`; 0 when none.
    static func frontMatterEnd(_ lines: [BoardLine]) -> Int {
        guard let first = lines.first, MarkdownSyntax.trimmingTrailingWhitespace(first.text) == "---" else { return 0 }
        var k = 1
        while k < lines.count {
            let text = MarkdownSyntax.trimmingTrailingWhitespace(lines[k].text)
            if text == "---" || text == "..." { return k + 1 }
            k += 1
        }
        // Never closed: then it was a thematic break, not front matter.
        return 0
    }

    /// Just past a list item's body: the following lines indented more than the item, and blank
    /// lines while more indented lines follow them.
    static func bodyEnd(_ lines: [BoardLine], item: Int, indent: Int) -> Int {
        var end = item + 1
        var k = item + 1
        while k < lines.count {
            let text = lines[k].text
            let (columns, start) = MarkdownSyntax.indentation(text)
            if start == text.utf8.endIndex {
                k += 1
            } else if columns > indent {
                k += 1
                end = k
            } else {
                break
            }
        }
        return end
    }

    private static func readTask(_ lines: [BoardLine], span: Range<Int>, section: BoardSection,
                                 into result: inout Result, firstLineOfID: inout [Int: Int]) {
        let lineNumber = span.lowerBound + 1
        let taskLine: TaskLine
        switch TaskLine.read(lines[span.lowerBound].text) {
        case .notATask:
            return
        case .malformed(let message):
            result.problems.append(BoardProblem(line: lineNumber, message: message))
            return
        case .task(let read):
            taskLine = read
        }
        if let id = taskLine.id {
            result.maxID = max(result.maxID, id)
            if let first = firstLineOfID[id] {
                result.duplicates[id, default: [first + 1]].append(lineNumber)
                result.problems.append(BoardProblem(line: lineNumber, message:
                    "duplicate id #\(id): line \(first + 1) has it already; delete this one's '(#\(id))' and Braid will give the task a new id"))
                return
            }
            firstLineOfID[id] = span.lowerBound
        }
        var body = BodyReader()
        for k in span.dropFirst() {
            body.read(lines[k].text, line: k)
        }
        body.finish()
        result.problems.append(contentsOf: body.problems)
        result.tasks.append(BoardTask(
            id: taskLine.id, title: taskLine.title, section: section, owner: taskLine.owner,
            isChecked: taskLine.isChecked, line: lineNumber,
            descriptionLines: body.description, criteria: body.criteria, fencedBlocks: body.blocks,
            agent: body.agent, touches: body.touches, after: body.after, priority: body.priority, fallback: body.fallback,
            blockedReason: body.blockedReason, landedCommit: body.landedCommit,
            span: span, taskLine: taskLine, fieldLines: body.fieldLines, bodyIndent: body.indent,
            firstFenceLine: body.firstFenceLine))
    }

    /// Reads a task's body line by line: criteria, fenced blocks, known fields, and the rest as prose.
    private struct BodyReader {
        var description: [String] = []
        var criteria: [BoardTask.Criterion] = []
        var blocks: [BoardTask.FencedBlock] = []
        var fieldLines: [BoardTask.FieldLine] = []
        var problems: [BoardProblem] = []
        var agent: String?
        var touches: [String] = []
        var after: [Int] = []
        var priority: Int?
        var fallback: [String] = []
        var blockedReason: String?
        var landedCommit: String?
        /// The indentation of the body's first non-blank line, as written.
        var indent = ""
        /// The 0-based line of the body's first fence opening, if any.
        var firstFenceLine: Int?
        private var indentColumns: Int?
        private var fence: MarkdownSyntax.Fence?
        private var fenceContents = ""

        mutating func read(_ text: Substring, line k: Int) {
            if let open = fence {
                if MarkdownSyntax.closes(open, text) {
                    blocks.append(BoardTask.FencedBlock(info: String(open.info), contents: fenceContents))
                    fence = nil
                } else {
                    fenceContents += MarkdownSyntax.dedent(text, by: open.indent)
                    fenceContents += "\n"
                }
                return
            }
            let (columns, start) = MarkdownSyntax.indentation(text)
            guard start != text.utf8.endIndex else {
                if !description.isEmpty { description.append("") }
                return
            }
            let bodyColumns: Int
            if let known = indentColumns {
                bodyColumns = known
            } else {
                bodyColumns = columns
                indentColumns = columns
                indent = String(text[..<start])
            }
            if let opening = MarkdownSyntax.fenceOpening(text) {
                fence = opening
                fenceContents = ""
                if firstFenceLine == nil { firstFenceLine = k }
                return
            }
            if let afterBullet = MarkdownSyntax.bullet(text, at: start),
               let box = MarkdownSyntax.checkbox(text, afterBullet: afterBullet), box.isWellFormed {
                criteria.append(BoardTask.Criterion(isChecked: box.isChecked,
                                                    text: String(MarkdownSyntax.trimmingWhitespace(text[box.end...]))))
                return
            }
            if let (field, value) = Self.field(text[start...]) {
                let first = fieldLines.first { $0.field == field }
                fieldLines.append(BoardTask.FieldLine(field: field, line: k))
                if let first {
                    problems.append(BoardProblem(line: k + 1, message:
                        "a second '\(field.key):' line for this task; the first, on line \(first.line + 1), is used"))
                    return
                }
                record(field, value, line: k)
                return
            }
            description.append(String(MarkdownSyntax.trimmingTrailingWhitespace(MarkdownSyntax.dedent(text, by: bodyColumns))))
        }

        mutating func finish() {
            if let open = fence {
                // An unclosed fence runs to the end of the body, as Markdown renders it.
                blocks.append(BoardTask.FencedBlock(info: String(open.info), contents: fenceContents))
                fence = nil
            }
            while description.last == "" { description.removeLast() }
        }

        private mutating func record(_ field: BoardField, _ value: Substring, line k: Int) {
            switch field {
            case .agent:
                agent = value.isEmpty ? nil : String(value)
            case .blocked:
                blockedReason = value.isEmpty ? nil : String(value)
            case .landed:
                landedCommit = value.isEmpty ? nil : String(value)
            case .touches:
                touches = Self.touches(value)
            case .fallback:
                fallback = Self.touches(value)
            case .priority:
                if let number = Int(value) {
                    priority = number
                } else {
                    problems.append(BoardProblem(line: k + 1, message:
                        "priority '\(value)' is not a whole number; write e.g. 'priority: 2' (higher runs first)"))
                }
            case .after:
                let (ids, bad) = Self.ids(value)
                after = ids
                if let bad {
                    problems.append(BoardProblem(line: k + 1, message:
                        "after: '\(bad)' is not a task id; list ids like 'after: #11, #12'"))
                }
            }
        }

        /// A known `key: value` line (key case-insensitive); the value is trimmed.
        static func field(_ text: Substring) -> (BoardField, Substring)? {
            guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")),
                  let field = BoardField(key: text[..<colon]) else { return nil }
            return (field, MarkdownSyntax.trimmingWhitespace(text[text.utf8.index(after: colon)...]))
        }

        static func touches(_ value: Substring) -> [String] {
            pieces(of: value, separatedBy: [UInt8(ascii: ",")]).map(String.init)
        }

        /// The ids in `#11, #12` (commas or spaces between, `#` optional), and the first token that
        /// is not one.
        static func ids(_ value: Substring) -> (ids: [Int], firstBad: Substring?) {
            var ids: [Int] = []
            var firstBad: Substring?
            for token in pieces(of: value, separatedBy: [UInt8(ascii: ","), 0x20, 0x09]) {
                var digits = token
                if digits.utf8.first == UInt8(ascii: "#") {
                    digits = digits[digits.utf8.index(after: digits.startIndex)...]
                }
                if let id = TaskLine.positiveNumber(digits) {
                    ids.append(id)
                } else if firstBad == nil {
                    firstBad = token
                }
            }
            return (ids, firstBad)
        }

        /// The non-empty, trimmed pieces between separator bytes; by bytes, because splitting by
        /// characters costs more than the rest of reading a task.
        static func pieces(of value: Substring, separatedBy separators: [UInt8]) -> [Substring] {
            var pieces: [Substring] = []
            let utf8 = value.utf8
            var start = utf8.startIndex
            var i = start
            while true {
                if i == utf8.endIndex || separators.contains(utf8[i]) {
                    let piece = MarkdownSyntax.trimmingWhitespace(value[start..<i])
                    if !piece.isEmpty { pieces.append(piece) }
                    if i == utf8.endIndex { break }
                    start = utf8.index(after: i)
                }
                i = utf8.index(after: i)
            }
            return pieces
        }
    }
}
