import Foundation
import Testing
@testable import BraidCore

@Suite struct GitErrorTests {
    @Test func folderThatIsNotARepositoryIsATypedErrorWithOneActionableLine() throws {
        let fixture = try GitFixture()
        let plain = fixture.folder.appendingPathComponent("plain")
        try FileManager.default.createDirectory(at: plain, withIntermediateDirectories: true)
        let manager = try WorktreeManager(git: Git(repository: plain))

        #expect(throws: GitError.notARepository(context: "resolving base branch main", path: plain.path)) {
            try manager.create(taskID: 12, title: "Fix login")
        }
        let error = GitError.notARepository(context: "resolving base branch main", path: plain.path)
        #expect(error.description == "resolving base branch main: \(plain.path) is not a git repository; "
            + "run Braid in a git checkout (or `git init` it first)")
        #expect(!FileManager.default.fileExists(atPath: plain.appendingPathComponent(".braid").path))
    }

    @Test func missingFolderIsNotARepository() throws {
        let missing = URL(fileURLWithPath: "/nonexistent/braid-\(UUID().uuidString)")
        #expect(throws: GitError.notARepository(context: "listing worktrees", path: missing.path)) {
            try WorktreeManager(git: Git(repository: missing)).list()
        }
    }

    @Test func unknownBaseBranchIsRefNotFoundWithOneActionableLine() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout, baseBranch: "mian")

        #expect {
            try manager.create(taskID: 3, title: "anything")
        } throws: { error in
            guard let error = error as? GitError else { return false }
            return error == .refNotFound(context: "resolving base branch mian", ref: "refs/heads/mian",
                                         repository: checkout.path)
                && error.description == "resolving base branch mian: no branch mian in \(checkout.path); "
                    + "create it, or configure a base branch that exists"
        }
        #expect(try fixture.branches(in: checkout) == ["main"])
    }

    @Test func failedGitCommandSaysWhatWasBeingDoneTheCommandItsExitAndGitsWords() throws {
        let fixture = try GitFixture()
        let checkout = try fixture.repository()
        let manager = try fixture.manager(checkout)
        let missing = String(repeating: "0", count: 40)
        let base = BaseRef(name: "main", ref: "refs/heads/main", commit: missing, remote: nil, fetched: false, warning: nil)

        #expect {
            try manager.create(taskID: 12, title: "Fix login", from: base)
        } throws: { error in
            guard case .commandFailed(let context, let arguments, let status, _) = error as? GitError else { return false }
            let path = manager.worktreeRoot.appendingPathComponent("12-fix-login").path
            let line = (error as? GitError)?.description ?? ""
            return context == "creating worktree for #12"
                && arguments == ["worktree", "add", "-b", "braid/12-fix-login", "--", path, missing]
                && status != 0
                && line == "creating worktree for #12: git worktree add -b braid/12-fix-login -- \(path) \(missing) "
                    + "failed (exit \(status)): fatal: not a valid branch point: '\(missing)'"
                && !line.contains("\n")
        }
    }

    @Test func descriptionsStayOnOneLineWhateverGitOrTheInputSaid() {
        let error = GitError.commandFailed(context: "removing worktree x", arguments: ["branch", "-D", "--", "a\nb"],
                                           status: 1, stderr: "warning: zero\nerror: one\n\nhint: two\nhint: three\nhint: four\n")
        #expect(error.description == #"removing worktree x: git branch -D -- 'a\nb' failed (exit 1): error: one"#)
        let chatty = GitError.commandFailed(context: "c", arguments: ["x"], status: 1, stderr: "one\ntwo\n\nthree\nfour")
        #expect(chatty.description == "c: git x failed (exit 1): one two three …")
        #expect(GitError.invalidBranchName(context: "c", name: "-x\u{1}").description == #"c: '-x\u{1}' is not a valid branch name"#)
    }

    @Test func baseBranchGitWouldRefuseIsRejectedWhenConfigured() throws {
        let git = Git(repository: URL(fileURLWithPath: "/tmp"))
        for name in ["--upload-pack=x", "a..b", "x.lock", "@{u}", "has space", "", "HEAD", "-"] {
            #expect(throws: GitError.invalidBranchName(context: "configuring the base branch", name: name)) {
                try WorktreeManager(git: git, baseBranch: name)
            }
        }
        #expect(throws: Never.self) { try WorktreeManager(git: git, baseBranch: "release/2.x") }
    }

    @Test func symlinkAndCopyPathsMustStayInsideTheRepository() throws {
        let git = Git(repository: URL(fileURLWithPath: "/tmp"))
        for path in ["../outside", "/etc", "a/../../b", "~/x", "", ".", "./"] {
            #expect(throws: GitError.self) { try WorktreeManager(git: git, symlinks: [path]) }
            #expect(throws: GitError.self) { try WorktreeManager(git: git, copies: [path]) }
        }
        #expect {
            try WorktreeManager(git: git, symlinks: ["node_modules/../../etc"])
        } throws: { error in
            (error as? GitError)?.description == "configuring symlinks into worktrees: refusing path "
                + "node_modules/../../etc: `..` would leave the repository"
        }
        let manager = try WorktreeManager(git: git, symlinks: ["./node_modules/", "a//b"], copies: [".env"])
        #expect(manager.symlinks.map(\.path) == ["node_modules", "a/b"])
        #expect(manager.copies.map(\.path) == [".env"])
    }

    @Test func decodedRepositoryPathsAreCheckedToo() throws {
        let decoder = JSONDecoder()
        #expect(try decoder.decode([RepositoryPath].self, from: Data(#"["./node_modules/"]"#.utf8)).map(\.path) == ["node_modules"])
        #expect(throws: GitError.unsafePath(context: "reading a repository path", path: "../x",
                                            reason: "`..` would leave the repository")) {
            try decoder.decode([RepositoryPath].self, from: Data(#"["../x"]"#.utf8))
        }
    }

    @Test func negativeTaskNumberIsRejectedBeforeAnyGitRuns() throws {
        let manager = try WorktreeManager(git: Git(repository: URL(fileURLWithPath: "/nonexistent")))
        #expect(throws: GitError.invalidTaskID(-1)) { try manager.create(taskID: -1, title: "x") }
    }

    @Test func missingGitIsATypedError() {
        let git = Git(repository: URL(fileURLWithPath: "/tmp"), executable: "/nonexistent/git")
        #expect(throws: GitError.gitNotFound(context: "listing remotes")) {
            try git.remotes(context: "listing remotes")
        }
    }
}
