/// The only ways Braid changes a board.
///
/// Each operation checks its input, edits just the lines it concerns, reads the board again and
/// checks that the edit reads back as intended; if it does not, the board is left as it was and
/// the operation throws. New lines get the board's usual line ending, and a file without a final
/// newline still has none afterwards.
extension Board {
    /// Adds a task at the end of `section` (before its trailing blank lines), creating the section's
    /// heading at the end of the file when the board has none, and returns the task's new id.
    ///
    /// `body` is written indented under the task, then `fields` in `BoardField` order.
    @discardableResult
    public mutating func add(title: String, body: String = "", fields: [BoardField: String] = [:],
                             to section: BoardSection = .todo) throws -> Int {
        let title = try BoardInput.title(title)
        let bodyLines = try BoardInput.body(body)
        var fieldLines: [(BoardField, String)] = []
        for field in BoardField.allCases {
            if let value = fields[field] { fieldLines.append((field, try BoardInput.value(value, for: field))) }
        }
        let id = nextID
        let operation = "adding #\(id) to \(section.heading)"
        guard let taskLine = TaskLine.new(title: title, id: id, checked: section == .done) else {
            throw BoardError.editNotReadBack(operation: operation)
        }
        let ending = newLineEnding
        var block = [BoardLine(taskLine.text, ending)]
        for line in bodyLines { block.append(BoardLine(line.isEmpty ? "" : "  " + line, ending)) }
        for (field, value) in fieldLines { block.append(BoardLine("  \(field.key): \(value)", ending)) }
        try edit(operation, { board in
            board.insert(block, atEndOf: section, ending: ending)
        }, readsBack: { board in
            guard let task = board.task(id: id) else { return false }
            return task.section == section && task.title == title && task.span.count == block.count
                && fieldLines.allSatisfy { !task.fieldLines($0.0).isEmpty }
        })
        return id
    }

    /// Moves the task's lines, body included, to the end of `section`; its checkbox becomes `[x]`
    /// in Done and `[ ]` elsewhere. A task already in `section` keeps its place.
    ///
    /// The lines move as they are, unless the task is indented and would land in the body of the
    /// item before it: then the block is moved back to column 0, keeping its inner indentation.
    public mutating func move(id: Int, to section: BoardSection) throws {
        let task = try existing(id)
        let operation = "moving #\(id) to \(section.heading)"
        guard let taskLine = task.taskLine.checked(section == .done) else {
            throw BoardError.editNotReadBack(operation: operation)
        }
        func readsBack(_ board: Board) -> Bool {
            guard let moved = board.task(id: id) else { return false }
            return moved.section == section && moved.title == task.title && moved.span.count == task.span.count
        }
        if task.section == section {
            try edit(operation, { $0.lines[task.span.lowerBound].text = Substring(taskLine.text) }, readsBack: readsBack)
            return
        }
        var block = Array(lines[task.span])
        block[0].text = Substring(taskLine.text)
        var candidates = [block]
        let indent = MarkdownSyntax.indentation(block[0].text).columns
        if indent > 0 {
            candidates.append(block.map { BoardLine(MarkdownSyntax.dedent($0.text, by: indent), $0.ending) })
        }
        let ending = newLineEnding
        for (index, candidate) in candidates.enumerated() {
            do {
                // Where the block goes, found before the task's lines leave: sections do not overlap.
                let destination = insertionPoint(in: section)
                let newSection = newSectionPoint
                try edit(operation, { board in
                    board.lines.removeSubrange(task.span)
                    var at = destination ?? newSection
                    if at >= task.span.upperBound { at -= task.span.count }
                    board.insert(candidate, at: at, underNewHeadingFor: destination == nil ? section : nil, ending: ending)
                }, readsBack: readsBack)
                return
            } catch BoardError.editNotReadBack where index + 1 < candidates.count {
                continue
            }
        }
    }

