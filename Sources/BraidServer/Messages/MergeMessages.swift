import BraidCore
import JSONRPC

/// `merge/landed`: the merge queue landed a task on the base branch (whichever Braid process
/// worked the queue), or closed it because its work was already there.
public enum MergeLandedNotification: NotificationType {
    public static let method = "merge/landed"

    public struct Params: Codable, Sendable, Equatable {
        public var task: Int
        /// The commit on the base branch that holds the task's work.
        public var commit: String?
        public var agent: String
        /// True when nothing new landed: the work was already on the base branch.
        public var alreadyLanded: Bool
        public var detail: String
    }
}

/// `merge/refused`: the merge queue sent a task back to its agent.
public enum MergeRefusedNotification: NotificationType {
    public static let method = "merge/refused"

    public struct Params: Codable, Sendable, Equatable {
        public var task: Int
        /// `conflict`, `gateFailed`, `staleBase` or `unmergeable`.
        public var reason: String
        public var agent: String
        /// What the agent is told: the conflicting paths, the gate's output, or the lines it would revert.
        public var detail: String
    }
}

extension MergeDecision {
    /// The notification that tells clients of this decision.
    func notify(_ connection: Connection) {
        switch kind {
        case .landed, .alreadyLanded:
            connection.notify(MergeLandedNotification.self, .init(task: task, commit: commit, agent: agent,
                                                                   alreadyLanded: kind == .alreadyLanded, detail: detail))
        case .refused:
            connection.notify(MergeRefusedNotification.self, .init(task: task, reason: reason?.rawValue ?? "refused",
                                                                    agent: agent, detail: detail))
        }
    }
}
