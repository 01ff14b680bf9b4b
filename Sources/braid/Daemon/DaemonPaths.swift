#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import JSONRPC
import Foundation

/// Where a repository's daemon listens, locks and logs: all under `.braid/`.
struct DaemonPaths {
    let workspace: Workspace

    /// Mode 0600: only the repository's owner reaches the daemon. Under `.braid/state/`, unless that
    /// path is too long for a socket address (107 bytes): then in a folder of the user's own under
    /// the temporary folder, named after the repository's path.
    var socket: URL {
        let inside = workspace.stateDirectory.appendingPathComponent("daemon.sock")
        // The real path: clients that reach the repository through different symbolic links agree.
        let root = workspace.root.resolvingSymlinksInPath().standardizedFileURL.path
        guard (root + "/.braid/state/daemon.sock").utf8.count > UnixSocket.maxPathLength,
              let folder = Self.shortSocketFolder else { return inside }
        return folder.appendingPathComponent(Self.fnv1a(root) + ".sock")
    }

    /// `/tmp/braid-<uid>`, mode 0700 (made when missing); nil when it exists but is not a folder
    /// of ours that only we can enter (someone else made it: its sockets could not be trusted).
    static var shortSocketFolder: URL? {
        let folder = URL(fileURLWithPath: "/tmp/braid-\(getuid())")
        _ = mkdir(folder.path, 0o700)
        var info = stat()
        guard lstat(folder.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFDIR, info.st_uid == getuid(),
              info.st_mode & 0o077 == 0 else { return nil }
        return folder
    }

    /// A stable 64-bit FNV-1a of the text, in hex: the same path gives the same name in every process.
    static func fnv1a(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return String(hash, radix: 16)
    }
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
