import Foundation
import Testing
@testable import BraidCore

/// A temporary folder holding real git repositories, made with git itself; deleted when dropped.
final class GitFixture {
    let folder: URL

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("braid-git-tests-\(UUID().uuidString)")
            .resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: folder)
    }

    /// Fixed identities and no system config, so that commits work on any machine.
    static let environment = [
        "GIT_AUTHOR_NAME": "Braid Test", "GIT_AUTHOR_EMAIL": "test@braid.invalid",
        "GIT_COMMITTER_NAME": "Braid Test", "GIT_COMMITTER_EMAIL": "test@braid.invalid",
        "GIT_CONFIG_NOSYSTEM": "1", "LC_ALL": "C",
    ]

    /// Runs git in `directory` to set a scene; a failure is the test's failure.
    @discardableResult
    func git(_ arguments: [String], in directory: URL, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let result = try CommandRunner.run(Command("git", ["-C", directory.path] + arguments,
                                                   environment: Self.environment,
                                                   unsetEnvironment: Git.redirectingVariables))
        guard result.succeeded else {
            Issue.record("git \(arguments.joined(separator: " ")) failed: \(result.errorOutput)", sourceLocation: sourceLocation)
            throw FixtureError.gitFailed(arguments, result.errorOutput)
        }
        return result.output.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `git init -b main` with `files` committed; returns the checkout's folder.
    func repository(_ name: String = "repo", files: [String: String] = ["README.md": "hello\n"]) throws -> URL {
        let checkout = folder.appendingPathComponent(name)
        try FileManager.default.createDirectory(at: checkout, withIntermediateDirectories: true)
        try git(["init", "--quiet", "-b", "main"], in: checkout)
        for (path, contents) in files { try write(contents, to: path, in: checkout) }
        try git(["add", "--all"], in: checkout)
        try git(["commit", "--quiet", "-m", "initial"], in: checkout)
        return checkout
    }

    /// A bare repository holding `main` with one commit, and a clone of it (`origin`).
    func clonedRepository() throws -> (remote: URL, clone: URL) {
        let seed = try repository("seed")
        let remote = folder.appendingPathComponent("remote.git")
        try git(["clone", "--quiet", "--bare", seed.path, remote.path], in: folder)
        let clone = folder.appendingPathComponent("clone")
        try git(["clone", "--quiet", remote.path, clone.path], in: folder)
        return (remote, clone)
    }

    /// Writes, commits and returns the new commit's id.
    @discardableResult
    func commit(_ contents: String, to path: String, in checkout: URL, message: String = "change") throws -> String {
        try write(contents, to: path, in: checkout)
        try git(["add", "--", path], in: checkout)
        try git(["commit", "--quiet", "-m", message], in: checkout)
        return try git(["rev-parse", "HEAD"], in: checkout)
    }

    func write(_ contents: String, to path: String, in directory: URL) throws {
        let file = directory.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents.utf8).write(to: file)
    }

    func manager(_ checkout: URL, symlinks: [String] = [], copies: [String] = [],
                 baseBranch: String = "main") throws -> WorktreeManager {
        try WorktreeManager(git: Git(repository: checkout), baseBranch: baseBranch, symlinks: symlinks, copies: copies)
    }

    /// The branches of `checkout` as short names.
    func branches(in checkout: URL) throws -> [String] {
        try git(["for-each-ref", "--format=%(refname:short)", "refs/heads/"], in: checkout)
            .split(separator: "\n").map(String.init)
    }

    enum FixtureError: Error {
        case gitFailed([String], String)
    }
}
