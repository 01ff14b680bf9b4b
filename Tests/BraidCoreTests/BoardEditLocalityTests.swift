import Testing
@testable import BraidCore

/// Every operation on every board of the corpus changes only the lines it concerns: all other
/// lines keep their bytes, endings included.
@Suite struct BoardEditLocalityTests {
    /// The tasks an operation may address: those with an id that is not duplicated.
    static func addressable(_ board: Board) -> [(Int, BoardTask)] {
        board.tasks.compactMap { task in
            guard let id = task.id, board.duplicateIDs[id] == nil else { return nil }
            return (id, task)
        }
    }

    static func text(_ line: RawLine) -> Substring {
        Substring(decoding: line.content, as: UTF8.self)
    }

    @Test(arguments: BoardFixtures.names)
    func settingAnOwnerChangesOnlyTheTaskLine(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for (id, task) in Self.addressable(board) {
            var edited = board
            try edited.setOwner(id: id, "tester")
            let line = task.line - 1
            expectOnly(old: old, removed: line..<(line + 1), new: rawLines(edited), inserted: line..<(line + 1), "#\(id)")
            #expect(edited.task(id: id)?.owner == "tester")
            try edited.setOwner(id: id, nil)
            #expect(edited.task(id: id)?.owner == nil)
            #expect(edited.task(id: id)?.title == task.title)
        }
    }

    @Test(arguments: BoardFixtures.names)
    func settingATitleChangesOnlyTheTaskLine(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for (id, task) in Self.addressable(board) {
            var edited = board
            try edited.setTitle(id: id, "New title $(rm -rf ~) (#x) — 🚀")
            let line = task.line - 1
            expectOnly(old: old, removed: line..<(line + 1), new: rawLines(edited), inserted: line..<(line + 1), "#\(id)")
            let renamed = try #require(edited.task(id: id))
            #expect(renamed.title == "New title $(rm -rf ~) (#x) — 🚀")
            #expect(renamed.owner == task.owner)
            #expect(renamed.isChecked == task.isChecked)
        }
    }

    @Test(arguments: BoardFixtures.names)
    func settingAFieldChangesOrInsertsOnlyItsLine(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for (id, task) in Self.addressable(board) {
            for field in [BoardField.priority, .agent] where task.fieldLines(field).count <= 1 {
                var edited = board
                try edited.setField(id: id, key: field, value: "7")
                #expect(edited.task(id: id)?.value(of: field) == "7")
                let new = rawLines(edited)
                let line = try #require(edited.task(id: id)?.fieldLines(field).first)
                if let existing = task.fieldLines(field).first {
                    #expect(existing == line)
                    expectOnly(old: old, removed: line..<(line + 1), new: new, inserted: line..<(line + 1), "#\(id) \(field)")
                } else {
                    expectOnly(old: old, removed: line..<line, new: new, inserted: line..<(line + 1), "#\(id) \(field)")
                    // Removing the line just added gives back the very same bytes.
                    try edited.setField(id: id, key: field, value: nil)
                    #expect(Array(edited.render().utf8) == Array(board.render().utf8), "#\(id) \(field)")
                }
            }
        }
    }

    @Test(arguments: BoardFixtures.names)
    func removingATaskRemovesOnlyItsLines(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for (id, task) in Self.addressable(board) {
            var edited = board
            try edited.remove(id: id)
            let at = task.span.lowerBound
            expectOnly(old: old, removed: task.span, new: rawLines(edited), inserted: at..<at, "#\(id)")
            #expect(edited.tasks.count == board.tasks.count - 1)
        }
    }

    @Test(arguments: BoardFixtures.names)
    func movingATaskMovesOnlyItsLines(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for (id, task) in Self.addressable(board) {
            for section in BoardSection.allCases where section != task.section {
                var edited = board
                try edited.move(id: id, to: section)
                let new = rawLines(edited)
                let moved = try #require(edited.task(id: id))
                #expect(moved.section == section)
                #expect(moved.isChecked == (section == .done))
                // With a new heading (and maybe a blank line) when the section was missing.
                let added = new.count - (old.count - task.span.count)
                let inserted = (moved.span.upperBound - added)..<moved.span.upperBound
                expectOnly(old: old, removed: task.span, new: new, inserted: inserted, "#\(id) to \(section)")
                // The block itself: the same lines, but for the checkbox's one character (and, for
                // an indented task that would otherwise land in another's body, its indentation).
                var before = Array(old[task.span])
                let after = Array(new[moved.span])
                let indent = MarkdownSyntax.indentation(Self.text(before[0])).columns
                if indent > 0, MarkdownSyntax.indentation(Self.text(after[0])).columns == 0 {
                    before = before.map { RawLine(content: Array(MarkdownSyntax.dedent(Self.text($0), by: indent).utf8), ending: $0.ending) }
                }
                #expect(before.count == after.count)
                #expect(zip(before[0].content, after[0].content).filter { $0 != $1 }.count <= 1)
                #expect(before[0].content.count == after[0].content.count)
                #expect(before.dropFirst().map(\.content) == after.dropFirst().map(\.content), "#\(id) to \(section)")
            }
        }
    }

    @Test(arguments: BoardFixtures.names)
    func addingATaskInsertsOnlyItsLinesAtTheEndOfTheSection(fixture: String) throws {
        let board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        for section in BoardSection.allCases {
            var edited = board
            let id = try edited.add(title: "Added", body: "With a body.", fields: [.agent: "claude"], to: section)
            #expect(id == board.nextID)
            let new = rawLines(edited)
            let task = try #require(edited.task(id: id))
            #expect(task.section == section)
            #expect(task.span.count == 3)
            if board.sectionsPresent.contains(section) {
                expectOnly(old: old, removed: task.span.lowerBound..<task.span.lowerBound, new: new, inserted: task.span, "\(section)")
                // Only blank lines follow it in its section, and it directly follows the section's
                // heading or its last line that is not blank.
                let span = try #require(edited.sections.first { $0.section == section })
                let end = min(span.end, edited.unclosedBlockStart ?? span.end)
                #expect(new[task.span.upperBound..<end].allSatisfy { MarkdownSyntax.isBlank(Substring(decoding: $0.content, as: UTF8.self)) })
                let previous = new[task.span.lowerBound - 1].content
                #expect(task.span.lowerBound - 1 == span.heading || !MarkdownSyntax.isBlank(Substring(decoding: previous, as: UTF8.self)))
            } else {
                let start = task.span.upperBound - (new.count - old.count)
                expectOnly(old: old, removed: start..<start, new: new, inserted: start..<task.span.upperBound, "\(section)")
                #expect(edited.sectionsPresent.last == section || edited.unclosedBlockStart != nil)
            }
        }
    }

    @Test(arguments: BoardFixtures.names)
    func assigningIDsChangesOnlyTheLinesOfTasksWithoutOne(fixture: String) throws {
        var board = try BoardFixtures.board(fixture)
        let old = rawLines(board)
        let unnumbered = Set(board.tasks.filter { $0.id == nil }.map { $0.line - 1 })
        let assigned = board.assignMissingIDs()
        #expect(assigned.count == unnumbered.count)
        let new = rawLines(board)
        #expect(new.count == old.count)
        for k in old.indices where !unnumbered.contains(k) {
            #expect(new[k] == old[k], "line \(k + 1)")
        }
        for (id, k) in zip(assigned, unnumbered.sorted()) {
            #expect(board.task(id: id)?.line == k + 1)
            #expect(new[k].ending == old[k].ending)
        }
    }
}
