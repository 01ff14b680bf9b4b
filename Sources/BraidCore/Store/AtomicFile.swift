#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Replaces a file so that a reader sees the old bytes or the new ones, never a mix, and a crash
/// leaves one of the two: write a temporary file beside it, fsync it, rename it over, fsync the folder.
public enum AtomicFile {
    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let operation: String
        public let code: Int32
        public var description: String { "writing \(path): \(operation) failed: \(String(cString: strerror(code)))" }
    }

    public static func write(_ data: Data, to url: URL) throws {
        let directory = url.deletingLastPathComponent().path
        let temporary = directory + "/.\(url.lastPathComponent).\(getpid()).\(UInt32.random(in: 0...UInt32.max)).tmp"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: url.path, operation: "creating a temporary file", code: errno) }
        var ok = true
        var failure = WriteError(path: url.path, operation: "writing", code: 0)
        data.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let n = Glibc.write(fd, base + offset, raw.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    ok = false
                    failure = WriteError(path: url.path, operation: "writing", code: errno)
                    return
                }
                offset += n
            }
        }
        if ok && fsync(fd) != 0 {
            ok = false
            failure = WriteError(path: url.path, operation: "fsync", code: errno)
        }
        close(fd)
        // Keep the file's mode when replacing one.
        var info = stat()
        if ok && stat(url.path, &info) == 0 { chmod(temporary, info.st_mode & 0o7777) }
        if ok && rename(temporary, url.path) != 0 {
            ok = false
            failure = WriteError(path: url.path, operation: "rename", code: errno)
        }
        guard ok else {
            unlink(temporary)
            throw failure
        }
        let directoryFD = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if directoryFD >= 0 {
            fsync(directoryFD)
            close(directoryFD)
        }
    }
}
