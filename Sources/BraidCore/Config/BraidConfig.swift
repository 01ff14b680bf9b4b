/// Everything `.braid/config.json` can say; every field has a default, so `{}` is a valid config.
///
/// The README's "Configuration" section documents each field; `ConfigFile` reads and writes it.
public struct BraidConfig: Sendable, Equatable {
    /// The Markdown board, relative to the repository root.
    public var board = "BOARD.md"
    /// The branch task worktrees start from and the merge queue lands on.
    public var baseBranch = "main"
    /// Agent sessions running at once.
    public var maxSessions = 3
    /// Failed tries after the first before a task is escalated (2 = three tries in all).
    public var maxRetries = 2
    /// The agent a task runs with when it names none.
    public var defaultAgent = "script"
    /// Agents to try, in order, when one reports a rate limit or an exhausted quota.
    public var fallback: [String] = []
    /// Per-agent overrides of the built-in profiles, or new `command` profiles.
    public var agents: [String: AgentProfileConfig] = [:]
    /// The gate: ordered steps, all of which must pass for a task to be done.
    public var gate: [GateStepConfig] = []
    /// Time limit of one gate step, when the step sets none.
    public var stepTimeoutSeconds = 1800
    /// Wall-time limit of one agent session.
    public var sessionTimeoutSeconds = 3600
    /// A session that prints nothing and changes no file for this long is stalled, and ended.
    public var stallTimeoutSeconds = 900
    /// Spend caps in US dollars, counted from what agents report: a task that reached its cap is
    /// escalated instead of retried; a run that reached its cap starts nothing more.
    public var maxCostPerTaskUSD: Double?
    public var maxCostPerRunUSD: Double?
    /// Where task worktrees are created, relative to the repository root.
    public var worktreeRoot = ".braid/worktrees"
    /// Directories of the main checkout symlinked into each worktree (e.g. `node_modules`).
    public var symlink: [String] = []
    /// Files of the main checkout copied into each worktree (e.g. `.env`).
    public var copy: [String] = []
    /// How the merge queue lands gated work on `baseBranch`.
    public var mergeQueue = MergeQueueConfig()
    /// The fresh-context reviewer (off unless `review.agent` is set).
    public var review = ReviewConfig()

    public init() {}
}
