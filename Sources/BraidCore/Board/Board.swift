/// The kanban board: a Markdown file that is the single source of truth for tasks.
///
/// The board is kept as the file's lines, each with its own ending, and the tasks, sections and
/// problems are read from them. Operations (in `Board+Operations.swift`) replace only the lines they
/// concern, so rendering gives back every other byte as it was read: CRLF or mixed line ends, a
/// missing final newline, a byte order mark, tabs, odd spacing, prose, comments, unknown sections.
public struct Board: Sendable {
    var lines: [BoardLine]
    var hasBOM: Bool
    public private(set) var tasks: [BoardTask] = []
    /// Lines that could not be read as intended, in line order; they are left as they are.
    public private(set) var problems: [BoardProblem] = []
    private(set) var sections: [BoardParser.SectionSpan] = []
    private(set) var maxID = 0
    private(set) var duplicateIDs: [Int: [Int]] = [:]
    private(set) var unclosedBlockStart: Int?
    private var taskIndexByID: [Int: Int] = [:]

    init(lines: [BoardLine], hasBOM: Bool) {
        self.lines = lines
        self.hasBOM = hasBOM
        reindex()
    }

    /// Reads a board; never fails: what cannot be read is reported in `problems` and kept as is.
    public static func parse(_ text: String) -> Board {
        let (hasBOM, lines) = BoardLine.split(text)
        return Board(lines: lines, hasBOM: hasBOM)
    }

    /// The board's text: byte for byte what was parsed, apart from the lines operations changed.
    public func render() -> String {
        var size = hasBOM ? 3 : 0
        for line in lines { size += line.text.utf8.count + 2 }
        var text = String()
        text.reserveCapacity(size)
        if hasBOM { text += "\u{FEFF}" }
        for line in lines {
            text += line.text
            switch line.ending {
            case .none: break
            case .lf: text += "\n"
            case .crlf: text += "\r\n"
            }
        }
        return text
    }

    /// What a new board file holds: the five sections, in order.
    public static let emptyText = BoardSection.allCases.map { "## \($0.heading)\n" }.joined(separator: "\n")

    /// The board of a missing file: the five sections and nothing else.
    public static var empty: Board { parse(emptyText) }

    public func task(id: Int) -> BoardTask? {
        taskIndexByID[id].map { tasks[$0] }
    }

    public func tasks(in section: BoardSection) -> [BoardTask] {
        tasks.filter { $0.section == section }
    }

    /// The sections that have a heading on the board, in the order they appear (once each).
    public var sectionsPresent: [BoardSection] {
        var seen: Set<BoardSection> = []
        return sections.map(\.section).filter { seen.insert($0).inserted }
    }

    /// The id the next added task gets: one more than the largest id ever seen — on a task, in any
    /// `(#N)` anywhere in the file (a task a person mistyped, a section Braid does not know), or
    /// in `idFloor` (ids handed out before, remembered outside the file) — so that an id, and the
    /// worktree and history recorded under it, never passes to another task.
    public var nextID: Int { max(maxID, largestReference, idFloor) + 1 }

    /// The largest `(#N)` anywhere in the text, found when the lines were last read.
    private(set) var largestReference = 0

    /// The largest id handed out before, as remembered by the store (ids below it are never reused).
    public var idFloor = 0

    /// The largest `(#N)` in the text, whatever line it is on.
    static func largestReference<S: Sequence>(in texts: S) -> Int where S.Element == Substring {
        var largest = 0
        for text in texts {
            var rest = text.utf8[...]
            while let open = rest.firstIndex(of: UInt8(ascii: "(")) {
                rest = rest[rest.index(after: open)...]
                guard rest.first == UInt8(ascii: "#") else { continue }
                let digits = rest.dropFirst().prefix { $0 >= 0x30 && $0 <= 0x39 }
                if let close = digits.endIndex < rest.endIndex ? rest[digits.endIndex] : nil, close == UInt8(ascii: ")"),
                   let id = TaskLine.positiveNumber(Substring(digits)) {
                    largest = max(largest, id)
                }
            }
        }
        return largest
    }

    /// Reads tasks, sections and problems again after the lines changed.
    mutating func reindex() {
        let result = BoardParser.parse(lines)
        tasks = result.tasks
        problems = result.problems
        sections = result.sections
        maxID = result.maxID
        largestReference = Self.largestReference(in: lines.lazy.map(\.text))
        duplicateIDs = result.duplicates
        unclosedBlockStart = result.unclosedBlockStart
        var byID: [Int: Int] = [:]
        byID.reserveCapacity(tasks.count)
        for (index, task) in tasks.enumerated() {
            if let id = task.id { byID[id] = index }
        }
        taskIndexByID = byID
    }
}
