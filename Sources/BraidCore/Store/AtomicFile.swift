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

    /// Through a symbolic link, the file it points to is replaced, not the link. An existing
    /// file's permissions are kept; a new file gets 0644 less the umask.
    public static func write(_ bytes: [UInt8], to url: URL) throws(WriteError) {
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

    public static func write(_ text: String, to url: URL) throws(WriteError) {
        try write(Array(text.utf8), to: url)
    }
}

// At file scope, where `write` means the system call rather than `AtomicFile.write`.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer?, _ count: Int) -> Int {
    Glibc.write(fd, buffer, count)
}
