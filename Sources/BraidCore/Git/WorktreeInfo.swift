import Foundation

/// One worktree as git lists it (`git worktree list --porcelain -z`), plus whether its folder is
/// still there.
public struct WorktreeInfo: Sendable, Hashable, Codable {
    public let path: URL
    /// The commit checked out; nil for a bare repository's entry.
    public let head: String?
    /// The short branch name (`braid/12-x`); nil when detached or bare.
    public let branch: String?
    public let isBare: Bool
    public let isDetached: Bool
    public let isLocked: Bool
    /// Why it was locked, when a reason was given (`git worktree add` itself locks with
    /// "initializing" while it works).
    public let lockReason: String?
    /// git would prune it: its folder is gone. (A locked worktree is never prunable to git.)
    public let isPrunable: Bool
    public let prunableReason: String?
    /// The folder exists now; false for a worktree deleted by hand, locked or not.
    public let folderExists: Bool

    public init(path: URL, head: String?, branch: String?, isBare: Bool, isDetached: Bool,
                isLocked: Bool, lockReason: String?, isPrunable: Bool, prunableReason: String?,
                folderExists: Bool) {
        self.path = path
        self.head = head
        self.branch = branch
        self.isBare = isBare
        self.isDetached = isDetached
        self.isLocked = isLocked
        self.lockReason = lockReason
        self.isPrunable = isPrunable
        self.prunableReason = prunableReason
        self.folderExists = folderExists
    }

    /// Parses `git worktree list --porcelain -z`: attribute lines ended by NUL, each worktree's
    /// ended by an empty one. `folderExists` is asked of the file system, path by path.
    static func parsePorcelain(_ text: String, folderExists: (String) -> Bool = Self.directoryExists) -> [WorktreeInfo] {
        var entries: [WorktreeInfo] = []
        var fields: [(String, String?)] = []

        func finish() {
            defer { fields.removeAll() }
            guard let path = fields.first(where: { $0.0 == "worktree" })?.1, !path.isEmpty else { return }
            func has(_ key: String) -> Bool { fields.contains { $0.0 == key } }
            /// The attribute's value; nil when it is absent or has none (`locked` without a reason).
            func value(_ key: String) -> String? {
                fields.first(where: { $0.0 == key })?.1.flatMap { $0.isEmpty ? nil : $0 }
            }
            let branch = value("branch").map { ref in
                ref.hasPrefix("refs/heads/") ? String(ref.dropFirst("refs/heads/".count)) : ref
            }
            entries.append(WorktreeInfo(
                path: URL(fileURLWithPath: path, isDirectory: true),
                head: value("HEAD"),
                branch: branch,
                isBare: has("bare"),
                isDetached: has("detached"),
                isLocked: has("locked"),
                lockReason: value("locked"),
                isPrunable: has("prunable"),
                prunableReason: value("prunable"),
                folderExists: folderExists(path)))
        }

        for line in text.split(separator: "\0", omittingEmptySubsequences: false) {
            if line.isEmpty {
                finish()
                continue
            }
            if let space = line.firstIndex(of: " ") {
                fields.append((String(line[..<space]), String(line[line.index(after: space)...])))
            } else {
                fields.append((String(line), nil))
            }
        }
        finish()
        return entries
    }

    static func directoryExists(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }
}
