import Foundation
import Testing
@testable import BraidCore

@Suite struct WorktreeCleanupTests {
    /// `git worktree list --porcelain` of the checkout, as paths.
    func registeredPaths(_ fixture: GitFixture, _ checkout: URL) throws -> [String] {
        try fixture.git(["worktree", "list", "--porcelain"], in: checkout)
            .split(separator: "\n").filter { $0.hasPrefix("worktree ") }.map { String($0.dropFirst("worktree ".count)) }
    }

    @Test func removeDeletesTheFolderTheBranchAndTheRegistration() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 1, title: "Done task")
        try fixture.write("uncommitted\n", to: "scratch.txt", in: worktree.path)

        try manager.remove(worktree)

        #expect(!WorktreeManager.entryExists(worktree.path))
        #expect(try fixture.branches(in: checkout) == ["main"])
        #expect(try registeredPaths(fixture, checkout) == [checkout.path])
        #expect(try manager.list().isEmpty)
    }

    @Test func removeCanKeepTheBranch() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 2, title: "Keep my branch")
        try manager.remove(worktree, deleteBranch: false)
        #expect(!WorktreeManager.entryExists(worktree.path))
        #expect(try fixture.branches(in: checkout) == ["braid/2-keep-my-branch", "main"])
    }

    @Test func removeTakesALockedWorktreeToo() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 3, title: "Locked")
        try fixture.git(["worktree", "lock", "--reason", "testing", worktree.path.path], in: checkout)
        #expect(try manager.list().first?.lockReason == "testing")

        try manager.remove(worktree)

        #expect(!WorktreeManager.entryExists(worktree.path))
        #expect(try registeredPaths(fixture, checkout) == [checkout.path])
        #expect(try fixture.branches(in: checkout) == ["main"])
    }

    @Test func removingWhatIsAlreadyGoneSucceeds() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 4, title: "Twice")
        try manager.remove(worktree)
        try manager.remove(worktree)
        #expect(try fixture.branches(in: checkout) == ["main"])
    }

    @Test func removeRefusesABranchNameThatIsAnOption() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        #expect(throws: GitError.invalidBranchName(context: "removing worktree x", name: "--all")) {
            try manager.remove(path: manager.worktreeRoot.appendingPathComponent("x"), branch: "--all")
        }
    }

    @Test func listReportsLocksMissingFoldersAndCanIncludeEveryWorktree() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let kept = try manager.create(taskID: 1, title: "kept")
        let locked = try manager.create(taskID: 2, title: "locked")
        let deleted = try manager.create(taskID: 3, title: "deleted")
        try fixture.git(["worktree", "lock", locked.path.path], in: checkout)
        try FileManager.default.removeItem(at: deleted.path)
        let own = fixture.folder.appendingPathComponent("users-own")
        try fixture.git(["worktree", "add", "--quiet", "-b", "mine", own.path], in: checkout)

        let listed = try manager.list()
        #expect(listed.map(\.branch) == ["braid/1-kept", "braid/2-locked", "braid/3-deleted"])
        #expect(listed.map(\.head) == Array(repeating: kept.startCommit, count: 3))
        #expect(listed.map(\.isLocked) == [false, true, false])
        #expect(listed.map(\.lockReason) == [nil, nil, nil])
        #expect(listed.map(\.folderExists) == [true, true, false])
        #expect(listed.map(\.isPrunable) == [false, false, true])
        #expect(try manager.list(all: true).map(\.branch) == ["main", "braid/1-kept", "braid/2-locked", "braid/3-deleted", "mine"])
    }

    @Test func pruneRemovesAWorktreeWhoseFolderWasDeletedByHandAndItsBranch() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 5, title: "Deleted by hand")
        try FileManager.default.removeItem(at: worktree.path)

        let pruned = try manager.prune()

        #expect(pruned == ["worktree \(worktree.path.path) (folder deleted)", "branch braid/5-deleted-by-hand"])
        #expect(try registeredPaths(fixture, checkout) == [checkout.path])
        #expect(try fixture.branches(in: checkout) == ["main"])
        #expect(try manager.prune().isEmpty)
    }

    @Test func pruneRemovesALockedWorktreeWhoseFolderIsGone() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 6, title: "Locked and gone")
        try fixture.git(["worktree", "lock", worktree.path.path], in: checkout)
        try FileManager.default.removeItem(at: worktree.path)
        // git's own prune leaves it.
        try fixture.git(["worktree", "prune"], in: checkout)
        #expect(try registeredPaths(fixture, checkout).count == 2)

        let pruned = try manager.prune()

        #expect(pruned == ["worktree \(worktree.path.path) (folder deleted, was locked)", "branch braid/6-locked-and-gone"])
        #expect(try registeredPaths(fixture, checkout) == [checkout.path])
        #expect(try fixture.branches(in: checkout) == ["main"])
    }

    @Test func pruneLeavesLiveWorktreesLockedOrNotAndOtherPeoplesWorktrees() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let live = try manager.create(taskID: 1, title: "live")
        let locked = try manager.create(taskID: 2, title: "locked live")
        try fixture.git(["worktree", "lock", locked.path.path], in: checkout)
        let own = fixture.folder.appendingPathComponent("users-own")
        try fixture.git(["worktree", "add", "--quiet", "-b", "mine", own.path], in: checkout)
        try FileManager.default.removeItem(at: own)

        #expect(try manager.prune().isEmpty)
        #expect(try manager.list().map(\.path.path) == [live.path.path, locked.path.path])
        #expect(try registeredPaths(fixture, checkout).count == 4)
    }

    @Test func pruneKeepsABranchWhoseWorktreeIsGoneWhenItHasCommitsOfItsOwn() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let worked = try manager.create(taskID: 7, title: "Has work")
        try fixture.commit("work\n", to: "work.txt", in: worked.path)
        let idle = try manager.create(taskID: 8, title: "No work")
        try manager.remove(worked, deleteBranch: false)
        try manager.remove(idle, deleteBranch: false)

        #expect(try manager.prune() == ["branch braid/8-no-work"])
        #expect(try fixture.branches(in: checkout) == ["braid/7-has-work", "main"])
        #expect(try manager.prune(includingUnmergedBranches: true) == ["branch braid/7-has-work"])
        #expect(try fixture.branches(in: checkout) == ["main"])
    }
}
