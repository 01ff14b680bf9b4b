import Foundation

/// Which worktree each task has, with the commit it started from (what diffs, and later the
/// merge queue's stale-base guard, are measured against). Kept in `.braid/state/worktrees.json`.
public struct WorktreeRegistry: Sendable {
    public let file: URL
    public let lock: URL

    public init(file: URL, lock: URL) {
        self.file = file
        self.lock = lock
    }

    public struct CorruptFile: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path) cannot be read (\(reason)); move it aside and run `braid worktree prune`" }
    }

    public func all() throws -> [Int: TaskWorktree] {
        guard FileManager.default.fileExists(atPath: file.path) else { return [:] }
        let entries: [String: TaskWorktree]
        do {
            entries = try JSONDecoder().decode([String: TaskWorktree].self, from: try Data(contentsOf: file))
        } catch {
            throw CorruptFile(path: file.path, reason: (error as? DecodingError).map { "\($0)".prefix(200).description } ?? error.localizedDescription)
        }
        return Dictionary(uniqueKeysWithValues: entries.compactMap { key, value in Int(key).map { ($0, value) } })
    }

    /// The task's worktree if it has a live one, else the one `create` makes (recorded), all under
    /// the registry's lock so that two processes never give one task two worktrees.
    public func worktree(forTask id: Int, creatingWith create: () throws -> TaskWorktree) throws -> TaskWorktree {
        var result: TaskWorktree?
        try change { entries in
            if let existing = entries[id], FileManager.default.fileExists(atPath: existing.path.path) {
                result = existing
                return
            }
            let made = try create()
            entries[id] = made
            result = made
        }
        guard let result else { throw CorruptFile(path: file.path, reason: "no worktree recorded for #\(id)") }
        return result
    }

    public func worktree(forTask id: Int) throws -> TaskWorktree? {
        try all()[id]
    }

    public func forget(taskID: Int) throws {
        try change { $0[taskID] = nil }
    }

    /// Read-modify-write under the lock, written atomically.
    public func change(_ body: (inout [Int: TaskWorktree]) throws -> Void) throws {
        try FileLock.withExclusiveLock(at: lock) {
            var entries = try all()
            try body(&entries)
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let data = try encoder.encode(Dictionary(uniqueKeysWithValues: entries.map { (String($0.key), $0.value) }))
            try AtomicFile.write(Array(data), to: file)
        }
    }
}