    /// Records who runs the task, as ` — owner` after its id; nil removes it.
    public mutating func setOwner(id: Int, _ owner: String?) throws {
        let task = try existing(id)
        let owner = try owner.map(BoardInput.owner)
        let operation = "setting the owner of #\(id)"
        guard let taskLine = task.taskLine.owned(by: owner) else { throw BoardError.editNotReadBack(operation: operation) }
        try edit(operation, { board in
            board.lines[task.span.lowerBound].text = Substring(taskLine.text)
        }, readsBack: { $0.task(id: id)?.owner == owner })
    }

    public mutating func setTitle(id: Int, _ title: String) throws {
        let task = try existing(id)
        let title = try BoardInput.title(title)
        let operation = "renaming #\(id)"
        guard let taskLine = task.taskLine.titled(title) else { throw BoardError.editNotReadBack(operation: operation) }
        try edit(operation, { board in
            board.lines[task.span.lowerBound].text = Substring(taskLine.text)
        }, readsBack: { $0.task(id: id)?.title == title })
    }

    /// Adds, replaces or (with nil) removes the task's `key: value` line.
    ///
    /// A replaced line keeps its indentation and the key's spelling; a new line goes after the
    /// task's last field line, or else above the body's first code fence, or else at the end of
    /// the body. Repeated lines for the key go.
    public mutating func setField(id: Int, key field: BoardField, value: String?) throws {
        let task = try existing(id)
        let value = try value.map { try BoardInput.value($0, for: field) }
        let operation = value == nil ? "removing '\(field.key):' from #\(id)" : "setting '\(field.key):' of #\(id)"
        let existingLines = task.fieldLines(field)
        // Setting the value a single line already has changes nothing, not even its spacing.
        if let value, existingLines.count == 1, let current = currentValue(at: existingLines[0]),
           current.utf8.elementsEqual(value.utf8) {
            return
        }
        let ending = newLineEnding
        var written: String?
        try edit(operation, { board in
            guard let value else {
                for k in existingLines.reversed() { board.lines.remove(at: k) }
                return
            }
            if let first = existingLines.first {
                let old = board.lines[first].text
                let start = MarkdownSyntax.indentation(old).end
                let colon = old.utf8[start...].firstIndex(of: UInt8(ascii: ":")) ?? start
                let text = String(old[..<colon]) + ": " + value
                board.lines[first].text = Substring(text)
                written = text
                for k in existingLines.dropFirst().reversed() { board.lines.remove(at: k) }
            } else {
                let lastField = task.fieldLines.map(\.line).max()
                let indent: String
                if let lastField {
                    let text = board.lines[lastField].text
                    indent = String(text[..<MarkdownSyntax.indentation(text).end])
                } else if !task.bodyIndent.isEmpty {
                    indent = task.bodyIndent
                } else {
                    let text = board.lines[task.span.lowerBound].text
                    indent = String(text[..<MarkdownSyntax.indentation(text).end]) + "  "
                }
                let text = indent + field.key + ": " + value
                let at = lastField.map { $0 + 1 } ?? task.firstFenceLine ?? task.span.upperBound
                board.lines.insert(BoardLine(text, ending), at: at)
                written = text
            }
        }, readsBack: { board in
            guard let edited = board.task(id: id) else { return false }
            let lines = edited.fieldLines(field)
            guard let written else { return lines.isEmpty }
            guard lines.count == 1, let line = lines.first else { return false }
            return board.lines[line].text == written && !board.problems.contains { $0.line == line + 1 }
        })
    }

    /// Removes the task's lines, body included.
    public mutating func remove(id: Int) throws {
        let task = try existing(id)
        try edit("removing #\(id)", { board in
            board.lines.removeSubrange(task.span)
        }, readsBack: { $0.task(id: id) == nil })
    }

    /// Gives each task without an id the next free one, writing ` (#N)` at the end of its title;
    /// returns the ids given, in board order.
    @discardableResult
    public mutating func assignMissingIDs() -> [Int] {
        var next = nextID
        var assigned: [Int] = []
        var edited = self
        for task in tasks where task.id == nil {
            // `numbered` re-reads the line; a line that would not read back is left for a person.
            guard let taskLine = task.taskLine.numbered(next) else { continue }
            edited.lines[task.span.lowerBound].text = Substring(taskLine.text)
            assigned.append(next)
            next += 1
        }
        guard !assigned.isEmpty else { return [] }
        edited.reindex()
        self = edited
        return assigned
    }

