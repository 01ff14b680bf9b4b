import Foundation
import Testing
@testable import BraidCore

@Suite struct WorktreeCreateTests {
    @Test func startsFromTheRemoteBaseAfterFetchingWhenTheRemoteMoved() throws {
        let fixture = try GitFixture()
        let (remote, clone) = try fixture.clonedRepository()
        let before = try fixture.git(["rev-parse", "HEAD"], in: clone)
        // Someone else pushes to main; the clone has not fetched.
        let other = fixture.folder.appendingPathComponent("other")
        try fixture.git(["clone", "--quiet", remote.path, other.path], in: fixture.folder)
        let pushed = try fixture.commit("new\n", to: "new.txt", in: other)
        try fixture.git(["push", "--quiet", "origin", "main"], in: other)
        #expect(pushed != before)

        let manager = try fixture.manager(clone)
        let worktree = try manager.create(taskID: 7, title: "Use the new file")

        #expect(worktree.startCommit == pushed)
        #expect(worktree.base == BaseRef(name: "origin/main", ref: "refs/remotes/origin/main", commit: pushed,
                                         remote: "origin", fetched: true, warning: nil))
        #expect(try fixture.git(["rev-parse", "HEAD"], in: worktree.path) == pushed)
        #expect(FileManager.default.fileExists(atPath: worktree.path.appendingPathComponent("new.txt").path))
        #expect(worktree.branch == "braid/7-use-the-new-file")
        #expect(worktree.warnings.isEmpty)
        // The user's checkout is not touched: its main stays where it was.
        #expect(try fixture.git(["rev-parse", "main"], in: clone) == before)
    }

    @Test func startsFromTheLocalBranchWhenThereIsNoRemote() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let head = try fixture.commit("two\n", to: "two.txt", in: checkout)

        let worktree = try fixture.manager(checkout).create(taskID: 1, title: "Offline work")

        #expect(worktree.startCommit == head)
        #expect(worktree.base == BaseRef(name: "main", ref: "refs/heads/main", commit: head, remote: nil,
                                         fetched: false, warning: nil))
        #expect(worktree.path.path == checkout.appendingPathComponent(".braid/worktrees/1-offline-work").path)
        #expect(try fixture.git(["rev-parse", "--abbrev-ref", "HEAD"], in: worktree.path) == "braid/1-offline-work")
    }

    @Test func fallsBackToTheLocalBranchAndSaysSoWhenTheRemoteIsUnreachable() throws {
        let fixture = try GitFixture()
        let (_, clone) = try fixture.clonedRepository()
        try fixture.git(["remote", "set-url", "origin", fixture.folder.appendingPathComponent("gone.git").path], in: clone)
        let local = try fixture.commit("local\n", to: "local.txt", in: clone)

        let worktree = try fixture.manager(clone).create(taskID: 2, title: "Offline by accident")

        #expect(worktree.startCommit == local)
        #expect(worktree.base.name == "main" && worktree.base.remote == "origin" && !worktree.base.fetched)
        let warning = try #require(worktree.base.warning)
        #expect(warning.hasPrefix("could not fetch main from origin, so the base may be behind it: fetching main from origin: git fetch"))
        #expect(!warning.contains("\n"))
        #expect(worktree.warnings == [warning])
    }

    @Test func prefersOriginAmongSeveralRemotes() throws {
        let fixture = try GitFixture()
        let (remote, clone) = try fixture.clonedRepository()
        try fixture.git(["remote", "add", "aaa", remote.path], in: clone)
        let base = try fixture.manager(clone).resolveBase()
        #expect(base.remote == "origin" && base.fetched)
    }

    @Test func symlinksPointIntoTheMainCheckoutAndCopiesAreIndependentCopies() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository(files: ["README.md": "hi\n", ".gitignore": "node_modules/\n.env\n"])
        try fixture.write("module\n", to: "node_modules/left-pad/index.js", in: checkout)
        try fixture.write("cache\n", to: "tools/cache/data", in: checkout)
        try fixture.write("SECRET=1\n", to: ".env", in: checkout)
        let manager = try fixture.manager(checkout, symlinks: ["node_modules", "tools/cache", "not-there"],
                                          copies: [".env", "missing.env"])

        let worktree = try manager.create(taskID: 4, title: "Shared folders")

        let link = worktree.path.appendingPathComponent("node_modules")
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: link.path)
            == checkout.appendingPathComponent("node_modules").path)
        #expect(FileManager.default.fileExists(atPath: link.appendingPathComponent("left-pad/index.js").path))
        #expect(try FileManager.default.destinationOfSymbolicLink(atPath: worktree.path.appendingPathComponent("tools/cache").path)
            == checkout.appendingPathComponent("tools/cache").path)
        #expect(!WorktreeManager.entryExists(worktree.path.appendingPathComponent("not-there")))

        let copy = worktree.path.appendingPathComponent(".env")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: copy.path)) == nil)
        #expect(try String(contentsOf: copy, encoding: .utf8) == "SECRET=1\n")
        try Data("SECRET=2\n".utf8).write(to: copy)
        #expect(try String(contentsOf: checkout.appendingPathComponent(".env"), encoding: .utf8) == "SECRET=1\n")
        #expect(!WorktreeManager.entryExists(worktree.path.appendingPathComponent("missing.env")))

        // Neither the links nor the copy are offered to an agent's `git add -A`, and the main
        // checkout does not see the worktree root.
        #expect(try !manager.hasUncommittedChanges(worktree))
        #expect(try fixture.git(["status", "--porcelain"], in: checkout).isEmpty)
    }

    @Test func trackedPathIsNotReplacedByASymlinkAndTheWorktreeSaysSo() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository(files: ["vendor/lib.txt": "tracked\n"])
        let worktree = try fixture.manager(checkout, symlinks: ["vendor"]).create(taskID: 5, title: "t")
        #expect((try? FileManager.default.destinationOfSymbolicLink(atPath: worktree.path.appendingPathComponent("vendor").path)) == nil)
        #expect(worktree.warnings == ["did not symlink vendor: the worktree already has it"])
    }

    @Test func takenNamesGetTheNextNumberForBranchAndFolderAlike() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)

        let first = try manager.create(taskID: 9, title: "Same title")
        let second = try manager.create(taskID: 9, title: "Same title")
        // A folder in the way, and a branch without a folder.
        try FileManager.default.createDirectory(at: manager.worktreeRoot.appendingPathComponent("9-same-title-3"),
                                                withIntermediateDirectories: true)
        try fixture.git(["branch", "braid/9-same-title-4", "main"], in: checkout)
        let fifth = try manager.create(taskID: 9, title: "Same title")

        #expect(first.branch == "braid/9-same-title")
        #expect(second.branch == "braid/9-same-title-2")
        #expect(second.path.lastPathComponent == "9-same-title-2")
        #expect(fifth.branch == "braid/9-same-title-5")
        #expect(fifth.path.lastPathComponent == "9-same-title-5")
    }

    @Test func concurrentCreatesForOneTaskGetDistinctWorktrees() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let base = try manager.resolveBase()
        let jobs = (0..<4).map { _ in ThreadJob(name: "create") { try? manager.create(taskID: 3, title: "Race", from: base) } }
        let created = jobs.compactMap { $0.wait() }
        #expect(created.count == 4)
        #expect(Set(created.map(\.branch)).count == 4)
        #expect(Set(created.map(\.path)).count == 4)
    }

    @Test func rootOutsideTheRepositoryWorksAndLeavesTheExcludeFileAlone() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let exclude = checkout.appendingPathComponent(".git/info/exclude")
        let before = try? Data(contentsOf: exclude)
        let root = fixture.folder.appendingPathComponent("elsewhere/worktrees")
        let manager = try WorktreeManager(git: Git(repository: checkout), worktreeRoot: root)

        let worktree = try manager.create(taskID: 1, title: "Out of tree")

        #expect(worktree.path.path == root.appendingPathComponent("1-out-of-tree").path)
        #expect(try manager.list().map(\.path.path) == [worktree.path.path])
        #expect((try? Data(contentsOf: exclude)) == before)
    }

    @Test func excludeEntriesAreAddedOnce() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout, symlinks: ["node_modules"])
        _ = try manager.create(taskID: 1, title: "a")
        _ = try manager.create(taskID: 2, title: "b")
        let lines = try String(contentsOf: checkout.appendingPathComponent(".git/info/exclude"), encoding: .utf8)
            .split(separator: "\n")
        #expect(lines.filter { $0 == "/.braid/worktrees/" }.count == 1)
        #expect(lines.filter { $0 == "/node_modules" }.count == 1)
    }

    @Test func worktreeThatCannotBePreparedIsRemovedAgain() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository(files: ["a": "a file in the commit\n"])
        // In the main checkout `a` has become a folder: the worktree, from the commit, has a file there.
        try FileManager.default.removeItem(at: checkout.appendingPathComponent("a"))
        try fixture.write("x\n", to: "a/b/data", in: checkout)
        let manager = try fixture.manager(checkout, symlinks: ["a/b"])

        #expect {
            try manager.create(taskID: 1, title: "Cannot link")
        } throws: { error in
            guard case .fileOperationFailed(let context, _, _) = error as? GitError else { return false }
            return context == "creating worktree for #1"
        }
        #expect(!WorktreeManager.entryExists(manager.worktreeRoot.appendingPathComponent("1-cannot-link")))
        #expect(try fixture.branches(in: checkout) == ["main"])
        #expect(try manager.list().isEmpty)
    }

    @Test func trackedSymlinkLeadingOutOfTheWorktreeIsNotFollowed() throws {
        let fixture = try GitFixture()
        let outside = fixture.folder.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        let checkout = try fixture.repository()
        let link = checkout.appendingPathComponent("link")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        try fixture.git(["add", "link"], in: checkout)
        try fixture.git(["commit", "--quiet", "-m", "link"], in: checkout)
        // The main checkout's link now leads to a folder that has the configured file; the
        // committed one, which the worktree gets, still leads outside.
        try FileManager.default.removeItem(at: link)
        try fixture.write("x\n", to: "target/deeper/file", in: checkout)
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: checkout.appendingPathComponent("target"))
        let manager = try fixture.manager(checkout, copies: ["link/deeper/file"])

        #expect {
            try manager.create(taskID: 2, title: "Escape")
        } throws: { error in
            guard case .unsafePath(_, let path, _) = error as? GitError else { return false }
            return path == "link/deeper/file"
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: outside.path).isEmpty)
        #expect(try manager.list().isEmpty)
    }

    @Test func pathsWithSpacesAndQuotesWorkThroughout() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository("my repo's \"copy\" (1)")
        let manager = try fixture.manager(checkout)
        let worktree = try manager.create(taskID: 1, title: "Spaces")
        try fixture.write("x\n", to: "new file.txt", in: worktree.path)
        #expect(try manager.diffstat(worktree).map(\.path) == ["new file.txt"])
        #expect(try manager.list().map(\.path.path) == [worktree.path.path])
        try manager.remove(worktree)
        #expect(try manager.list().isEmpty)
        #expect(try fixture.branches(in: checkout) == ["main"])
    }

    @Test func porcelainListingIsParsedWithLocksReasonsAndDetachedHeads() {
        let text = "worktree /r\0HEAD aaa\0branch refs/heads/main\0\0"
            + "worktree /r/.braid/worktrees/1-x\0HEAD bbb\0branch refs/heads/braid/1-x\0locked initializing\0\0"
            + "worktree /w/line\nbreak\0HEAD ccc\0detached\0prunable gitdir file points to non-existent location\0\0"
        let entries = WorktreeInfo.parsePorcelain(text) { $0 == "/r" }
        #expect(entries.map(\.path.path) == ["/r", "/r/.braid/worktrees/1-x", "/w/line\nbreak"])
        #expect(entries.map(\.branch) == ["main", "braid/1-x", nil])
        #expect(entries.map(\.head) == ["aaa", "bbb", "ccc"])
        #expect(entries.map(\.lockReason) == [nil, "initializing", nil])
        #expect(entries.map(\.isDetached) == [false, false, true])
        #expect(entries.map(\.prunableReason) == [nil, nil, "gitdir file points to non-existent location"])
        #expect(entries.map(\.folderExists) == [true, false, false])
    }
}
