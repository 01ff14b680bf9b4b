/// A task's own line, cut into the pieces Braid may change, each kept as written.
///
/// `- [ ] Add login page (#12) — claude` is lead `- `, mark ` `, gap ` `, core
/// `Add login page (#12)` and tail ` — claude`. An edit replaces one piece and keeps the others'
/// bytes, so moving a task to Done changes one character of its line.
struct TaskLine: Sendable, Hashable {
    /// Indentation, bullet and the whitespace before `[`.
    var lead: Substring
    /// Between the brackets: ` `, `x` or `X`.
    var mark: Substring
    /// The whitespace after `]`.
    var gap: Substring
    /// The title and the id, as written.
    var core: Substring
    /// The owner and any trailing whitespace, as written.
    var tail: Substring

    private(set) var title: String
    private(set) var id: Int?
    private(set) var owner: String?

    var isChecked: Bool { mark == "x" || mark == "X" }

    var text: String {
        var text = String(lead)
        text += "["
        text += mark
        text += "]"
        text += gap
        text += core
        text += tail
        return text
    }

    enum Reading {
        /// Not a checkbox item: prose, a plain bullet, a link.
        case notATask
        case task(TaskLine)
        /// Meant as a task but not readable as one; the message says what is wrong.
        case malformed(String)
    }

    /// Reads a list item's line; the caller has decided that the line is not inside anything else.
    static func read(_ line: Substring) -> Reading {
        let utf8 = line.utf8
        let start = MarkdownSyntax.indentation(line).end
        guard let afterBullet = MarkdownSyntax.bullet(line, at: start),
              let box = MarkdownSyntax.checkbox(line, afterBullet: afterBullet) else { return .notATask }
        guard box.isWellFormed else {
            return .malformed("malformed checkbox '\(box.written)': write '[ ]' for open or '[x]' for done")
        }
        var restStart = box.end
        while restStart != utf8.endIndex, utf8[restStart] == 0x20 || utf8[restStart] == 0x09 {
            restStart = utf8.index(after: restStart)
        }
        let content = MarkdownSyntax.trimmingTrailingWhitespace(line[restStart...])
        var titleEnd = content.endIndex
        var coreEnd = content.endIndex
        var id: Int?
        var owner: String?
        // The id is the last `(#…)`, when only an owner (or nothing) follows it.
        if let open = lastIDOpening(in: content),
           let close = content.utf8[open...].firstIndex(of: UInt8(ascii: ")")) {
            let afterClose = content.utf8.index(after: close)
            let after = content[afterClose...]
            let ownerText = after.isEmpty ? Substring("") : ownerAfterSeparator(after)
            if let ownerText {
                let token = content[content.utf8.index(open, offsetBy: 2)..<close]
                guard let number = positiveNumber(token) else {
                    return .malformed("malformed id '(#\(token))': an id is a positive whole number, like (#12)")
                }
                id = number
                owner = ownerText.isEmpty ? nil : String(ownerText)
                titleEnd = open
                coreEnd = afterClose
            }
        }
        let title = MarkdownSyntax.trimmingTrailingWhitespace(content[..<titleEnd])
        guard !title.isEmpty else { return .malformed("task has an empty title") }
        return .task(TaskLine(
            lead: line[..<box.start], mark: box.mark, gap: line[box.end..<restStart],
            core: line[restStart..<coreEnd], tail: line[coreEnd...],
            title: String(title), id: id, owner: owner))
    }

    // MARK: Edits
    // Each returns nil when the edited line would not read back as intended; callers check first
    // what they can report precisely, so nil is a last line of defence, not a normal outcome.

    func checked(_ checked: Bool) -> TaskLine? {
        if checked == isChecked { return self }
        var edited = self
        edited.mark = checked ? "x" : " "
        return edited.verified(title: title, id: id, owner: owner)
    }

    func owned(by newOwner: String?) -> TaskLine? {
        if newOwner == owner { return self }
        var edited = self
        edited.tail = Substring(newOwner.map { " — \($0)" } ?? "")
        return edited.verified(title: title, id: id, owner: newOwner)
    }

    func titled(_ newTitle: String) -> TaskLine? {
        if newTitle == title { return self }
        var edited = self
        edited.core = Substring(newTitle + (id.map { " (#\($0))" } ?? ""))
        return edited.verified(title: newTitle, id: id, owner: owner)
    }

    /// The line with ` (#N)` written at the end of its title.
    func numbered(_ newID: Int) -> TaskLine? {
        var edited = self
        edited.core = Substring(String(core) + " (#\(newID))")
        return edited.verified(title: title, id: newID, owner: owner)
    }

    /// A new task's line, as Braid writes it.
    static func new(title: String, id: Int, checked: Bool) -> TaskLine? {
        let text = "- [\(checked ? "x" : " ")] \(title) (#\(id))"
        guard case .task(let line) = read(Substring(text)) else { return nil }
        return line.verified(title: title, id: id, owner: nil)
    }

    /// Re-reads the line's text, so that the pieces always agree with what a reader will find.
    private func verified(title: String, id: Int?, owner: String?) -> TaskLine? {
        guard case .task(let reread) = TaskLine.read(Substring(text)),
              reread.title == title, reread.id == id, reread.owner == owner else { return nil }
        return reread
    }

    // MARK: Reading helpers

    private static func lastIDOpening(in text: Substring) -> String.Index? {
        let utf8 = text.utf8
        var i = utf8.endIndex
        while i != utf8.startIndex {
            let hash = utf8.index(before: i)
            if utf8[hash] == UInt8(ascii: "#"), hash != utf8.startIndex {
                let paren = utf8.index(before: hash)
                if utf8[paren] == UInt8(ascii: "(") { return paren }
            }
            i = hash
        }
        return nil
    }

    /// The owner after ` — ` (also `--` and `–`, which editors substitute), possibly empty;
    /// nil when the text does not start with a separator.
    private static func ownerAfterSeparator(_ text: Substring) -> Substring? {
        let rest = text[MarkdownSyntax.indentation(text).end...]
        for separator in ["—", "–", "--"] where rest.utf8.starts(with: separator.utf8) {
            let afterSeparator = rest.utf8.index(rest.startIndex, offsetBy: separator.utf8.count)
            return MarkdownSyntax.trimmingWhitespace(rest[afterSeparator...])
        }
        return nil
    }

    /// Task ids are at most this; a larger number is malformed (and can never overflow `nextID`).
    static let maxID = 999_999_999

    static func positiveNumber(_ text: Substring) -> Int? {
        guard !text.isEmpty, text.utf8.count <= 9, text.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
              let number = Int(text), number > 0, number <= maxID else { return nil }
        return number
    }
}
