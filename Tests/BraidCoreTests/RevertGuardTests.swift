import Foundation
import Testing
@testable import BraidCore

/// `LineRanges` and `RevertGuard` read patches git wrote: every patch here is real
/// `git diff -U0 -M` output between commits made in a temporary repository.
@Suite struct RevertGuardTests {
    /// A repository in which each step is a commit, and patches are asked of git.
    final class History {
        let fixture: GitFixture
        let checkout: URL

        init(_ files: [String: String]) throws {
            fixture = try GitFixture()
            checkout = try fixture.repository(files: files)
        }

        var head: String { get throws { try fixture.git(["rev-parse", "HEAD"], in: checkout) } }

        /// Writes `files`, deletes `deleting`, renames `renaming` (old → new, before writing), and
        /// commits; returns the commit.
        @discardableResult
        func commit(_ files: [String: String] = [:], deleting: [String] = [], renaming: [String: String] = [:]) throws -> String {
            for (old, new) in renaming { try fixture.git(["mv", "--", old, new], in: checkout) }
            for path in deleting { try fixture.git(["rm", "--quiet", "--", path], in: checkout) }
            for (path, text) in files { try fixture.write(text, to: path, in: checkout) }
            try fixture.git(["add", "--all"], in: checkout)
            try fixture.git(["commit", "--quiet", "-m", "step"], in: checkout)
            return try head
        }

        /// `git diff -U0 -M from to`, with git's usual prefixes and quoting whatever the user's config says.
        func diff(_ from: String, _ to: String) throws -> String {
            try fixture.git(["-c", "core.quotePath=true", "diff", "--no-color", "--no-ext-diff", "-U0", "-M",
                             "--src-prefix=a/", "--dst-prefix=b/", from, to], in: checkout)
        }

        func checkout(_ commit: String) throws { try fixture.git(["checkout", "--quiet", "--detach", commit], in: checkout) }
    }

    static let ten = (1...10).map { "l\($0)\n" }.joined()

    // MARK: LineRanges

    @Test func changesInsertionsAndDeletionsAreReadOnTheSideTheyHaveLines() throws {
        let history = try History(["a.txt": Self.ten])
        let before = try history.head
        // l2 changed, a line inserted after l3, l5 deleted, l7-l9 replaced by two lines.
        let after = try history.commit(["a.txt": "l1\nL2\nl3\nnew\nl4\nl6\nX\nY\nl10\n"])
        let patch = try history.diff(before, after)
        #expect(patch.contains("@@ -3,0 +4 @@") && patch.contains("@@ -5 +5,0 @@") && patch.contains("@@ -7,3 +7,2 @@"))

        #expect(LineRanges(patch: patch, side: .old).files == ["a.txt": [2...2, 5...5, 7...9]])
        #expect(LineRanges(patch: patch, side: .new).files == ["a.txt": [2...2, 4...4, 7...8]])
    }

    @Test func anAddedFileHasOnlyNewLinesAndADeletedOneOnlyOldLines() throws {
        let history = try History(["gone.txt": "a\nb\n", "kept.txt": "k\n"])
        let before = try history.head
        let after = try history.commit(["new.txt": "1\n2\n3\n"], deleting: ["gone.txt"])
        let patch = try history.diff(before, after)
        #expect(patch.contains("--- /dev/null") && patch.contains("+++ /dev/null"))

        #expect(LineRanges(patch: patch, side: .old).files == ["gone.txt": [1...2]])
        #expect(LineRanges(patch: patch, side: .new).files == ["new.txt": [1...3]])
    }

    @Test func aRenamedFileIsReadUnderTheNameOfEachSide() throws {
        let history = try History(["r.txt": Self.ten])
        let before = try history.head
        let after = try history.commit(["s.txt": Self.ten.replacingOccurrences(of: "l5\n", with: "FIVE\n")],
                                       renaming: ["r.txt": "s.txt"])
        let patch = try history.diff(before, after)
        #expect(patch.contains("rename from r.txt") && patch.contains("rename to s.txt"))

        #expect(LineRanges(patch: patch, side: .old).files == ["r.txt": [5...5]])
        #expect(LineRanges(patch: patch, side: .new).files == ["s.txt": [5...5]])
    }

