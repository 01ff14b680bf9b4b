#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Replaces a file so that a reader sees the old bytes or the new ones, never a mix, and a crash
/// leaves one of the two: a temporary file in the same folder, written and fsynced, renamed over
/// the target, then the folder fsynced so the rename itself survives.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        /// What failed, with the system's reason.
        public let reason: String
        public var description: String { "writing \(path): \(reason)" }
    }

    /// Thrown when `unlessChanged` found the target changed since it was read: nothing was written.
    public struct TargetChanged: Error {}

    /// Through a symbolic link, the file it points to is replaced, not the link. An existing
    /// file's permissions are kept; a new file gets 0644 less the umask.
    ///
    /// - Parameter unlessChanged: checked after the new bytes are on disk, right before the
    ///   rename; returning false abandons the write (`TargetChanged`). It lets a caller that read
    ///   the file refuse to replace a version someone else saved meanwhile.
    public static func write(_ bytes: [UInt8], to url: URL, unlessChanged: (() -> Bool)? = nil) throws {
        let target = url.resolvingSymlinksInPath()
        let directory = target.deletingLastPathComponent()
        func failure(_ what: String, _ code: Int32) -> WriteError {
            WriteError(path: url.path, reason: "\(what): \(String(cString: strerror(code)))")
        }
        let temporary = directory.appendingPathComponent(
            ".\(target.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp").path
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure("creating \(temporary)", errno) }
        var status = stat()
        if stat(target.path, &status) == 0 { _ = fchmod(fd, status.st_mode & 0o7777) }
        var written = 0
        while written < bytes.count {
            let count = bytes[written...].withUnsafeBytes { systemWrite(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                let code = errno
                close(fd)
                unlink(temporary)
                throw failure("writing \(temporary)", code)
            }
            written += count
        }
        if fsync(fd) != 0 {
            let code = errno
            close(fd)
            unlink(temporary)
            throw failure("flushing \(temporary)", code)
        }
        close(fd)
        if let unlessChanged, !unlessChanged() {
            unlink(temporary)
            throw TargetChanged()
        }
        guard rename(temporary, target.path) == 0 else {
            let code = errno
            unlink(temporary)
            throw failure("renaming \(temporary) over it", code)
        }
        let directoryFD = open(directory.path, O_RDONLY | O_CLOEXEC)
        if directoryFD >= 0 {
            // Some file systems refuse fsync on a folder; the rename has happened either way.
            _ = fsync(directoryFD)
            close(directoryFD)
        }
    }

    public static func write(_ text: String, to url: URL) throws {
        try write(Array(text.utf8), to: url)
    }

    /// What identifies one saved version of a file: replaced by rename, it gets a new inode; written
    /// in place, a new size or modification time. Nil for a missing file.
    public struct Version: Equatable, Sendable {
        let device: UInt64
        let inode: UInt64
        let size: Int64
        let modified: Int
        let modifiedNanoseconds: Int

        public static func of(_ url: URL) -> Version? {
            var info = stat()
            guard stat(url.path, &info) == 0 else { return nil }
            return Version(info)
        }

        public static func of(descriptor fd: Int32) -> Version? {
            var info = stat()
            guard fstat(fd, &info) == 0 else { return nil }
            return Version(info)
        }

        init(_ info: stat) {
            device = UInt64(info.st_dev)
            inode = UInt64(info.st_ino)
            size = Int64(info.st_size)
            modified = info.st_mtim.tv_sec
            modifiedNanoseconds = info.st_mtim.tv_nsec
        }
    }
}

// At file scope, where `write` means the system call rather than `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Glibc.write(fd, buffer, count)
}
