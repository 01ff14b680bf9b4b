/// How to run one agent; fields left out keep the built-in profile's values.
public struct AgentProfileConfig: Sendable, Equatable {
    /// The argv template (`{prompt}`, `{prompt_file}`, `{worktree}`, `{task_id}` are filled in).
    public var command: [String]?
    /// Extra arguments appended to the profile's own.
    public var extraArguments: [String] = []
    /// Environment variables added for the agent.
    public var environment: [String: String] = [:]

    public init(command: [String]? = nil, extraArguments: [String] = [], environment: [String: String] = [:]) {
        self.command = command
        self.extraArguments = extraArguments
        self.environment = environment
    }
}
