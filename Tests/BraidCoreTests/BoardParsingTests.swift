import Testing
@testable import BraidCore

@Suite struct BoardParsingTests {
    typealias Criterion = BoardTask.Criterion
    typealias FencedBlock = BoardTask.FencedBlock

    @Test func readsEveryPartOfTheIssuesExampleTask() throws {
        let board = try BoardFixtures.board("example.md")
        let task = try #require(board.task(id: 12))
        #expect(task.title == "Add login page")
        #expect(task.section == .todo)
        #expect(task.line == 8)
        #expect(task.owner == nil)
        #expect(!task.isChecked)
        #expect(task.descriptionLines == ["Users sign in with email."])
        #expect(task.criteria == [Criterion(isChecked: false, text: "form validates email"),
                                  Criterion(isChecked: true, text: "error shown on failure")])
        #expect(task.agent == "claude")
        #expect(task.touches == ["src/auth/**", "src/ui/login.*"])
        #expect(task.after == [11])
        #expect(task.priority == 2)
        #expect(task.blockedReason == nil)
        #expect(task.fencedBlocks == [FencedBlock(info: "sh", contents: "echo hi > file.txt\n")])
    }

    @Test func readsOwnersBlockedReasonsCheckedTasksAndTasksWithoutIDs() throws {
        let board = try BoardFixtures.board("example.md")
        #expect(board.tasks.map(\.id) == [12, nil, 11, 9, 3])
        #expect(board.tasks[1].title == "Task without id yet")
        #expect(board.task(id: 11)?.owner == "claude")
        #expect(board.task(id: 11)?.section == .inProgress)
        #expect(board.task(id: 9)?.blockedReason == "gate failed 3 times (escalated)")
        #expect(board.task(id: 9)?.section == .blocked)
        #expect(board.task(id: 3)?.isChecked == true)
        #expect(board.task(id: 3)?.section == .done)
        #expect(board.problems.isEmpty)
        #expect(board.nextID == 13)
    }

    @Test func sectionHeadingsMatchCaseInsensitivelyWithSpacingAndClosingHashes() throws {
        let board = try BoardFixtures.board("odd-spacing.md")
        #expect(board.sectionsPresent == BoardSection.allCases)
        #expect(board.task(id: 4)?.section == .inProgress)
        #expect(board.task(id: 5)?.section == .done)
        #expect(BoardSection(heading: "  in \t PROGRESS ") == .inProgress)
        #expect(BoardSection(heading: "Notes (unknown section: kept as is)") == nil)
    }

    @Test func oddSpacingAroundTheCheckboxIdAndOwnerIsRead() throws {
        let board = try BoardFixtures.board("odd-spacing.md")
        #expect(board.task(id: 1)?.title == "Lots of space before the title")
        #expect(board.task(id: 4)?.owner == "gemini")
        #expect(board.task(id: 5)?.isChecked == true)
        let sibling = try #require(board.task(id: 3))
        #expect(sibling.agent == "claude")
        #expect(sibling.priority == 5)
        #expect(sibling.touches == ["src/a.swift", "src/b.swift"])
        #expect(sibling.criteria == [Criterion(isChecked: false, text: "indented more than #3: a criterion of it")])
    }

    @Test func linesIndentedMoreThanATaskAreItsBodyEvenWhenTheyLookLikeTasks() {
        let board = Board.parse("## Todo\n- [ ] Parent (#1)\n - [ ] one space deeper (#2)\n")
        #expect(board.tasks.map(\.id) == [1])
        #expect(board.task(id: 1)?.criteria.map(\.text) == ["one space deeper (#2)"])
    }

    @Test func taskLinesInFencesCommentsAndFrontMatterAreNotTasks() throws {
        #expect(try BoardFixtures.board("code-fences.md").tasks.map(\.id) == [1, 2, 3, 4])
        #expect(try BoardFixtures.board("html-comments.md").tasks.map(\.id) == [1, 2, 3])
        #expect(try BoardFixtures.board("front-matter.md").tasks.map(\.id) == [1])
        #expect(try BoardFixtures.board("html-comments.md").problems.isEmpty)
    }

    @Test func aCommentOrFenceHidesHeadingsToo() throws {
        let comments = try BoardFixtures.board("html-comments.md")
        #expect(comments.task(id: 2)?.section == .todo)
        let fences = try BoardFixtures.board("code-fences.md")
        #expect(fences.sections.filter { $0.section == .todo }.count == 1)
    }

    @Test func fenceContentsAreNeverFieldsOrCriteria() throws {
        let task = try #require(try BoardFixtures.board("code-fences.md").task(id: 1))
        #expect(task.agent == "script")
        #expect(task.priority == nil)
        #expect(task.criteria.isEmpty)
        #expect(task.fencedBlocks == [FencedBlock(info: "sh", contents:
            "set -eu\necho \"- [ ] not a criterion\"\nagent: not-a-field\npriority: high\n")])
    }

    @Test func aFenceClosesOnlyOnItsOwnMarkerAtLeastAsLong() throws {
        let board = try BoardFixtures.board("code-fences.md")
        #expect(board.task(id: 2)?.fencedBlocks == [FencedBlock(info: "python", contents: "print(\"```\")\n")])
        #expect(board.task(id: 3)?.fencedBlocks == [FencedBlock(info: "markdown", contents: "```sh\necho nested\n```\n")])
    }

    @Test func anUnclosedFenceInABodyEndsWithTheBody() throws {
        let board = try BoardFixtures.board("code-fences.md")
        #expect(board.task(id: 4)?.fencedBlocks == [FencedBlock(info: "", contents: "still code\nafter: eleven\n")])
        #expect(board.task(id: 4)?.after == [])
        #expect(board.problems.isEmpty)
    }

    @Test func fencedBlockContentsLoseTheFencesIndentationOnly() throws {
        let board = try BoardFixtures.board("tabs.md")
        #expect(board.task(id: 1)?.fencedBlocks == [FencedBlock(info: "sh", contents: "printf \"a\\tb\\n\"\n")])
    }

    @Test func blankLinesBelongToTheBodyOnlyWhileIndentedLinesFollow() throws {
        let board = try BoardFixtures.board("bodies.md")
        let first = try #require(board.task(id: 1))
        #expect(first.descriptionLines == ["First paragraph of the description.", "",
                                           "Second paragraph, after a blank line.",
                                           "  Indented more: still description.",
                                           "Notes: unknown keys are description"])
        #expect(first.agent == "claude")
        #expect(first.span == 1..<8)
        #expect(board.task(id: 2)?.descriptionLines == ["whitespace-only line above is inside the body"])
    }

    @Test func unknownKeyValueLinesAreDescription() {
        let board = Board.parse("## Todo\n- [ ] T (#1)\n  reviewer: alice\n  Agent: codex\n")
        #expect(board.task(id: 1)?.descriptionLines == ["reviewer: alice"])
        #expect(board.task(id: 1)?.agent == "codex")
    }

    @Test func starPlusAndCapitalXAreTasksButLinksAndBracketedWordsAreNot() throws {
        let board = try BoardFixtures.board("markers.md")
        #expect(board.tasks.map(\.id) == [1, 2, 3, 4])
        #expect(board.tasks.map(\.isChecked) == [false, false, true, true])
        #expect(board.problems.isEmpty)
    }

    @Test func ownersFollowEmDashDoubleHyphenOrEnDash() throws {
        let board = try BoardFixtures.board("owners.md")
        #expect(board.task(id: 1)?.owner == "claude")
        #expect(board.task(id: 2)?.owner == "codex")
        #expect(board.task(id: 3)?.owner == "aider")
        #expect(board.task(id: 4)?.title == "Title — with a dash inside")
        #expect(board.task(id: 4)?.owner == "gemini")
    }

    @Test func theIDIsTheLastParenthesisedNumberEndingTheTitle() throws {
        let board = try BoardFixtures.board("owners.md")
        #expect(board.task(id: 5)?.title == "Fix (#12) handling in titles")
        #expect(board.task(id: 12) == nil)
        #expect(board.task(id: 6)?.title == "Mentions (#x) mid-title")
        // A single hyphen is not an owner separator, so `(#7)` is not at the end: no id.
        let last = try #require(board.tasks.last)
        #expect(last.id == nil)
        #expect(last.title == "Hyphen is not a separator (#7) - bob")
    }

    @Test func taskLikeLinesOutsideKnownSectionsAreNeitherTasksNorProblems() throws {
        let board = try BoardFixtures.board("unknown-sections.md")
        #expect(board.tasks.map(\.id) == [1, 2])
        #expect(board.problems.isEmpty)
    }

    @Test func deeperHeadingsStayInTheirSectionAndALevelOneHeadingEndsIt() throws {
        let board = try BoardFixtures.board("unknown-sections.md")
        #expect(board.task(id: 2)?.section == .todo)
        #expect(board.task(id: 93) == nil)
        let variants = try BoardFixtures.board("heading-variants.md")
        #expect(variants.task(id: 3)?.section == .inProgress)
    }

    @Test func headingsNeedASpaceAndAtMostThreeSpacesOfIndentation() throws {
        let board = try BoardFixtures.board("heading-variants.md")
        #expect(board.tasks.map(\.id) == [1, 2, 3])
        #expect(board.task(id: 1)?.section == .todo)
        #expect(board.task(id: 1)?.descriptionLines == ["## Done", "indented four: code, not a heading"])
        #expect(board.task(id: 2)?.section == .inProgress)
    }

    @Test func criteriaNestAtAnyDepthAndPlainBulletsAreDescription() throws {
        let board = try BoardFixtures.board("nested-lists.md")
        let parent = try #require(board.task(id: 1))
        #expect(parent.criteria == [Criterion(isChecked: false, text: "criterion one"),
                                    Criterion(isChecked: true, text: "nested criterion"),
                                    Criterion(isChecked: false, text: "deeper criterion")])
        #expect(parent.descriptionLines == ["- plain bullet in the body", "1. numbered item"])
        #expect(board.task(id: 2)?.criteria == [Criterion(isChecked: true, text: "star criterion")])
    }

    @Test func aCheckboxUnderAPlainBulletIsNotATask() throws {
        let board = try BoardFixtures.board("nested-lists.md")
        #expect(board.tasks.map(\.id) == [1, 2, 3])
    }

    @Test func tabsIndentBodiesAndSeparateTheCheckbox() throws {
        let board = try BoardFixtures.board("tabs.md")
        let task = try #require(board.task(id: 1))
        #expect(task.title == "Tabs after the bullet")
        #expect(task.descriptionLines == ["Body indented with a tab."])
        #expect(task.criteria.map(\.text) == ["criterion after a tab"])
        #expect(task.agent == "claude")
        #expect(board.task(id: 2)?.title == "Title\twith a tab inside")
    }

    @Test func nonASCIITextIsReadAsWritten() throws {
        let board = try BoardFixtures.board("non-ascii.md")
        #expect(board.task(id: 1)?.title == "Café au lait")
        #expect(board.task(id: 1)?.owner == "José")
        #expect(board.task(id: 1)?.criteria.map(\.text) == ["✅ émojis 👩‍💻 survive"])
        #expect(board.task(id: 3)?.touches == ["docs/ünïcödé/**", "路径/*.md"])
        #expect(Array(try #require(board.task(id: 2)).title.utf8) == Array("De\u{301}compose\u{301}: Cafe\u{301}".utf8))
    }

    @Test func crlfEndsAreNotPartOfTheText() throws {
        let board = try BoardFixtures.board("crlf.md")
        #expect(board.task(id: 4)?.agent == "aider")
        #expect(board.task(id: 4)?.descriptionLines == ["Windows users edit this file."])
        #expect(board.task(id: 3)?.owner == "claude")
        #expect(board.tasks.map(\.id) == [4, nil, 3, 1])
    }

    @Test func aByteOrderMarkDoesNotHideTheFirstHeading() throws {
        let board = try BoardFixtures.board("crlf-bom-no-final-newline.md")
        #expect(board.task(id: 7)?.section == .todo)
        #expect(board.task(id: 7)?.touches == ["src/**"])
        #expect(board.task(id: 6)?.section == .done)
    }

    @Test func aLoneCarriageReturnIsTextNotALineEnd() throws {
        let board = try BoardFixtures.board("whitespace.md")
        #expect(board.task(id: 1)?.title == "Lone CR\rinside a line")
        #expect(board.task(id: 1)?.line == 2)
        #expect(board.task(id: 1)?.descriptionLines == ["body after a whitespace line"])
    }

    @Test func aRepeatedSectionIsReadAndReported() throws {
        let board = try BoardFixtures.board("duplicate-sections.md")
        #expect(board.tasks(in: .todo).map(\.id) == [1, 3])
        #expect(board.problems.map(\.line) == [5])
    }

    @Test func theEmptyBoardHasTheFiveSectionsAndNoTasks() {
        #expect(Board.empty.sectionsPresent == BoardSection.allCases)
        #expect(Board.empty.tasks.isEmpty)
        #expect(Board.empty.problems.isEmpty)
        #expect(Board.empty.nextID == 1)
        #expect(Board.parse("").sectionsPresent.isEmpty)
    }
}
