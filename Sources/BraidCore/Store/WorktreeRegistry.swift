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

    public func all() throws -> [Int: TaskWorktree] {
        guard let data = try? Data(contentsOf: file) else { return [:] }
        let entries = try JSONDecoder().decode([String: TaskWorktree].self, from: data)
        return Dictionary(uniqueKeysWithValues: entries.compactMap { key, value in Int(key).map { ($0, value) } })
    }

    public func worktree(forTask id: Int) throws -> TaskWorktree? {
        try all()[id]
    }

    public func record(_ worktree: TaskWorktree) throws {
        try change { $0[worktree.taskID] = worktree }
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
