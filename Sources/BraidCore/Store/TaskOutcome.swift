/// What the supervisor concluded about a task after a session, or what a person decided for it.
///
/// Open, like LSP's error codes: a value written by a newer Braid reads back as itself, and the
/// fold records it without acting on it.
public struct TaskOutcome: RawRepresentable, Hashable, Sendable, CustomStringConvertible, ExpressibleByStringLiteral {
    public let rawValue: String

    public init(rawValue: String) { self.rawValue = rawValue }
    public init(stringLiteral value: String) { self.rawValue = value }

    /// The gate passed: the task waits for review or the merge queue.
    public static let review = TaskOutcome(rawValue: "review")
    /// A failed try, with tries left: the agent gets the failure output and another session.
    public static let retry = TaskOutcome(rawValue: "retry")
    /// A failed try and none left: the task stops until a person decides.
    public static let escalated = TaskOutcome(rawValue: "escalated")
    /// The agent ran out of quota; the task moves to the fallback agent. Not a failed try.
    public static let quotaFallback = TaskOutcome(rawValue: "quotaFallback")
    /// A person gave the task up.
    public static let abandoned = TaskOutcome(rawValue: "abandoned")
    /// A person gave the task to another agent, which starts with no failed tries.
    public static let reassigned = TaskOutcome(rawValue: "reassigned")
    /// A person retried an escalated task (usually with guidance): the count of tries starts again.
    public static let retriedByUser = TaskOutcome(rawValue: "retriedByUser")

    /// The merge queue landed the task (or found its work already landed): done.
    public static let landed = TaskOutcome(rawValue: "landed")
    /// The merge queue sent the task back (conflict, gate failure on the merged result, stale
    /// base): a failed try, with the reason for the agent's next prompt.
    public static let mergeRefused = TaskOutcome(rawValue: "mergeRefused")

    /// A person read the work in Review and sent it back with feedback for the agent. Not a
    /// failed try: the gate passed.
    public static let rejected = TaskOutcome(rawValue: "rejected")
    /// A person kept some of the reviewer's findings: the task goes back to its agent with them.
    /// Not a failed try: its gate passed.
    public static let reviewChanges = TaskOutcome(rawValue: "reviewChanges")
    /// A person accepted the work in Review: it goes to the merge queue.
    public static let approved = TaskOutcome(rawValue: "approved")

    public var description: String { rawValue }
}
