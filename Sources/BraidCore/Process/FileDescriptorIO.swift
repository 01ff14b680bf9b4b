#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Whole reads and writes on a pipe's descriptor, retrying where POSIX allows a short or
/// interrupted call, for the pipes of a child process.
public enum FileDescriptorIO {
    /// Everything until end of file (every writer has closed) or a read error.
    static func readToEnd(_ fd: Int32) -> Data {
        readToEnd(fd, keepingLast: nil).data
    }

    /// Reads until end of file like `readToEnd`, keeping only the last `limit` bytes when a limit
    /// is given; `dropped` counts the bytes read and let go.
    static func readToEnd(_ fd: Int32, keepingLast limit: Int?) -> (data: Data, dropped: Int) {
        var data = Data()
        var dropped = 0
        let capacity = 65536
        let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer, capacity)
            if n > 0 {
                data.append(buffer.assumingMemoryBound(to: UInt8.self), count: n)
                // Trimmed once it holds twice the limit, so that each byte is copied a bounded
                // number of times.
                if let limit, data.count > max(2 * limit, capacity) {
                    dropped += data.count - limit
                    data = Data(data.suffix(limit))
                }
            } else if n < 0 && errno == EINTR {
                continue
            } else {
                guard let limit, data.count > limit else { return (data, dropped) }
                return (Data(data.suffix(limit)), dropped + data.count - limit)
            }
        }
    }

    /// Writes all of `data`; false when the reader went away (EPIPE) or another error stopped it.
    /// SIGPIPE must be ignored by the caller's process, or the first case kills it instead.
    @discardableResult
    static func writeAll(_ fd: Int32, _ data: Data) -> Bool {
        data.withUnsafeBytes { writeAll(fd, $0) }
    }

    /// Writes all of `bytes`, as `writeAll(_:_:)` with `Data` does, without copying them.
    @discardableResult
    public static func writeAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Bool {
        guard let base = bytes.baseAddress else { return true }
        var offset = 0
        while offset < bytes.count {
            let n = write(fd, base + offset, bytes.count - offset)
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
