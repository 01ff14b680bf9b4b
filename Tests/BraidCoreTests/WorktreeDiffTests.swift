import Foundation
import Testing
@testable import BraidCore

@Suite struct WorktreeDiffTests {
    @Test func diffCoversCommittedStagedUnstagedAndUntrackedChangesAgainstTheStart() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository(files: ["a.txt": "a\n", "b.txt": "b1\nb2\n", "gone.txt": "bye\n"])
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 1, title: "Change things")
        let tree = worktree.path

        try fixture.commit("a\ncommitted\n", to: "a.txt", in: tree)
        try fixture.write("b1\n", to: "b.txt", in: tree)
        try fixture.write("staged\n", to: "staged.txt", in: tree)
        try fixture.git(["add", "staged.txt"], in: tree)
        try FileManager.default.removeItem(at: tree.appendingPathComponent("gone.txt"))
        try fixture.write("new 1\nnew 2\nnew 3\n", to: "dir/untracked file.txt", in: tree)
        try Data([0, 1, 2, 0, 255]).write(to: tree.appendingPathComponent("blob.bin"))
        try fixture.write("ignored\n", to: "build.log", in: tree)
        try fixture.write("*.log\n", to: ".gitignore", in: tree)
        let statusBefore = try fixture.git(["status", "--porcelain"], in: tree)
        let indexBefore = try Data(contentsOf: URL(fileURLWithPath: try fixture.git(["rev-parse", "--path-format=absolute", "--git-path", "index"], in: tree)))

        let stat = try manager.diffstat(worktree)

        #expect(stat == [
            FileChange(path: ".gitignore", added: 1, deleted: 0, isBinary: false),
            FileChange(path: "a.txt", added: 1, deleted: 0, isBinary: false),
            FileChange(path: "b.txt", added: 0, deleted: 1, isBinary: false),
            FileChange(path: "blob.bin", added: 0, deleted: 0, isBinary: true),
            FileChange(path: "dir/untracked file.txt", added: 3, deleted: 0, isBinary: false),
            FileChange(path: "gone.txt", added: 0, deleted: 1, isBinary: false),
            FileChange(path: "staged.txt", added: 1, deleted: 0, isBinary: false),
        ])
        let patch = try manager.diff(worktree)
        // git ends a name with a space in it with a tab on this line.
        #expect(patch.contains("+++ b/dir/untracked file.txt\t\n"))
        #expect(patch.contains("+new 2\n"))
        #expect(patch.contains("+committed\n"))
        #expect(patch.contains("-b2\n"))
        #expect(patch.contains("--- a/gone.txt\n"))
        #expect(patch.contains("Binary files /dev/null and b/blob.bin differ"))
        #expect(!patch.contains("build.log"))

        // The agent's index and view of its worktree are as they were.
        #expect(try fixture.git(["status", "--porcelain"], in: tree) == statusBefore)
        let indexAfter = try Data(contentsOf: URL(fileURLWithPath: try fixture.git(["rev-parse", "--path-format=absolute", "--git-path", "index"], in: tree)))
        #expect(indexAfter == indexBefore)
    }

    @Test func freshWorktreeHasAnEmptyDiffAndNoUncommittedChanges() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 2, title: "Nothing yet")
        #expect(try manager.diff(worktree).isEmpty)
        #expect(try manager.diffstat(worktree).isEmpty)
        #expect(try !manager.hasUncommittedChanges(worktree))
    }

    @Test func uncommittedChangesAreDetectedWhetherUntrackedStagedOrUnstaged() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository(files: ["a.txt": "a\n"])
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 3, title: "Dirty")
        let tree = worktree.path

        try fixture.write("new\n", to: "new.txt", in: tree)
        #expect(try manager.hasUncommittedChanges(worktree))
        try fixture.git(["add", "new.txt"], in: tree)
        #expect(try manager.hasUncommittedChanges(worktree))
        try fixture.git(["commit", "--quiet", "-m", "new"], in: tree)
        #expect(try !manager.hasUncommittedChanges(worktree))
        try fixture.write("changed\n", to: "a.txt", in: tree)
        #expect(try manager.hasUncommittedChanges(worktree))
        // Committed work is still the task's change.
        try fixture.git(["checkout", "--quiet", "--", "a.txt"], in: tree)
        #expect(try !manager.hasUncommittedChanges(worktree))
        #expect(try manager.diffstat(worktree) == [FileChange(path: "new.txt", added: 1, deleted: 0, isBinary: false)])
    }

    @Test func storedStartCommitThatIsNotAnIdIsRefused() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let real = try manager.create(taskID: 4, title: "x")
        let forged = TaskWorktree(taskID: 4, path: real.path, branch: real.branch, startCommit: "--output=/tmp/x",
                                  base: real.base, warnings: [])
        #expect(throws: GitError.invalidObjectID(context: "diffing #4", value: "--output=/tmp/x")) {
            try manager.diff(forged)
        }
    }

    @Test func numstatParserReadsTabsAndBinaryMarkers() {
        let text = "1\t2\ta\tb.txt\u{0}-\t-\timg.png\u{0}garbage\u{0}"
        #expect(FileChange.parseNumstat(text) == [
            FileChange(path: "a\tb.txt", added: 1, deleted: 2, isBinary: false),
            FileChange(path: "img.png", added: 0, deleted: 0, isBinary: true),
        ])
    }
}
