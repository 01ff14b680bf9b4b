/// How an agent reports what it used, which decides how `AgentOutputReader` reads its log.
public enum AgentOutputFormat: String, Sendable, Hashable, CaseIterable {
    /// Claude Code's `--output-format json`: one result object with `total_cost_usd` and `usage`.
    case claudeJSON
    /// Codex's `exec --json`: JSON lines, with token counts in `turn.completed` or `token_count`
    /// events.
    case codexJSONLines
    /// Aider's `Tokens: 1.2k sent, 310 received. Cost: $0.01 message, $0.05 session.` lines.
    case aider
    /// Anything else: the last `cost: $0.12` line, if there is one.
    case generic
}
