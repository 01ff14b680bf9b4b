/// Why Braid cannot say what to run for an agent, with what it was doing at the time.
///
/// `description` is one line a user can act on: the context first ("starting #12"), then the cause
/// and the fix.
public enum AgentError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No built-in profile and no `agents.<name>.command` in the config has this name.
    /// `known` is sorted; `suggestion` is the known name closest to `name`, when one is close.
    case unknownAgent(context: String, name: String, known: [String], suggestion: String?)
    /// The config names the agent but gives it no `command`, and no built-in profile has its name
    /// (the `command` agent has no built-in argv and always needs one).
    case missingCommand(context: String, name: String)
    /// The argv template's first element was empty once its placeholders were filled in.
    case emptyExecutable(context: String, name: String)
    /// The script agent runs a task's `sh` block, and the task has none.
    case noScript(context: String)
    /// A file the agent needs (its prompt file, its script) could not be written.
    case fileWriteFailed(context: String, path: String, reason: String)

    public var description: String {
        switch self {
        case .unknownAgent(let context, let name, let known, let suggestion):
            let hint = suggestion.map { " (did you mean '\($0)'?)" } ?? ""
            return "\(context): unknown agent '\(Self.oneLine(name))'\(hint); known agents: "
                + "\(known.joined(separator: ", ")); or define it with agents.\(Self.oneLine(name)).command "
                + "in \(ConfigFile.relativePath)"
        case .missingCommand(let context, let name):
            return "\(context): agent '\(Self.oneLine(name))' has no command; set agents.\(Self.oneLine(name)).command "
                + "in \(ConfigFile.relativePath) to its argv, e.g. [\"my-agent\", \"--prompt\", \"{prompt}\"]"
        case .emptyExecutable(let context, let name):
            return "\(context): the command of agent '\(Self.oneLine(name))' starts with an empty program name; "
                + "fix agents.\(Self.oneLine(name)).command in \(ConfigFile.relativePath)"
        case .noScript(let context):
            return "\(context): the script agent runs the task's first ```sh block, and the task has none; "
                + "add one to the task's body, or give the task another agent"
        case .fileWriteFailed(let context, let path, let reason):
            return "\(context): could not write \(Self.oneLine(path)): \(Self.oneLine(reason))"
        }
    }

    /// What Braid was doing when this happened.
    public var context: String {
        switch self {
        case .unknownAgent(let context, _, _, _), .missingCommand(let context, _),
             .emptyExecutable(let context, _), .noScript(let context),
             .fileWriteFailed(let context, _, _):
            return context
        }
    }

    /// Names and paths come from boards and configs: keep the message on one line.
    static func oneLine(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 })
    }
}
