#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization
import Testing
@testable import BraidCore

/// A fresh directory under the system's temporary folder, removed when the test ends.
final class TemporaryDirectory {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("braid-board-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    var board: URL { url.appendingPathComponent("BOARD.md") }
    var lock: URL { url.appendingPathComponent(".braid/board.lock") }
    var store: BoardStore { BoardStore(path: board, lockPath: lock) }

    func write(_ text: String) throws { try Data(text.utf8).write(to: board) }
    func bytes() throws -> [UInt8] { Array(try Data(contentsOf: board)) }
    func text() throws -> String { String(decoding: try bytes(), as: UTF8.self) }
}

@Suite struct BoardStoreTests {
    @Test func aMissingFileReadsAsTheEmptyBoard() throws {
        let dir = try TemporaryDirectory()
        let board = try dir.store.read()
        #expect(board.render() == Board.emptyText)
        #expect(board.sectionsPresent == BoardSection.allCases)
        #expect(!FileManager.default.fileExists(atPath: dir.board.path))
    }

    @Test func updateCreatesTheBoardAndTheLockFile() throws {
        let dir = try TemporaryDirectory()
        let id = try dir.store.update { try $0.add(title: "First") }
        #expect(id == 1)
        #expect(try dir.text() == "## Todo\n- [ ] First (#1)\n\n## In Progress\n\n## Review\n\n## Blocked\n\n## Done\n")
        #expect(FileManager.default.fileExists(atPath: dir.lock.path))
    }

