#if canImport(Glibc)
import Glibc
#endif

/// Unbuffered writes to a descriptor, so nothing waits in a stdio buffer when the process `_Exit`s.
struct FileDescriptorOutput {
    let fd: Int32
    static let standardError = FileDescriptorOutput(fd: 2)

    func write(_ text: String) {
        _ = write(Array(text.utf8))
    }

    /// False when the descriptor does not take all the bytes (closed, a broken pipe).
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, raw.count - offset)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