    @Test func pathsWithSpacesQuotesBackslashesAndNonASCIIAreReadAsTheyAre() throws {
        let spaced = "dir with space/my file.txt"
        let quoted = "café \"q\" back\\slash.txt"
        let history = try History([spaced: "x\ny\n", quoted: "1\n2\n3\n"])
        let before = try history.head
        let after = try history.commit([spaced: "x\nY\n", quoted: "1\n2\nthree\nfour\n"])
        let patch = try history.diff(before, after)
        // git ends a header path with a space by a tab, and C-quotes the other (octal for é).
        #expect(patch.contains("--- a/dir with space/my file.txt\t"))
        #expect(patch.contains(#""a/caf\303\251 \"q\" back\\slash.txt""#))

        #expect(LineRanges(patch: patch, side: .old).files == [spaced: [2...2], quoted: [3...3]])
        #expect(LineRanges(patch: patch, side: .new).files == [spaced: [2...2], quoted: [3...4]])
    }

    /// A removed line reading `-- x` is `--- x` in a patch, an added `++ x` is `+++ x`: inside a
    /// hunk these are lines of the file, not the headers of another one.
    @Test func hunkLinesThatLookLikeFileHeadersStayInTheirFile() throws {
        let history = try History(["q.sql": "-- one\na\nb\nc\nd\n", "z.txt": "z\n"])
        let before = try history.head
        // Line 1 `-- one` becomes `++ x` (a hunk of `--- one`, `+++ x`); line 4 changes after it.
        let after = try history.commit(["q.sql": "++ x\na\nb\nC\nd\n", "z.txt": "Z\n"])
        let patch = try history.diff(before, after)
        #expect(patch.contains("\n--- one\n+++ x\n@@ -4 +4 @@"))

        #expect(LineRanges(patch: patch, side: .old).files == ["q.sql": [1...1, 4...4], "z.txt": [1...1]])
        #expect(LineRanges(patch: patch, side: .new).files == ["q.sql": [1...1, 4...4], "z.txt": [1...1]])
    }

    @Test func summaryNamesFilesInOrderWithLineOrLines() {
        let ranges = LineRanges(files: ["b.txt": [2...2], "a.swift": [3...5, 9...9], "c.md": [4...6]])
        #expect(ranges.summary == "a.swift lines 3-5, 9; b.txt line 2; c.md lines 4-6")
        #expect(LineRanges(files: ["one.txt": [7...7]]).summary == "one.txt line 7")
        #expect(LineRanges().summary == "" && LineRanges().isEmpty)
    }

    @Test func rangesAreMergedPerFileAndSorted() {
        let ranges = LineRanges(files: ["a": [10...12, 1...5, 4...8], "b": [3...3, 1...2], "empty": []])
        // Overlapping and adjacent ranges are one; a file without lines is left out.
        #expect(ranges.files == ["a": [1...8, 10...12], "b": [1...3]])
        #expect(ranges.contains(7, in: "a") && !ranges.contains(9, in: "a") && !ranges.contains(1, in: "c"))
    }

    // MARK: RevertGuard: S (the task's start), main (S plus landed work), M (the merged result)

