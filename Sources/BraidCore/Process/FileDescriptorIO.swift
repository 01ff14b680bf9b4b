#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole reads and writes on a pipe's descriptor, retrying where POSIX allows a short or
/// interrupted call, for the pipes of a child process.
enum FileDescriptorIO {
    /// Everything until end of file (every writer has closed) or a read error.
    static func readToEnd(_ fd: Int32) -> Data {
        var data = Data()
        let capacity = 65536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, capacity)
            if n > 0 {
                data.append(buffer.assumingMemoryBound(to: UInt8.self), count: n)
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                return data
            }
        }
    }

    /// Writes all of `data`; false when the reader went away (EPIPE) or another error stopped it.
    /// SIGPIPE must be ignored by the caller's process, or the first case kills it instead.
    @discardableResult
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { raw in
            guard let base = raw.baseAddress else { return true }
            var offset = 0
            while offset < raw.count {
                let n = write(fd, base + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}
