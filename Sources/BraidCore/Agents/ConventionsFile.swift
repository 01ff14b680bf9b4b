import Foundation

/// The repository's instructions for agents (`AGENTS.md`, else `CLAUDE.md`, at the worktree's
/// root), bounded so that a huge file cannot crowd out the task.
public struct ConventionsFile: Sendable, Hashable {
    /// Looked for in this order; the first that exists and is not blank counts.
    public static let candidates = ["AGENTS.md", "CLAUDE.md"]
    public static let defaultLimit = 16 * 1024

    /// The file's name, e.g. `AGENTS.md`.
    public let name: String
    /// Its start, at most the limit, with `\r\n` read as `\n`.
    public let text: String
    /// The whole file's size in bytes.
    public let totalBytes: Int
    /// Bytes of the file not in `text`.
    public let omittedBytes: Int

    /// `contents` as the file `name`, cut to `limit` bytes.
    public init(name: String, contents: String, limit: Int = defaultLimit) {
        self.init(name: name, start: contents, totalBytes: contents.utf8.count, limit: limit)
    }

    private init(name: String, start: String, totalBytes: Int, limit: Int) {
        let (kept, _) = TextBounds.head(start, maxBytes: limit)
        self.name = name
        self.text = kept.replacingOccurrences(of: "\r\n", with: "\n")
        self.totalBytes = totalBytes
        self.omittedBytes = max(0, totalBytes - kept.utf8.count)
    }

    /// The first candidate in `worktree` that is a readable file with something in it; reads no
    /// more of it than the limit needs.
    public static func read(in worktree: URL, limit: Int = defaultLimit) -> ConventionsFile? {
        for name in candidates {
            let url = worktree.appendingPathComponent(name)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
                  let handle = try? FileHandle(forReadingFrom: url) else { continue }
            defer { try? handle.close() }
            // Three bytes more than the limit complete any character that starts inside it.
            guard let data = try? handle.read(upToCount: limit + 3) else { continue }
            let size = (try? url.resourceValues(forKeys: [.fileSizeKey]).fileSize) ?? data.count
            let start = String(decoding: data, as: UTF8.self)
            guard start.contains(where: { !$0.isWhitespace }) else { continue }
            return ConventionsFile(name: name, start: start, totalBytes: max(size, data.count), limit: limit)
        }
        return nil
    }
}
