import Foundation

/// One task waiting in the merge queue, with everything needed to land it or send it back
/// without asking the rest of Braid: its pinned tip, the commit its worktree started from (the
/// revert guard's `S`), and who made it (the landing commit's trailers).
public struct MergeCandidate: Sendable, Equatable, Codable {
    public var task: Int
    public var title: String
    /// The task's description, read for whether it asks to revert landed work.
    public var text: String
    /// The branch tip when it was queued, pinned under `refs/braid/queue/`.
    public var tip: String
    public var branch: String
    /// The commit the task's worktree started from.
    public var startCommit: String
    public var worktree: String?
    public var agent: String
    public var session: String?
    public var enqueuedAt: Date

    public init(task: Int, title: String, text: String, tip: String, branch: String, startCommit: String,
                worktree: String?, agent: String, session: String?, enqueuedAt: Date = Date()) {
        self.task = task
        self.title = title
        self.text = text
        self.tip = tip
        self.branch = branch
        self.startCommit = startCommit
        self.worktree = worktree
        self.agent = agent
        self.session = session
        self.enqueuedAt = enqueuedAt
    }

    /// The ref that keeps the queued tip from being lost or garbage-collected.
    public var pinRef: String { "refs/braid/queue/task-\(task)" }

    /// Whether the task's own words ask for landed work to be reverted: the word "revert" (or
    /// "reverts", "reverting", "reverted"), in any case, in its title or description, not after a
    /// negation ("not", "never", "don't", "without"…) within the three words before it.
    public var asksToRevert: Bool {
        let words = (title + "\n" + text).lowercased().split { !$0.isLetter && $0 != "'" }.map { $0.replacingOccurrences(of: "'", with: "") }
        let negations: Set<String> = ["not", "never", "no", "dont", "doesnt", "mustnt", "shouldnt", "cannot", "cant", "without", "nor", "avoid"]
        for (index, word) in words.enumerated() where ["revert", "reverts", "reverting", "reverted"].contains(word) {
            if !words[max(0, index - 3)..<index].contains(where: negations.contains) { return true }
        }
        return false
    }
}
