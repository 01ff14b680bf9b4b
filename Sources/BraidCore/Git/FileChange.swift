/// One file's line counts in a diff, from `git diff --numstat`.
public struct FileChange: Sendable, Hashable, Codable {
    /// Relative to the top of the worktree.
    public let path: String
    /// Lines added; 0 for a binary file.
    public let added: Int
    /// Lines deleted; 0 for a binary file.
    public let deleted: Int
    /// git counts no lines in a binary file, only that it changed.
    public let isBinary: Bool

    public init(path: String, added: Int, deleted: Int, isBinary: Bool) {
        self.path = path
        self.added = added
        self.deleted = deleted
        self.isBinary = isBinary
    }

    /// Parses `git diff --numstat -z --no-renames`: `added\tdeleted\tpath\0` per file, with `-`
    /// for both counts of a binary file. Records that do not have that shape are skipped.
    public static func parseNumstat(_ text: String) -> [FileChange] {
        text.split(separator: "\0").compactMap { record in
            let fields = record.split(separator: "\t", maxSplits: 2, omittingEmptySubsequences: false)
            guard fields.count == 3, !fields[2].isEmpty else { return nil }
            if fields[0] == "-" && fields[1] == "-" {
                return FileChange(path: String(fields[2]), added: 0, deleted: 0, isBinary: true)
            }
            guard let added = Int(fields[0]), let deleted = Int(fields[1]) else { return nil }
            return FileChange(path: String(fields[2]), added: added, deleted: deleted, isBinary: false)
        }
    }
}
