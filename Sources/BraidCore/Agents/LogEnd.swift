import Foundation

/// The end of a session's log, bounded: what an agent reports (its cost, its final answer, its
/// acceptance list) comes last, and an agent that printed gigabytes must not make Braid read them
/// all into memory.
public enum LogEnd {
    /// Bytes read from the end of a log.
    public static let defaultLimit = 2 << 20

    /// The log's last `limit` bytes, starting at a line (the first, partial line dropped).
    public static func read(_ url: URL, limit: Int = defaultLimit) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let size = (try? handle.seekToEnd()) ?? 0
        let start = size > UInt64(limit) ? size - UInt64(limit) : 0
        guard (try? handle.seek(toOffset: start)) != nil, let data = try? handle.readToEnd() else { return "" }
        var bytes = data[...]
        if start > 0, let newline = bytes.firstIndex(of: 0x0A) { bytes = bytes[bytes.index(after: newline)...] }
        return String(decoding: bytes, as: UTF8.self)
    }
}
