import Foundation
import Testing
@testable import BraidCore

@Suite struct WorktreeHostileTitleTests {
    static let canaryName = "braid-canary-\(UUID().uuidString)"

    static var titles: [String] {
        let canary = FileManager.default.temporaryDirectory.appendingPathComponent(canaryName).path
        return [
            "; rm -rf ~", "--upload-pack=x", "../../etc/passwd", String(repeating: "long title ", count: 455),
            "🎉🚀✨", "first line\nsecond line", "$(touch /tmp/pwned)", "a..b", "x.lock", "@{u}",
            "`touch \(canary)`", "$(touch \(canary))", "; touch \(canary)", "-", "", "\u{0}\u{1}\t\r\n",
        ]
    }

    @Test func hostileTitlesGiveValidUniqueBranchesInsideTheRootAndRunNothing() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let home = FileManager.default.homeDirectoryForCurrentUser
        let homeBefore = Set((try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? [])
        let pwnedBefore = FileManager.default.fileExists(atPath: "/tmp/pwned")
        let canary = FileManager.default.temporaryDirectory.appendingPathComponent(Self.canaryName)
        #expect(Self.titles[3].count > 5000 - 11)

        var branches: Set<String> = []
        var paths: Set<URL> = []
        for title in Self.titles {
            let worktree = try manager.create(taskID: 66, title: title)
            #expect(try manager.git.isValidBranchName(worktree.branch), "\(worktree.branch)")
            #expect(worktree.branch.hasPrefix("braid/66-"))
            #expect(worktree.branch.count <= "braid/66-".count + BranchName.maxSlugLength + 3)
            #expect(worktree.path.deletingLastPathComponent().path == manager.worktreeRoot.path)
            #expect(WorktreeInfo.directoryExists(worktree.path.path))
            #expect(try fixture.git(["rev-parse", "--abbrev-ref", "HEAD"], in: worktree.path) == worktree.branch)
            branches.insert(worktree.branch)
            paths.insert(worktree.path)
        }
        #expect(branches.count == Self.titles.count)
        #expect(paths.count == Self.titles.count)
        #expect(try manager.list().count == Self.titles.count)

        #expect(!FileManager.default.fileExists(atPath: canary.path))
        #expect(FileManager.default.fileExists(atPath: "/tmp/pwned") == pwnedBefore)
        let homeAfter = Set((try? FileManager.default.contentsOfDirectory(atPath: home.path)) ?? [])
        #expect(homeBefore.isSubset(of: homeAfter))
        // Nothing was written outside the root: the checkout's own tree is as committed.
        #expect(try fixture.git(["status", "--porcelain", "--ignored"], in: checkout) == "!! .braid/")
    }
}
