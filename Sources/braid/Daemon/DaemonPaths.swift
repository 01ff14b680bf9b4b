import BraidCore
import Foundation

/// Where a repository's daemon listens, locks and logs: all under `.braid/`.
struct DaemonPaths {
    let workspace: Workspace

    /// Mode 0600: only the repository's owner reaches the daemon.
    var socket: URL { workspace.stateDirectory.appendingPathComponent("daemon.sock") }
    /// Held by the running daemon for its whole life (so there is never a second), with its pid inside.
    var lock: URL { workspace.stateDirectory.appendingPathComponent("daemon.lock") }
    var log: URL { workspace.logsDirectory.appendingPathComponent("daemon.log") }

    /// How long a daemon with no client and nothing running waits before it exits
    /// (`BRAID_DAEMON_IDLE_SECONDS`, default 30 minutes).
    static var idleSeconds: Double {
        ProcessInfo.processInfo.environment["BRAID_DAEMON_IDLE_SECONDS"].flatMap(Double.init).map { max(0.2, $0) } ?? 1800
    }

    /// The pid written in the lock by the daemon holding it; nil when no daemon holds it.
    func runningPID() -> Int32? {
        guard let fd = try? FileLock.tryAcquire(lock) else {
            return (try? String(contentsOf: lock, encoding: .utf8)).flatMap { Int32($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
        FileLock.release(fd)
        return nil
    }
}