    @Test func aPersonsEditBetweenBraidsReadAndWriteSurvives() throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text("example.md"))
        let store = dir.store
        let seen = try store.read()
        #expect(seen.task(id: 12) != nil)
        // The person saves an edit after Braid read the board...
        var edited = try dir.text()
        edited = edited.replacingOccurrences(of: "Some prose.", with: "Some prose, edited by hand.")
        edited = edited.replacingOccurrences(of: "## In Progress\n", with: "## In Progress\n- [ ] Written by a person (#40)\n")
        try dir.write(edited)
        // ...and then Braid changes the board.
        let id = try store.update { board in
            try board.setOwner(id: 12, "claude")
            return try board.add(title: "Added by Braid")
        }
        // The fixture's task written without an id got 41 first.
        #expect(id == 42)
        let after = try store.read()
        #expect(after.task(id: 40)?.title == "Written by a person")
        #expect(after.task(id: 41)?.title == "Task without id yet")
        #expect(after.task(id: 42)?.title == "Added by Braid")
        #expect(after.task(id: 12)?.owner == "claude")
        #expect(try dir.text().contains("Some prose, edited by hand.\n"))
    }

    @Test func aPersonsSaveThatLandsWhileBraidWritesIsNotOverwritten() throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text("example.md"))
        var calls = 0
        let id = try dir.store.update { board in
            calls += 1
            if calls == 1 {
                // The person's editor saves (by rename, as editors do) while Braid is mid-update.
                let edited = try dir.text().replacingOccurrences(of: "Some prose.", with: "Some prose, saved meanwhile.")
                try AtomicFile.write(edited, to: dir.board)
            }
            return try board.add(title: "Added by Braid")
        }
        #expect(calls == 2)
        #expect(try dir.text().contains("Some prose, saved meanwhile."))
        #expect(try dir.store.read().task(id: id)?.title == "Added by Braid")
    }

    @Test func anIDRemovedByHandIsNeverHandedOutAgain() throws {
        let dir = try TemporaryDirectory()
        try dir.write(Board.emptyText)
        let first = try dir.store.update { try $0.add(title: "first") }
        let second = try dir.store.update { try $0.add(title: "second") }
        try dir.write(try dir.text().replacingOccurrences(of: "- [ ] second (#\(second))\n", with: ""))
        let third = try dir.store.update { try $0.add(title: "third") }
        #expect(first == 1)
        #expect(third == second + 1)
    }

    @Test func eightWritersAddingAtOnceAllLandWithDistinctIDs() throws {
        let dir = try TemporaryDirectory()
        try dir.write(Board.emptyText)
        let writers = 8, adds = 25
        let failures = Mutex<[String]>([])
        let ids = Mutex<[Int]>([])
        let group = DispatchGroup()
        for writer in 0..<writers {
            group.enter()
            // Threads, not tasks: each blocks in flock(2) the way a separate process would, and
            // each store opens the lock file itself, so the locks contend like processes' do.
            let store = BoardStore(path: dir.board, lockPath: dir.lock)
            Thread {
                for n in 0..<adds {
                    do {
                        let id = try store.update { try $0.add(title: "writer \(writer) add \(n)") }
                        ids.withLock { $0.append(id) }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                }
                group.leave()
            }.start()
        }
        #expect(group.wait(timeout: .now() + 120) == .success)
        #expect(failures.withLock { $0 } == [])
        let board = try dir.store.read()
        #expect(board.tasks.count == writers * adds)
        #expect(Set(board.tasks.compactMap(\.id)) == Set(1...(writers * adds)))
        #expect(Set(ids.withLock { $0 }) == Set(1...(writers * adds)))
        #expect(board.problems.isEmpty)
        for writer in 0..<writers {
            let titles = board.tasks.map(\.title).filter { $0.hasPrefix("writer \(writer) ") }
            #expect(titles == (0..<adds).map { "writer \(writer) add \($0)" })
        }
    }

    @Test func anUpdateThatChangesNothingDoesNotRewriteTheFile() throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text("crlf.md"))
        // The first update numbers the fixture's tasks written without an id: a real change.
        try dir.store.update { _ in }
        let before = try FileManager.default.attributesOfItem(atPath: dir.board.path)[.systemFileNumber] as? Int
        try dir.store.update { board in
            try board.move(id: 3, to: .inProgress)
            try board.setOwner(id: 3, "claude")
        }
        let after = try FileManager.default.attributesOfItem(atPath: dir.board.path)[.systemFileNumber] as? Int
        #expect(before == after)
        try dir.store.update { _ in }
        #expect(try FileManager.default.attributesOfItem(atPath: dir.board.path)[.systemFileNumber] as? Int == before)
    }

    @Test func anUpdateOnAMissingFileThatChangesNothingCreatesNoFile() throws {
        let dir = try TemporaryDirectory()
        try dir.store.update { _ in }
        #expect(!FileManager.default.fileExists(atPath: dir.board.path))
    }

    @Test func anUpdateThatThrowsWritesNothing() throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text("example.md"))
        let before = try dir.bytes()
        #expect(throws: BoardError.unknownTask(id: 99)) {
            try dir.store.update { board in
                try board.add(title: "Would be added")
                try board.move(id: 99, to: .done)
            }
        }
        #expect(try dir.bytes() == before)
    }

    @Test func writesAreAtomicLeaveNoTemporaryFilesAndKeepPermissions() throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text("example.md"))
        chmod(dir.board.path, 0o600)
        try dir.store.update { try $0.add(title: "x") }
        let mode = try FileManager.default.attributesOfItem(atPath: dir.board.path)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.url.path).sorted()
        #expect(files == [".braid", "BOARD.md"])
    }

    @Test func crlfABOMAndNoFinalNewlineSurviveAnUpdate() throws {
        let dir = try TemporaryDirectory()
        let original = try BoardFixtures.bytes("crlf-bom-no-final-newline.md")
        try Data(original).write(to: dir.board)
        try dir.store.update { try $0.setOwner(id: 7, "claude") }
        let text = try dir.text()
        #expect(try dir.bytes().starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(text.hasSuffix("- [x] No final newline, CRLF, BOM (#6)"))
        #expect(text.contains("- [ ] Everything at once (#7) — claude\r\n"))
        try dir.store.update { try $0.setOwner(id: 7, nil) }
        #expect(try dir.bytes() == original)
    }

    @Test func aBoardThatIsNotUTF8IsRefusedNotRewritten() throws {
        let dir = try TemporaryDirectory()
        let latin1: [UInt8] = Array("## Todo\n- [ ] Caf".utf8) + [0xE9] + Array(" (#1)\n".utf8)
        try Data(latin1).write(to: dir.board)
        #expect(throws: BoardError.notUTF8(path: dir.board.path)) { try dir.store.read() }
        #expect(throws: BoardError.notUTF8(path: dir.board.path)) { try dir.store.update { try $0.add(title: "x") } }
        #expect(try dir.bytes() == latin1)
    }

    @Test func aSymlinkedBoardIsUpdatedThroughTheLink() throws {
        let dir = try TemporaryDirectory()
        let real = dir.url.appendingPathComponent("real.md")
        try Data(Board.emptyText.utf8).write(to: real)
        try FileManager.default.createSymbolicLink(at: dir.board, withDestinationURL: real)
        try dir.store.update { try $0.add(title: "Through the link") }
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: dir.board.path) == real.path)
        #expect(String(decoding: try Data(contentsOf: real), as: UTF8.self).contains("Through the link (#1)"))
    }

    /// A board Braid wrote is read back from memory, not parsed again: it must be exactly what
    /// parsing the file gives, whatever the file looked like before the change.
    @Test(arguments: BoardFixtures.names)
    func aBoardReadBackAfterAWriteEqualsAFreshParse(_ name: String) throws {
        let dir = try TemporaryDirectory()
        try dir.write(try BoardFixtures.text(name))
        let store = dir.store
        let first = try store.read().tasks.first { $0.id != nil }?.id
        do {
            try store.update { board in
                _ = try board.add(title: "Added by Braid", body: "A body.", fields: [.touches: "src/**"])
                if let first {
                    try board.move(id: first, to: .inProgress)
                    try board.setOwner(id: first, "claude")
                    try board.setField(id: first, key: .blocked, value: "a reason")
                }
            }
        } catch is BoardError {
            return  // a board Braid refuses to change (an id written twice): nothing was written
        }
        let remembered = try store.read()
        let parsed = Board.parse(try dir.text())
        #expect(remembered.render() == parsed.render())
        #expect(remembered.tasks == parsed.tasks)
        #expect(remembered.problems == parsed.problems)
        #expect(remembered.sectionsPresent == parsed.sectionsPresent)
        #expect(remembered.nextID == parsed.nextID)
    }

    @Test func errorsNameTheFileAndWhatWasBeingDone() throws {
        let dir = try TemporaryDirectory()
        // The lock's directory cannot be created under a regular file.
        try dir.write(Board.emptyText)
        let store = BoardStore(path: dir.board, lockPath: dir.board.appendingPathComponent("board.lock"))
        do {
            try store.update { try $0.add(title: "x") }
            Issue.record("expected a locking error")
        } catch let error as BoardError {
            #expect(error.description.hasPrefix("locking the board with \(dir.board.path)/board.lock"))
        }
    }
}
