/// Why a task is being tried again: what its gate said, what a person said, or both.
public struct RetryFeedback: Sendable, Hashable {
    /// This try's number: 2 for the first retry.
    public var attempt: Int
    /// The failing gate's summary: which step failed and the end of its output.
    public var gateSummary: String?
    /// What a person wrote when retrying an escalated task.
    public var guidance: String?
    /// The work passed its gate, and a person (or a reviewer they agreed with) sent it back: the
    /// prompt says so instead of "Previous try failed".
    public var sentBack = false

    public init(attempt: Int, gateSummary: String? = nil, guidance: String? = nil, sentBack: Bool = false) {
        self.attempt = attempt
        self.gateSummary = gateSummary
        self.guidance = guidance
        self.sentBack = sentBack
    }
}
