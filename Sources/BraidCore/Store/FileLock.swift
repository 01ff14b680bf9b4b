#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// An exclusive advisory lock (`flock`) on a lock file, shared by Braid's processes: whoever holds
/// it may read-modify-write the file it guards. Waits while another process holds it; released on
/// return, and by the kernel if the holder dies.
public enum FileLock {
    public struct LockError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "locking \(path): \(reason)" }
    }

    public static func withExclusiveLock<T>(at url: URL, _ body: () throws -> T) throws -> T {
        let fd = try acquire(url)
        defer {
            flock(fd, LOCK_UN)
            close(fd)
        }
        return try body()
    }

    /// Takes the lock without waiting, to hold for as long as the caller likes: the open descriptor
    /// that holds it, or nil when another open file holds it (another process, or another
    /// descriptor of this one). `release` gives it back; so does the kernel when this process dies.
    /// The descriptor is close-on-exec, so that a child process never inherits the lock.
    public static func tryAcquire(_ url: URL) throws(LockError) -> Int32? {
        let fd = try openLockFile(url)
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            if errno == EINTR { continue }
            let code = errno
            close(fd)
            if code == EWOULDBLOCK { return nil }
            throw LockError(path: url.path, reason: String(cString: strerror(code)))
        }
        return fd
    }

    /// Gives back a lock taken by `tryAcquire`.
    public static func release(_ fd: Int32) {
        flock(fd, LOCK_UN)
        close(fd)
    }

    private static func acquire(_ url: URL) throws(LockError) -> Int32 {
        let fd = try openLockFile(url)
        while flock(fd, LOCK_EX) != 0 {
            if errno == EINTR { continue }
            let reason = String(cString: strerror(errno))
            close(fd)
            throw LockError(path: url.path, reason: reason)
        }
        return fd
    }

    private static func openLockFile(_ url: URL) throws(LockError) -> Int32 {
        let directory = url.deletingLastPathComponent()
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        } catch {
            throw LockError(path: url.path, reason: "cannot create \(directory.path): \(error.localizedDescription)")
        }
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw LockError(path: url.path, reason: String(cString: strerror(errno))) }
        return fd
    }
}
