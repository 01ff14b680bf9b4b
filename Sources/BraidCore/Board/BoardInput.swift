/// Checks what callers ask Braid to write onto the board, before anything is changed.
///
/// Titles, owners and values come from people, agents and editors, and may contain anything: shell
/// metacharacters, `(#` text and emoji are fine and are written as given; what would break a line
/// in two, or read back as something else, is refused with an error that says why.
enum BoardInput {
    static func title(_ title: String) throws -> String {
        let trimmed = String(MarkdownSyntax.trimmingWhitespace(Substring(title)))
        if let control = MarkdownSyntax.firstControlCharacter(trimmed) {
            throw BoardError.titleHasControlCharacter(title: title, character: control)
        }
        guard !trimmed.isEmpty else { throw BoardError.emptyTitle }
        return trimmed
    }

    static func owner(_ owner: String) throws -> String {
        let trimmed = String(MarkdownSyntax.trimmingWhitespace(Substring(owner)))
        if let control = MarkdownSyntax.firstControlCharacter(trimmed) {
            throw BoardError.invalidOwner(owner: owner, reason: "it contains \(hex(control)); an owner is one line of text")
        }
        guard !trimmed.isEmpty else {
            throw BoardError.invalidOwner(owner: owner, reason: "it is empty; to clear the owner, pass none")
        }
        guard !MarkdownSyntax.contains(Substring(trimmed), "(#") else {
            throw BoardError.invalidOwner(owner: owner, reason: "it contains '(#', which would read as a task id")
        }
        return trimmed
    }

    static func value(_ value: String, for field: BoardField) throws -> String {
        let trimmed = MarkdownSyntax.trimmingWhitespace(Substring(value))
        func invalid(_ reason: String) -> BoardError {
            BoardError.invalidFieldValue(field: field, value: value, reason: reason)
        }
        if let control = MarkdownSyntax.firstControlCharacter(trimmed) {
            throw invalid("it contains \(hex(control)); a field is one line of text")
        }
        guard !trimmed.isEmpty else { throw invalid("the value is empty; to remove the field, pass none") }
        switch field {
        case .agent, .blocked, .landed:
            break
        case .touches:
            guard trimmed.split(separator: ",").contains(where: { !MarkdownSyntax.isBlank($0) }) else {
                throw invalid("touches lists file globs separated by commas, like 'src/auth/**, docs/*.md'")
            }
        case .fallback:
            guard trimmed.split(separator: ",").contains(where: { !MarkdownSyntax.isBlank($0) }) else {
                throw invalid("fallback lists agent names separated by commas, like 'codex, gemini'")
            }
        case .priority:
            guard Int(trimmed) != nil else { throw invalid("priority is a whole number, like 2 (higher runs first)") }
        case .after:
            for token in trimmed.split(whereSeparator: { $0 == "," || $0 == " " || $0 == "\t" }) {
                let digits = token.first == "#" ? token.dropFirst() : token
                guard TaskLine.positiveNumber(digits) != nil else {
                    throw invalid("'\(token)' is not a task id; list ids like '#11, #12'")
                }
            }
        }
        return String(trimmed)
    }

    /// A new task's body, one line per element: without surrounding blank lines, blank lines made
    /// empty, and `\r\n` read as a line end. Tabs are allowed; other control characters are not.
    static func body(_ body: String) throws -> [String] {
        var lines: [String] = []
        for line in body.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r\n" }) {
            if let control = line.unicodeScalars.first(where: { $0 != "\t" && MarkdownSyntax.firstControlCharacter(String($0)) != nil }) {
                throw BoardError.bodyHasControlCharacter(line: String(line), character: control)
            }
            lines.append(MarkdownSyntax.isBlank(line) ? "" : String(MarkdownSyntax.trimmingTrailingWhitespace(line)))
        }
        while lines.first == "" { lines.removeFirst() }
        while lines.last == "" { lines.removeLast() }
        return lines
    }

    static func hex(_ scalar: Unicode.Scalar) -> String {
        let digits = String(scalar.value, radix: 16, uppercase: true)
        return "U+" + String(repeating: "0", count: max(0, 4 - digits.count)) + digits
    }
}
