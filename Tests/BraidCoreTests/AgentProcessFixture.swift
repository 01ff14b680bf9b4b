import Foundation
import Synchronization
import Testing
@testable import BraidCore

/// A temporary worktree folder and log file for agent processes; every group it started is killed
/// and the folder deleted when it is dropped, so a failing test leaves nothing running.
final class AgentProcessFixture: Sendable {
    let folder: URL
    let worktree: URL
    let logFile: URL
    private let groups = Mutex<[Int32]>([])

    init() throws {
        folder = FileManager.default.temporaryDirectory
            .appendingPathComponent("braid-agent-tests-\(UUID().uuidString)")
            .resolvingSymlinksInPath()
        worktree = folder.appendingPathComponent("worktree")
        logFile = folder.appendingPathComponent("session.log")
        try FileManager.default.createDirectory(at: worktree, withIntermediateDirectories: true)
    }

    deinit {
        for group in groups.withLock({ $0 }) { kill(-group, SIGKILL) }
        try? FileManager.default.removeItem(at: folder)
    }

    /// Starts `sh -c script` in the worktree, logging to the fixture's log file.
    func shell(_ script: String, environment: [String: String] = [:]) throws(CommandError) -> AgentProcess {
        try spawn("sh", ["-c", script], environment: environment)
    }

    func spawn(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
               standardInput: URL? = nil) throws(CommandError) -> AgentProcess {
        let process = try AgentProcess.spawn(executable: executable, arguments: arguments, workingDirectory: worktree,
                                             environment: environment, standardInput: standardInput, logFile: logFile)
        remember(group: process.pid)
        return process
    }

    /// A group to kill at the end, for processes the test started some other way.
    func remember(group: Int32) {
        groups.withLock { $0.append(group) }
    }

    var log: String {
        (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
    }

    /// The log's lines once it has at least `count` of them; nil if that takes longer than the
    /// guard against hangs.
    func logLines(atLeast count: Int) async -> [String]? {
        let found = await eventually { self.log.split(separator: "\n").count >= count }
        return found ? log.split(separator: "\n").map(String.init) : nil
    }
}

/// Waits for `condition` to hold, looking again every few milliseconds; false after `timeout`,
/// which only guards against a hang: for what no event can be awaited on (a file's contents).
func eventually(timeout: Duration = .seconds(30), _ condition: @Sendable () -> Bool) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while !condition() {
        if ContinuousClock.now >= deadline { return false }
        try? await Task.sleep(for: .milliseconds(10))
    }
    return true
}

/// The guard against a hang when awaiting a process's end.
let hangGuard = Duration.seconds(30)