    // MARK: Editing lines

    /// The value written on a field line: what follows the colon, trimmed.
    private func currentValue(at line: Int) -> Substring? {
        let text = lines[line].text
        guard let colon = text.utf8.firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return MarkdownSyntax.trimmingWhitespace(text[text.utf8.index(after: colon)...])
    }

    /// The task an operation is about. A duplicated id is refused: which line is meant is for a
    /// person to say, and which one counts as "first" would change as lines move.
    private func existing(_ id: Int) throws -> BoardTask {
        guard let task = task(id: id) else { throw BoardError.unknownTask(id: id) }
        if let lines = duplicateIDs[id] { throw BoardError.duplicateID(id: id, lines: lines) }
        return task
    }

    /// Applies `change` to a copy, restores the file's line-end conventions, re-reads it, and keeps
    /// the result only if `readsBack` accepts it.
    private mutating func edit(_ operation: String, _ change: (inout Board) throws -> Void,
                               readsBack: (Board) -> Bool) throws {
        var edited = self
        let hadFinalNewline = lines.last.map { $0.ending != .none } ?? true
        let ending = newLineEnding
        try change(&edited)
        // A line that no longer ends the file needs an ending; the file keeps its final newline, or
        // its lack of one.
        if edited.lines.count > 1 {
            for k in 0..<(edited.lines.count - 1) where edited.lines[k].ending == .none {
                edited.lines[k].ending = ending
            }
        }
        if let last = edited.lines.indices.last {
            if !hadFinalNewline {
                edited.lines[last].ending = .none
            } else if edited.lines[last].ending == .none {
                edited.lines[last].ending = ending
            }
        }
        edited.reindex()
        guard readsBack(edited) else { throw BoardError.editNotReadBack(operation: operation) }
        self = edited
    }

    /// The ending new lines get: the one most lines of the board have, `\n` when in doubt.
    var newLineEnding: LineEnding {
        var crlf = 0
        var lf = 0
        for line in lines {
            switch line.ending {
            case .crlf: crlf += 1
            case .lf: lf += 1
            case .none: break
            }
        }
        return crlf > lf ? .crlf : .lf
    }

    /// Where lines added to `section` go: after its last line that is not blank. Nil when the
    /// board has no such section. A code fence or comment left open at the end of the file hides
    /// what follows it, so nothing is put there.
    func insertionPoint(in section: BoardSection) -> Int? {
        guard let span = sections.first(where: { $0.section == section }) else { return nil }
        var at = min(span.end, unclosedBlockStart ?? span.end)
        while at > span.heading + 1, MarkdownSyntax.isBlank(lines[at - 1].text) { at -= 1 }
        return at
    }

    /// Puts `block` at the end of `section`, or under a new heading for it at the end of the file.
    mutating func insert(_ block: [BoardLine], atEndOf section: BoardSection, ending: LineEnding) {
        if let at = insertionPoint(in: section) {
            insert(block, at: at, underNewHeadingFor: nil, ending: ending)
        } else {
            insert(block, at: newSectionPoint, underNewHeadingFor: section, ending: ending)
        }
    }

    /// Where a missing section's heading goes: the end of the file, or above a fence or comment
    /// left open there.
    var newSectionPoint: Int { unclosedBlockStart ?? lines.count }

    private mutating func insert(_ block: [BoardLine], at: Int, underNewHeadingFor section: BoardSection?,
                                 ending: LineEnding) {
        guard let section else {
            lines.insert(contentsOf: block, at: at)
            return
        }
        var heading: [BoardLine] = []
        // A blank line before the new heading, unless one is there already.
        if at > 0, !MarkdownSyntax.isBlank(lines[at - 1].text) { heading.append(BoardLine("", ending)) }
        heading.append(BoardLine("## \(section.heading)", ending))
        lines.insert(contentsOf: heading + block, at: at)
    }
}
