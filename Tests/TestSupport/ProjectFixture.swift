#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A small real project in a temporary git repository, set up for Braid: a gate script, a config,
/// and a board written by the test. Removed when the test is done with it.
public final class ProjectFixture: @unchecked Sendable {
    public let root: URL

    /// - Parameters:
    ///   - gate: the gate script's body (POSIX sh, run as `./check.sh` in the task's worktree).
    ///   - config: extra members of `.braid/config.json` (raw JSON fragments by key). Tasks stay in
    ///     Review unless the test turns the merge queue on (`"mergeQueue": "{\"auto\": true}"`), so
    ///     that tests of supervision see what supervision decided.
    public init(gate: String = "exit 0", config: [String: String] = [:]) throws {
        // The daemons these tests start exit soon after their test (at once when its folder goes).
        setenv("BRAID_DAEMON_IDLE_SECONDS", "60", 0)
        root = FileManager.default.temporaryDirectory.appendingPathComponent("braid-project-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        try git("init", "-q", "-b", "main")
        try write("check.sh", "#!/bin/sh\n\(gate)\n", executable: true)
        try write("README.md", "# A small project\n")
        try git("add", "-A")
        try git("commit", "-q", "-m", "start")
        var members = ["\"gate\"": "[{\"name\": \"check\", \"run\": [\"./check.sh\"]}]", "\"baseBranch\"": "\"main\"",
                       "\"mergeQueue\"": "{\"auto\": false}"]
        for (key, value) in config { members["\"\(key)\""] = value }
        let json = "{\n" + members.sorted { $0.key < $1.key }.map { "  \($0.key): \($0.value)" }.joined(separator: ",\n") + "\n}\n"
        try FileManager.default.createDirectory(at: root.appendingPathComponent(".braid"), withIntermediateDirectories: true)
        try write(".braid/config.json", json)
    }

    deinit {
        // Removing the folder removes the daemon's socket, which it takes as its cue to exit.
        try? FileManager.default.removeItem(at: root)
    }

    /// The pid of the repository's daemon, from its lock file; nil when none ever ran.
    public var daemonPID: Int32? {
        (try? read(".braid/state/daemon.lock")).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
    }

    /// What a crash or a reboot does to the daemon: SIGKILL, then waits until it is gone (its agents
    /// live on, in their own process groups).
    public func killDaemon() {
        guard let pid = daemonPID, pid > 0 else { return }
        kill(pid, SIGKILL)
        for _ in 0..<500 {
            if kill(pid, 0) != 0 && errno == ESRCH { return }
            // A zombie until its parent (a `braid` client, or init) reaps it: gone as far as locks go.
            if let state = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8), state.contains(") Z ") { return }
            usleep(10_000)
        }
    }

    public func write(_ path: String, _ text: String, executable: Bool = false) throws {
        let url = root.appendingPathComponent(path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: url)
        if executable { try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: url.path) }
    }

    public func read(_ path: String) throws -> String {
        try String(contentsOf: root.appendingPathComponent(path), encoding: .utf8)
    }

    /// Runs git in the project with a fixed identity; throws when git fails.
    @discardableResult
    public func git(_ arguments: String...) throws -> String {
        let outcome = try ProgramRun.run("/usr/bin/env", ["git", "-C", root.path, "-c", "user.name=Test", "-c", "user.email=test@example.invalid"] + arguments)
        guard outcome.status == 0 else { throw FixtureError(description: "git \(arguments.joined(separator: " ")): \(outcome.stderr)") }
        return outcome.stdout
    }

    /// Runs `braid` in the project.
    public func braid(_ arguments: [String], environment: [String: String] = [:]) throws -> ProgramRun.Outcome {
        try ProgramRun.run(BraidBinary.path, arguments, directory: root, environment: environment)
    }

    public struct FixtureError: Error, CustomStringConvertible {
        public let description: String
    }
}
