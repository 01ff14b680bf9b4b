/// Why Braid could not read, change or write the board; each message says what to do about it.
///
/// A failed operation leaves the board as it was: operations check their input first, and an
/// edit that would not read back as intended is undone rather than written.
public enum BoardError: Error, Sendable, Hashable, CustomStringConvertible {
    /// No task on the board has this id.
    case unknownTask(id: Int)
    /// Several task lines carry this id, so an operation on it could change the wrong task.
    case duplicateID(id: Int, lines: [Int])
    /// A title is one line of text: no newline, tab or other control character.
    case titleHasControlCharacter(title: String, character: Unicode.Scalar)
    case emptyTitle
    /// An owner must be a non-empty line of text that does not look like an id (`(#…)`).
    case invalidOwner(owner: String, reason: String)
    /// A field's value must be one line, and readable as the field's type.
    case invalidFieldValue(field: BoardField, value: String, reason: String)
    /// A line of a new task's body contains a control character other than a tab.
    case bodyHasControlCharacter(line: String, character: Unicode.Scalar)
    /// The edited lines would not read back as intended, typically because the place they go is
    /// inside an unclosed code fence or HTML comment; nothing was changed.
    case editNotReadBack(operation: String)

    /// Reading the board file failed.
    case cannotRead(path: String, reason: String)
    /// The board file is not UTF-8 text; Braid will not rewrite what it cannot read faithfully.
    case notUTF8(path: String)
    /// Taking the board's lock failed.
    case cannotLock(path: String, reason: String)
    /// Writing the board file failed; the previous file is intact.
    case cannotWrite(path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownTask(let id):
            return "no task #\(id) on the board; it may have been removed or renumbered by hand, so read the board again"
        case .duplicateID(let id, let lines):
            return "task id #\(id) is on lines \(lines.map(String.init).joined(separator: ", ")); remove the id from all but one of them (Braid gives the others new ids) and try again"
        case .titleHasControlCharacter(_, let character):
            return "a task title must be one line of text, but this one contains \(Self.name(character)); remove it and try again"
        case .emptyTitle:
            return "a task needs a title; give one that is not empty"
        case .invalidOwner(let owner, let reason):
            return "cannot record '\(owner)' as the task's owner: \(reason)"
        case .invalidFieldValue(let field, let value, let reason):
            return "cannot set '\(field.key): \(value)': \(reason)"
        case .bodyHasControlCharacter(_, let character):
            return "a task's body may contain tabs but no other control characters, and this one contains \(Self.name(character))"
        case .editNotReadBack(let operation):
            return "\(operation): the edited board would not read back as intended, so it was left unchanged; look for an unclosed ``` fence or <!-- comment near the end of the section"
        case .cannotRead(let path, let reason):
            return "reading the board \(path): \(reason)"
        case .notUTF8(let path):
            return "reading the board \(path): the file is not UTF-8 text; save it as UTF-8 and try again"
        case .cannotLock(let path, let reason):
            return "locking the board with \(path): \(reason)"
        case .cannotWrite(let path, let reason):
            return "writing the board \(path): \(reason); the previous board is unchanged"
        }
    }

    private static func name(_ scalar: Unicode.Scalar) -> String {
        BoardInput.hex(scalar)
            + (scalar == "\n" ? " (a newline)" : scalar == "\t" ? " (a tab)" : scalar == "\r" ? " (a carriage return)" : "")
    }
}
