import Foundation

/// Splits a buffer into lines with `memchr`, the fastest way to find line breaks; a line's range
/// excludes its `\n` and a `\r` before it.
enum Lines {
    @inline(__always)
    static func forEach(_ bytes: UnsafePointer<UInt8>, count: Int, _ body: (_ start: Int, _ end: Int) -> Void) {
        var start = 0
        while start < count {
            let end: Int
            if let found = memchr(bytes + start, 0x0A, count - start) {
                end = UnsafePointer(found.assumingMemoryBound(to: UInt8.self)) - bytes
            } else {
                end = count
            }
            body(start, end > start && bytes[end - 1] == 0x0D ? end - 1 : end)
            start = end + 1
        }
    }
}
