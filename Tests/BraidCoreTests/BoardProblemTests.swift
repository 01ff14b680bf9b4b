import Testing
@testable import BraidCore

@Suite struct BoardProblemTests {
    /// malformed.md's problems: line, and the start of the message.
    static let expected: [(Int, String)] = [
        (2, "malformed checkbox '[?]'"),
        (3, "task has an empty title"),
        (4, "malformed id '(#abc)'"),
        (5, "malformed id '(#0)'"),
        (7, "duplicate id #5: line 6 has it already"),
        (9, "priority 'high' is not a whole number"),
        (10, "after: 'eleven' is not a task id"),
        (12, "a second 'agent:' line for this task; the first, on line 11, is used"),
        (13, "task has an empty title"),
        (14, "malformed checkbox '[]'"),
        (15, "task has an empty title"),
    ]

    @Test func malformedLinesAreReportedWithTheirOneBasedLineNumbers() throws {
        let board = try BoardFixtures.board("malformed.md")
        #expect(board.problems.map(\.line) == Self.expected.map(\.0))
        for (problem, (line, start)) in zip(board.problems, Self.expected) {
            #expect(problem.message.hasPrefix(start), "line \(line): \(problem.message)")
        }
    }

    @Test func malformedTaskLinesAreNotTasksButTasksWithBadFieldsStay() throws {
        let board = try BoardFixtures.board("malformed.md")
        #expect(board.tasks.map(\.id) == [5, 6])
        #expect(board.task(id: 5)?.title == "Good")
        let fields = try #require(board.task(id: 6))
        #expect(fields.priority == nil)
        #expect(fields.after == [])
        #expect(fields.agent == "claude")
    }

    @Test func aProblemDescribesItselfAsFileLineMessage() throws {
        let board = try BoardFixtures.board("malformed.md")
        let first = try #require(board.problems.first)
        #expect(first.description(file: "BOARD.md").hasPrefix("BOARD.md:2: malformed checkbox '[?]'"))
        #expect(first.description.hasPrefix("line 2: malformed checkbox '[?]'"))
    }

    @Test func aDuplicateIDCountsForTheNextIDButIsNotATask() {
        var board = Board.parse("## Todo\n- [ ] A (#4)\n- [ ] B (#4)\n- [ ] C\n")
        #expect(board.tasks.map(\.title) == ["A", "C"])
        #expect(board.problems.map(\.line) == [3])
        #expect(board.assignMissingIDs() == [5])
        #expect(board.render() == "## Todo\n- [ ] A (#4)\n- [ ] B (#4)\n- [ ] C (#5)\n")
    }

    @Test func afterKeepsTheIDsItCanReadAndReportsTheRest() {
        let board = Board.parse("## Todo\n- [ ] A (#1)\n  after: #2, 3 #4, soon\n")
        #expect(board.task(id: 1)?.after == [2, 3, 4])
        #expect(board.problems == [BoardProblem(line: 3, message: "after: 'soon' is not a task id; list ids like 'after: #11, #12'")])
    }

    @Test func malformedLinesSurviveEveryOperationByteForByte() throws {
        var board = try BoardFixtures.board("malformed.md")
        let before = rawLines(board)
        try board.setOwner(id: 6, "claude")
        try board.setTitle(id: 6, "Bad fields, renamed")
        try board.setField(id: 6, key: .blocked, value: "waiting for review")
        board.assignMissingIDs()
        // `(#8)` on the malformed line with no title is reserved too: ids are never reused.
        let next = board.nextID
        #expect(next == 9)
        #expect(try board.add(title: "New", to: .todo) == next)
        try board.move(id: next, to: .done)
        let after = rawLines(board)
        // Every malformed line is still there, unchanged, in order, and still reported.
        let malformed = Self.expected.map { before[$0.0 - 1] }
        #expect(after.filter { malformed.contains($0) } == malformed)
        #expect(board.problems.map { after[$0.line - 1] } == malformed)
    }

    @Test func operationsOnADuplicatedIDAreRefusedNamingTheLines() {
        var board = Board.parse("## Todo\n- [ ] A (#4)\n- [ ] B (#4)\n## Done\n")
        let text = board.render()
        #expect(throws: BoardError.duplicateID(id: 4, lines: [2, 3])) { try board.move(id: 4, to: .done) }
        #expect(throws: BoardError.duplicateID(id: 4, lines: [2, 3])) { try board.setOwner(id: 4, "x") }
        #expect(board.render() == text)
        #expect(BoardError.duplicateID(id: 4, lines: [2, 3]).description.contains("#4 is on lines 2, 3"))
    }

    @Test func malformedLinesInUnknownSectionsAreNotReported() {
        let board = Board.parse("# Title\n- [?] x\n## Ideas\n- [ ] (#abc)\n## Todo\n- [ ]\n")
        #expect(board.problems.map(\.line) == [6])
    }
}
