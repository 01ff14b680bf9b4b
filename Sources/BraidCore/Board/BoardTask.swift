/// One task as read from the board: its line, and what its indented body says.
///
/// A snapshot: change a task through `Board`'s operations, which edit the board's lines, and read
/// the task again.
public struct BoardTask: Sendable, Hashable {
    /// An acceptance criterion: a checkbox item nested in the task's body.
    public struct Criterion: Sendable, Hashable {
        public let isChecked: Bool
        public let text: String

        public init(isChecked: Bool, text: String) {
            self.isChecked = isChecked
            self.text = text
        }
    }

    /// A fenced code block in the task's body, never interpreted: the script agent runs an `sh` one.
    public struct FencedBlock: Sendable, Hashable {
        /// What follows the opening fence, e.g. `sh`; empty when nothing does.
        public let info: String
        /// The lines between the fences, each ending in `\n`, with the fence's indentation removed.
        public let contents: String

        public init(info: String, contents: String) {
            self.info = info
            self.contents = contents
        }
    }

    /// Nil until Braid assigns one (`Board.assignMissingIDs()`).
    public let id: Int?
    public let title: String
    public let section: BoardSection
    /// Who runs the task now, written after the id as ` — owner`.
    public let owner: String?
    public let isChecked: Bool
    /// The task's own line, 1-based.
    public let line: Int
    /// The body's prose: every body line that is not a criterion, a known field or a fenced block,
    /// without the body's indentation. Unknown `key: value` lines are here.
    public let descriptionLines: [String]
    public let criteria: [Criterion]
    public let fencedBlocks: [FencedBlock]
    public let agent: String?
    public let touches: [String]
    public let after: [Int]
    public let priority: Int?
    /// Agents to move to when the task's agent is out of quota, before the config's `fallback`.
    public let fallback: [String]
    public let blockedReason: String?
    /// The commit the merge queue landed the task as (`landed:`).
    public let landedCommit: String?

    /// The task's lines on the board, 0-based: its own line, then its body.
    let span: Range<Int>
    let taskLine: TaskLine
    /// The body's known-field lines, 0-based, in order; for a repeated key the first one counts.
    /// (A list, not a dictionary: parsing ten thousand tasks must not build ten thousand tables.)
    let fieldLines: [FieldLine]
    /// The indentation of the body's first line, written before fields Braid adds.
    let bodyIndent: String
    /// The body's first fence opening, 0-based: fields Braid adds go above code.
    let firstFenceLine: Int?

    init(id: Int?, title: String, section: BoardSection, owner: String?, isChecked: Bool, line: Int,
         descriptionLines: [String], criteria: [Criterion], fencedBlocks: [FencedBlock],
         agent: String?, touches: [String], after: [Int], priority: Int?, fallback: [String] = [], blockedReason: String?, landedCommit: String? = nil,
         span: Range<Int>, taskLine: TaskLine, fieldLines: [FieldLine], bodyIndent: String,
         firstFenceLine: Int?) {
        self.id = id
        self.title = title
        self.section = section
        self.owner = owner
        self.isChecked = isChecked
        self.line = line
        self.descriptionLines = descriptionLines
        self.criteria = criteria
        self.fencedBlocks = fencedBlocks
        self.agent = agent
        self.touches = touches
        self.after = after
        self.priority = priority
        self.fallback = fallback
        self.blockedReason = blockedReason
        self.landedCommit = landedCommit
        self.span = span
        self.taskLine = taskLine
        self.fieldLines = fieldLines
        self.bodyIndent = bodyIndent
        self.firstFenceLine = firstFenceLine
    }

    /// Where a known field is set in a task's body.
    struct FieldLine: Sendable, Hashable {
        let field: BoardField
        let line: Int
    }

    /// The 0-based lines that set `field`, first (the one that counts) first.
    func fieldLines(_ field: BoardField) -> [Int] {
        fieldLines.compactMap { $0.field == field ? $0.line : nil }
    }

    /// The value a field has on the board, written the way Braid would write it.
    public func value(of field: BoardField) -> String? {
        switch field {
        case .agent: return agent
        case .touches: return touches.isEmpty ? nil : touches.joined(separator: ", ")
        case .after: return after.isEmpty ? nil : after.map { "#\($0)" }.joined(separator: ", ")
        case .priority: return priority.map(String.init)
        case .fallback: return fallback.isEmpty ? nil : fallback.joined(separator: ", ")
        case .blocked: return blockedReason
        case .landed: return landedCommit
        }
    }
}
