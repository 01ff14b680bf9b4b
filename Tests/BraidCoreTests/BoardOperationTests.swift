import Testing
@testable import BraidCore

@Suite struct BoardOperationTests {
    // MARK: add

    @Test func addAppendsAtTheEndOfTheSectionBeforeItsTrailingBlankLines() throws {
        var board = try BoardFixtures.board("spaced-sections.md")
        let id = try board.add(title: "Announce it", to: .todo)
        #expect(id == 23)
        let lines = board.render().split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines[9...14] == ["- [ ] Tag the release (#22)", "  after: #21", "- [ ] Announce it (#23)", "", "", ""])
        #expect(board.task(id: 23)?.line == 12)
    }

    @Test func addGivesTheLargestIDPlusOne() throws {
        var board = try BoardFixtures.board("example.md")
        #expect(try board.add(title: "Next") == 13)
        #expect(try board.add(title: "After that", to: .review) == 14)
        var empty = Board.empty
        #expect(try empty.add(title: "First") == 1)
    }

    @Test func addCreatesAMissingSectionHeadingAtTheEndOfTheFile() throws {
        var board = try BoardFixtures.board("missing-sections.md")
        let before = board.render()
        try board.add(title: "Needs eyes", to: .review)
        #expect(board.render() == before + "\n## Review\n- [ ] Needs eyes (#3)\n")
        #expect(board.task(id: 3)?.section == .review)
        var empty = Board.parse("")
        try empty.add(title: "x", to: .blocked)
        #expect(empty.render() == "## Blocked\n- [ ] x (#1)\n")
    }

    @Test func addToDoneIsChecked() throws {
        var board = Board.empty
        let id = try board.add(title: "Already done", to: .done)
        #expect(board.task(id: id)?.isChecked == true)
        #expect(board.render().hasSuffix("## Done\n- [x] Already done (#1)\n"))
    }

    @Test func addWritesTheBodyThenTheFieldsIndentedUnderTheTask() throws {
        var board = Board.empty
        let id = try board.add(
            title: "Add login page",
            body: "Users sign in with email.\r\n- [ ] form validates email\n\n```sh\necho hi > file.txt\n```\n\n",
            fields: [.priority: "2", .agent: "claude", .touches: "src/auth/**, src/ui/login.*", .after: "#11"])
        #expect(board.render() == """
            ## Todo
            - [ ] Add login page (#1)
              Users sign in with email.
              - [ ] form validates email

              ```sh
              echo hi > file.txt
              ```
              agent: claude
              touches: src/auth/**, src/ui/login.*
              after: #11
              priority: 2

            ## In Progress

            ## Review

            ## Blocked

            ## Done

            """)
        let task = try #require(board.task(id: id))
        #expect(task.descriptionLines == ["Users sign in with email."])
        #expect(task.criteria.map(\.text) == ["form validates email"])
        #expect(task.fencedBlocks == [BoardTask.FencedBlock(info: "sh", contents: "echo hi > file.txt\n")])
        #expect(task.agent == "claude")
        #expect(task.after == [11])
        #expect(task.priority == 2)
    }

    @Test func newLinesTakeTheBoardsLineEnding() throws {
        var board = try BoardFixtures.board("crlf.md")
        try board.add(title: "Windows task", body: "two\nlines", to: .review)
        #expect(board.render().contains("## Review\r\n- [ ] Windows task (#5)\r\n  two\r\n  lines\r\n\r\n## Blocked"))
        #expect(!board.render().utf8.split(separator: 0x0A).dropLast().contains { $0.last != 0x0D })
    }

    @Test func aFileWithoutAFinalNewlineKeepsHavingNone() throws {
        var board = try BoardFixtures.board("no-final-newline.md")
        try board.add(title: "Appended", to: .done)
        #expect(board.render().hasSuffix("- [x] Last line has no newline (#3)\n- [x] Appended (#4)"))
        try board.remove(id: 4)
        #expect(board.render() == (try BoardFixtures.text("no-final-newline.md")))
        try board.move(id: 3, to: .todo)
        #expect(board.render().hasSuffix("  agent: claude\n- [ ] Last line has no newline (#3)\n## In Progress\n## Review\n## Blocked\n## Done"))
    }

    // MARK: move

    @Test func moveCarriesTheBodyToTheEndOfTheTargetAndChecksTheBoxOnlyInDone() throws {
        var board = try BoardFixtures.board("example.md")
        let body = Array(rawLines(board)[8..<18])
        try board.move(id: 12, to: .done)
        var lines = rawLines(board)
        let done = try #require(board.task(id: 12))
        #expect(done.section == .done)
        #expect(done.isChecked)
        #expect(String(decoding: lines[done.line - 1].content, as: UTF8.self) == "- [x] Add login page (#12)")
        #expect(Array(lines[done.line..<(done.line + 10)]) == body)
        #expect(board.tasks(in: .done).map(\.id) == [3, 12])
        try board.move(id: 12, to: .inProgress)
        lines = rawLines(board)
        let running = try #require(board.task(id: 12))
        #expect(!running.isChecked)
        #expect(String(decoding: lines[running.line - 1].content, as: UTF8.self) == "- [ ] Add login page (#12)")
        #expect(board.tasks(in: .inProgress).map(\.id) == [11, 12])
        #expect(running.agent == "claude")
    }

    @Test func movingToTheSectionATaskIsInKeepsItsPlace() throws {
        var board = try BoardFixtures.board("generated.md")
        let before = board.render()
        try board.move(id: 30, to: .todo)
        #expect(board.render() == before)
        try board.move(id: 70, to: .done)
        #expect(board.render() == before)
    }

    @Test func movingToAMissingSectionCreatesItsHeading() throws {
        var board = try BoardFixtures.board("missing-sections.md")
        try board.move(id: 1, to: .blocked)
        #expect(board.render() == "# Only two sections\n\n## Todo\n\n## Done\n- [x] Something done (#2)\n\n## Blocked\n- [ ] Something to do (#1)\n")
    }

    @Test func anIndentedTaskThatWouldLandInAnotherTasksBodyMovesToColumnZero() throws {
        var board = try BoardFixtures.board("odd-spacing.md")
        try board.move(id: 3, to: .inProgress)
        #expect(board.render().contains("""
            - [ ] Under a heading with closing hashes (#4)    —    gemini   
            - [ ] A sibling at the same indentation (#3)
              agent:    claude   
              priority:   5
              touches:src/a.swift ,  src/b.swift,,
             - [ ] indented more than #3: a criterion of it
            ## REVIEW
            """))
        #expect(board.task(id: 3)?.criteria.count == 1)
        // Where nothing would capture it, an indented task keeps its indentation.
        try board.move(id: 2, to: .review)
        #expect(board.render().contains("## REVIEW\n -  [ ]  Checked in Todo, indented one space (#2)\n"))
    }

    @Test func aRepeatedSectionReceivesTasksInItsFirstOccurrence() throws {
        var board = try BoardFixtures.board("duplicate-sections.md")
        try board.move(id: 2, to: .todo)
        #expect(board.render().hasPrefix("## Todo\n- [ ] First Todo (#1)\n- [ ] Done once (#2)\n## Done\n## todo\n"))
    }

    // MARK: owner, title, fields

    @Test func setOwnerWritesAnEmDashAndNilRemovesIt() throws {
        var board = try BoardFixtures.board("owners.md")
        try board.setOwner(id: 2, "claude")
        #expect(board.render().contains("\n- [ ] Double hyphen owner (#2) — claude\n"))
        try board.setOwner(id: 1, nil)
        #expect(board.render().contains("\n- [ ] Em dash owner (#1)\n"))
        #expect(board.task(id: 1)?.owner == nil)
        try board.setOwner(id: 1, "  codex  ")
        #expect(board.task(id: 1)?.owner == "codex")
    }

    @Test func setTitleKeepsTheIDOwnerAndCheckboxAsWritten() throws {
        var board = try BoardFixtures.board("odd-spacing.md")
        try board.setTitle(id: 4, "Renamed")
        #expect(board.render().contains("\n- [ ] Renamed (#4)    —    gemini   \n"))
        try board.setTitle(id: 1, "Spacing before the title is kept")
        #expect(board.render().contains("\n-   [ ]   Spacing before the title is kept (#1)   \n"))
        try board.setTitle(id: 2, "Still checked")
        #expect(board.task(id: 2)?.isChecked == true)
    }

    @Test func setFieldReplacesTheLineKeepingIndentationAndKeySpelling() throws {
        var board = Board.parse("## Todo\n- [ ] T (#1)\n\tPriority:   1\n")
        try board.setField(id: 1, key: .priority, value: "5")
        #expect(board.render() == "## Todo\n- [ ] T (#1)\n\tPriority: 5\n")
        #expect(board.task(id: 1)?.priority == 5)
    }

    @Test func settingAFieldToTheValueItHasChangesNothing() throws {
        var board = try BoardFixtures.board("odd-spacing.md")
        let before = board.render()
        try board.setField(id: 3, key: .priority, value: "5")
        try board.setField(id: 3, key: .agent, value: " claude ")
        #expect(board.render() == before)
    }

    @Test func setFieldAddsANewLineAfterTheLastFieldOrElseAboveTheFirstFenceOrAtTheEndOfTheBody() throws {
        var board = try BoardFixtures.board("example.md")
        try board.setField(id: 12, key: .blocked, value: "waiting on #11")
        #expect(board.render().contains("  priority: 2\n  blocked: waiting on #11\n  ```sh\n"))
        try board.setField(id: 3, key: .agent, value: "codex")
        #expect(board.render().contains("- [x] Old task (#3)\n  agent: codex\n## Notes"))
        var fenced = try BoardFixtures.board("code-fences.md")
        try fenced.setField(id: 4, key: .priority, value: "1")
        #expect(fenced.render().contains("- [ ] Unclosed fence runs to the end of the body (#4)\n  priority: 1\n  ```\n"))
        #expect(fenced.task(id: 4)?.priority == 1)
        var prose = Board.parse("## Todo\n   - [ ] Indented (#1)\n\t\tSome prose.\n")
        try prose.setField(id: 1, key: .touches, value: "a/**")
        #expect(prose.render() == "## Todo\n   - [ ] Indented (#1)\n\t\tSome prose.\n\t\ttouches: a/**\n")
        var bare = Board.parse("## Todo\n  * [ ] Bare (#1)\n")
        try bare.setField(id: 1, key: .agent, value: "codex")
        #expect(bare.render() == "## Todo\n  * [ ] Bare (#1)\n    agent: codex\n")
    }

    @Test func setFieldWithNilRemovesEveryLineForTheKey() throws {
        var board = try BoardFixtures.board("malformed.md")
        try board.setField(id: 6, key: .agent, value: nil)
        #expect(!board.render().contains("agent:"))
        #expect(board.task(id: 6)?.agent == nil)
        try board.setField(id: 6, key: .priority, value: nil)
        #expect(board.task(id: 6)?.fieldLines(.priority) == [])
        #expect(!board.problems.contains { $0.message.contains("priority") })
    }

    @Test func setFieldReplacingARepeatedKeyLeavesOneLine() throws {
        var board = try BoardFixtures.board("malformed.md")
        try board.setField(id: 6, key: .agent, value: "aider")
        #expect(board.render().contains("  after: eleven\n  agent: aider\n- [ ]    \n"))
    }

    @Test func setFieldRefusesValuesThatWouldNotReadBack() throws {
        var board = try BoardFixtures.board("example.md")
        let before = board.render()
        #expect(throws: BoardError.self) { try board.setField(id: 12, key: .priority, value: "high") }
        #expect(throws: BoardError.self) { try board.setField(id: 12, key: .after, value: "eleven") }
        #expect(throws: BoardError.self) { try board.setField(id: 12, key: .agent, value: "a\nb") }
        #expect(throws: BoardError.self) { try board.setField(id: 12, key: .agent, value: "  ") }
        #expect(board.render() == before)
        do {
            try board.setField(id: 12, key: .priority, value: "high")
        } catch {
            #expect("\(error)" == "cannot set 'priority: high': priority is a whole number, like 2 (higher runs first)")
        }
    }

    // MARK: remove, ids

    @Test func removeDeletesTheTaskAndItsBody() throws {
        var board = try BoardFixtures.board("example.md")
        try board.remove(id: 12)
        #expect(board.task(id: 12) == nil)
        #expect(board.render().contains("<!-- comments survive -->\n## Todo\n- [ ] Task without id yet\n## In Progress"))
    }

    @Test func assignMissingIDsNumbersFromTheLargestIDPlusOneInBoardOrder() throws {
        var board = Board.parse("## Todo\n- [ ] A\n- [ ] B (#7)\n## Done\n- [x] C  \n")
        #expect(board.assignMissingIDs() == [8, 9])
        #expect(board.render() == "## Todo\n- [ ] A (#8)\n- [ ] B (#7)\n## Done\n- [x] C (#9)  \n")
        var example = try BoardFixtures.board("example.md")
        #expect(example.assignMissingIDs() == [13])
        #expect(example.task(id: 13)?.title == "Task without id yet")
    }

    @Test func anUnknownIDIsATypedErrorNamingIt() throws {
        var board = try BoardFixtures.board("example.md")
        let before = board.render()
        let error = BoardError.unknownTask(id: 99)
        #expect(throws: error) { try board.move(id: 99, to: .done) }
        #expect(throws: error) { try board.setOwner(id: 99, "x") }
        #expect(throws: error) { try board.setField(id: 99, key: .agent, value: "x") }
        #expect(throws: error) { try board.setTitle(id: 99, "x") }
        #expect(throws: error) { try board.remove(id: 99) }
        #expect(error.description.hasPrefix("no task #99 on the board"))
        #expect(board.render() == before)
    }

    // MARK: hostile input

    @Test(arguments: ["a\nb", "a\r\nb", "tab\there", "nul\u{0}", "bell\u{7}", "del\u{7F}", "nel\u{85}", "ls\u{2028}x", "\n"])
    func titlesWithControlCharactersAreRefused(title: String) throws {
        var board = try BoardFixtures.board("example.md")
        let before = board.render()
        #expect(throws: BoardError.self) { try board.add(title: title) }
        #expect(throws: BoardError.self) { try board.setTitle(id: 12, title) }
        #expect(board.render() == before)
        do {
            try board.add(title: title)
        } catch let error as BoardError {
            guard case .titleHasControlCharacter = error else {
                Issue.record("expected titleHasControlCharacter, got \(error)")
                return
            }
        }
    }

    @Test func anEmptyTitleIsRefused() {
        var board = Board.empty
        #expect(throws: BoardError.emptyTitle) { try board.add(title: "   ") }
    }

    @Test(arguments: [
        "rm -rf / ; $(whoami) `id` | && > out < in 'q' \"dq\" \\",
        "Fix (#12) — not an owner",
        "Ends with an id-like (#abc)",
        "Ends with (#",
        "(#0)",
        "#13",
        "Emoji 👩‍💻🚀 and 日本語",
        "— leading dash",
        "[x] looks checked",
        "a -- b",
        "trailing paren )",
        "<!-- not a comment -->",
        "```not a fence",
        "## not a heading",
        "Cafe\u{301}",
    ])
    func hostileTitlesAreWrittenAsGivenAndReadBackTheSame(title: String) throws {
        var board = try BoardFixtures.board("example.md")
        let id = try board.add(title: title, to: .inProgress)
        try board.setOwner(id: id, "claude")
        #expect(board.task(id: id).map { Array($0.title.utf8) } == Array(title.utf8))
        #expect(board.task(id: id)?.owner == "claude")
        let reread = Board.parse(board.render())
        #expect(reread.task(id: id).map { Array($0.title.utf8) } == Array(title.utf8))
        #expect(reread.problems.isEmpty)
        try board.setTitle(id: 11, title)
        #expect(Board.parse(board.render()).task(id: 11).map { Array($0.title.utf8) } == Array(title.utf8))
    }

    @Test(arguments: ["x (#3)", "", "a\nb"])
    func ownersThatWouldNotReadBackAreRefused(owner: String) throws {
        var board = try BoardFixtures.board("example.md")
        #expect(throws: BoardError.self) { try board.setOwner(id: 11, owner) }
        #expect(board.task(id: 11)?.owner == "claude")
    }

    @Test func newLinesGoAboveAFenceOrCommentLeftOpenAtTheEndOfTheFile() throws {
        // Everything after an unclosed fence is code, including "## Done": not a heading.
        var board = Board.parse("## Todo\n```\n## Done\n")
        try board.add(title: "Visible")
        try board.add(title: "Also visible", to: .done)
        #expect(board.render() == "## Todo\n- [ ] Visible (#1)\n\n## Done\n- [x] Also visible (#2)\n```\n## Done\n")
        var comment = try BoardFixtures.board("html-comments.md")
        try comment.move(id: 1, to: .done)
        #expect(comment.render().hasSuffix("- [x] Done (#3)\n- [x] Visible task (#1)\n  <!-- a comment in the body -->\n<!-- unclosed at the end\n- [ ] never seen (#51)\n"))
    }

    @Test func anEditThatWouldNotReadBackLeavesTheBoardUnchanged() throws {
        // A new body ending in an unclosed fence would swallow the fields after it.
        var empty = Board.empty
        #expect(throws: BoardError.self) { try empty.add(title: "x", body: "```sh\necho", fields: [.agent: "a"]) }
        #expect(empty.render() == Board.emptyText)
    }
}