    @Test func aMergeThatPutsBackTheOldLinesRevertsThem() throws {
        let history = try History(["f.txt": Self.ten])
        let start = try history.head
        let main = try history.commit(["f.txt": Self.ten.replacingOccurrences(of: "l4\nl5\n", with: "L4\nL5\n")])
        // The task's stale copy: main's lines 4-5 back as they were, and a change of its own.
        let merged = try history.commit(["f.txt": Self.ten.replacingOccurrences(of: "l9\n", with: "mine\n")])

        let reverted = RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged))
        #expect(reverted.files == ["f.txt": [4...5]])
        #expect(reverted.summary == "f.txt lines 4-5")
    }

    @Test func changesBesideTheLandedLinesRevertNothing() throws {
        let history = try History(["f.txt": Self.ten])
        let start = try history.head
        let landed = Self.ten.replacingOccurrences(of: "l4\nl5\n", with: "L4\nL5\n")
        let main = try history.commit(["f.txt": landed])
        // Line 1 changed, lines inserted right after the landed ones, another file added.
        let merged = try history.commit(["f.txt": landed.replacingOccurrences(of: "l1\n", with: "one\n")
                                            .replacingOccurrences(of: "L5\n", with: "L5\nextra\nextra\n"),
                                         "g.txt": "new\n"])

        #expect(RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged)).isEmpty)
    }

    /// A conflict resolved by extending a landed line keeps that line's work; writing something
    /// else in its place does not. Blank lines carry no work.
    @Test func aLandedLineWhoseTextSurvivesIsNotReverted() throws {
        let history = try History(["f.txt": Self.ten])
        let start = try history.head
        let landed = Self.ten.replacingOccurrences(of: "l3\n", with: "x = 2\n\n")
        let main = try history.commit(["f.txt": landed])
        let extended = try history.commit(["f.txt": landed.replacingOccurrences(of: "x = 2\n\n", with: "x = 2 + y\n")])
        let gained = try history.diff(start, main)
        #expect(RevertGuard.revertedLines(gained: gained, merged: try history.diff(main, extended)).isEmpty)

        let replaced = try history.commit(["f.txt": landed.replacingOccurrences(of: "x = 2\n\n", with: "x = 3\n\n")])
        #expect(RevertGuard.revertedLines(gained: gained, merged: try history.diff(main, replaced)).files == ["f.txt": [3...3]])
    }

    /// "Survives" means as a whole: a stale `retries = 30` does not hold the landed `retries = 3`.
    @Test func aLandedLineSurvivesOnlyAsAWholeWordOrNumber() throws {
        let history = try History(["f.txt": Self.ten.replacingOccurrences(of: "l3\n", with: "retries = 30\n")])
        let start = try history.head
        let main = try history.commit(["f.txt": Self.ten.replacingOccurrences(of: "l3\n", with: "retries = 3\n")])
        let stale = try history.commit(["f.txt": Self.ten.replacingOccurrences(of: "l3\n", with: "retries = 30\n")])
        #expect(RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, stale)).files
            == ["f.txt": [3...3]])
        #expect(RevertGuard.holds("x = 2 + y", "x = 2") && RevertGuard.holds("(x = 2)", "x = 2"))
        #expect(!RevertGuard.holds("x = 25", "x = 2") && !RevertGuard.holds("ax = 2", "x = 2") && !RevertGuard.holds("v1.2.1", "v1.2"))
    }

    @Test func deletingALineMainAddedRevertsIt() throws {
        let history = try History(["f.txt": Self.ten])
        let start = try history.head
        let main = try history.commit(["f.txt": Self.ten.replacingOccurrences(of: "l2\n", with: "l2\nadded\n")])
        let merged = try history.commit(["f.txt": Self.ten])

        let reverted = RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged))
        #expect(reverted.files == ["f.txt": [3...3]])
        #expect(reverted.summary == "f.txt line 3")
    }

    @Test func deletingAFileMainAddedRevertsAllItsLines() throws {
        let history = try History(["f.txt": "f\n"])
        let start = try history.head
        let main = try history.commit(["added.txt": "a\nb\nc\n"])
        let merged = try history.commit(deleting: ["added.txt"])

        #expect(RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged)).files
            == ["added.txt": [1...3]])
    }

    @Test func aRevertOfARenamedFileIsFoundUnderItsNewName() throws {
        let history = try History(["r.txt": Self.ten])
        let start = try history.head
        let main = try history.commit(["s.txt": Self.ten.replacingOccurrences(of: "l2\n", with: "L2\n")], renaming: ["r.txt": "s.txt"])
        let merged = try history.commit(["s.txt": Self.ten])

        let reverted = RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged))
        #expect(reverted.files == ["s.txt": [2...2]])
    }

    /// The merged patch first removes a `-- comment` line (shown as `--- comment`), then puts back
    /// a line main changed: the revert must still be seen, in its own file.
    @Test func aRemovedCommentLineDoesNotHideALaterRevert() throws {
        let history = try History(["q.sql": "-- one\na\nb\nc\nd\n"])
        let start = try history.head
        let main = try history.commit(["q.sql": "-- one\na\nb\nC\nd\n"])
        let merged = try history.commit(["q.sql": "a\nb\nc\nd\n"])

        let reverted = RevertGuard.revertedLines(gained: try history.diff(start, main), merged: try history.diff(main, merged))
        #expect(reverted.files == ["q.sql": [4...4]])
        #expect(reverted.summary == "q.sql line 4")
    }
}
