import Foundation

/// Follows one session's log file, handing out what was appended since the last read in slices
/// that end on whole UTF-8 characters.
struct SessionTail: Sendable {
    struct Slice: Sendable {
        let offset: Int
        let text: String
    }

    let task: Int
    let session: String
    let path: String
    /// Bytes of the log already told.
    private(set) var offset = 0

    /// The most one slice (one `session/output`) carries.
    static let sliceBytes = 16 << 10
    /// The most read per look, so that one chatty agent cannot hold up the others.
    static let readBytes = 1 << 20

    init(task: Int, session: String, path: String) {
        self.task = task
        self.session = session
        self.path = path
    }

    /// What was appended since the last read. Not `final`: an incomplete character at the end
    /// waits for its remaining bytes; `final`: the log is complete, everything is told.
    mutating func read(final: Bool) -> [Slice] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return [] }
        defer { close(fd) }
        var slices: [Slice] = []
        var buffer = [UInt8](repeating: 0, count: Self.sliceBytes)
        var budget = final ? Int.max : Self.readBytes
        while budget > 0 {
            let count = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, Self.sliceBytes, off_t(offset)) }
            guard count > 0 else { break }
            var end = final && count < Self.sliceBytes ? count : Self.completeCharacters(buffer, count)
            if end == 0 {
                // Only part of a character so far: wait for the rest, unless it never comes.
                guard final || count >= 4 else { break }
                end = count
            }
            slices.append(Slice(offset: offset, text: String(decoding: buffer[0..<end], as: UTF8.self)))
            offset += end
            budget -= end
            if count < Self.sliceBytes { break }
        }
        return slices
    }

    /// The length of the longest prefix of `bytes[0..<count]` that does not end inside a
    /// multi-byte character.
    static func completeCharacters(_ bytes: [UInt8], _ count: Int) -> Int {
        var start = count - 1
        // Step back over continuation bytes (10xxxxxx), at most three.
        while start >= 0, count - start <= 4, bytes[start] & 0xC0 == 0x80 { start -= 1 }
        guard start >= 0 else { return count }
        let lead = bytes[start]
        let length = lead < 0x80 ? 1 : lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1
        return count - start >= length ? count : start
    }
}
