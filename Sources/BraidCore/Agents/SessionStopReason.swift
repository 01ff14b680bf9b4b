/// Why Braid ended an agent session that had not ended by itself.
public enum SessionStopReason: String, Sendable, Hashable, Codable {
    /// The session ran longer than its wall-time limit.
    case wallTimeExceeded
    /// For the stall period, the agent wrote nothing to its log and changed nothing in its worktree.
    case stalled
}
