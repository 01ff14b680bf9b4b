import Foundation

/// How to run one agent without a person at the keyboard: an argv template, arguments appended to
/// it, environment variables, and the format its log reports usage in.
///
/// The built-in profiles use the headless mode each tool documents; `agents.<name>` in the config
/// overrides a built-in's fields or defines a new `command` profile (`AgentProfile.named`).
/// `invocation(for:)` turns a profile and a session into what to run.
public struct AgentProfile: Sendable, Hashable {
    /// Which built-in a profile is, or derives from.
    public enum Kind: String, Sendable, Hashable, CaseIterable {
        case claude, codex, aider, opencode, gemini
        /// Any argv from the config.
        case command
        /// No AI: runs the task's `sh` block.
        case script
    }

    /// The name the board's `agent:` and the config use.
    public var name: String
    public var kind: Kind
    /// The argv template, program first (see `ArgumentTemplate`); empty for the `command` built-in,
    /// which takes its argv from the config.
    public var command: [String]
    /// Appended to the filled-in template, placeholders filled in too.
    public var extraArguments: [String]
    /// Added to the agent's environment, placeholders filled in too.
    public var environment: [String: String]
    public var outputFormat: AgentOutputFormat

    public init(name: String, kind: Kind, command: [String], extraArguments: [String] = [],
                environment: [String: String] = [:], outputFormat: AgentOutputFormat) {
        self.name = name
        self.kind = kind
        self.command = command
        self.extraArguments = extraArguments
        self.environment = environment
        self.outputFormat = outputFormat
    }

    /// Appended to Claude Code's own system prompt.
    public static let systemPrompt = "Braid runs you on one task in this git worktree, beside other agents in theirs. "
        + "Work only inside this folder. Run the project's tests before you finish. "
        + "Commit nothing you are unsure of."

    /// The script agent's template; a `bash` block runs with `bash` instead, unless the config
    /// changed the template.
    static let scriptCommand = ["/bin/sh", "-e", "{\(ArgumentTemplate.scriptFile)}"]
    static let bashScriptCommand = ["bash", "-e", "{\(ArgumentTemplate.scriptFile)}"]
    /// Info strings of the blocks the script agent runs.
    static let scriptLanguages: Set<String> = ["sh", "bash", "shell"]
    static let promptFileName = "prompt.md"
    static let scriptFileName = "script.sh"

    /// A built-in profile as Braid ships it.
    public static func builtIn(_ kind: Kind) -> AgentProfile {
        let prompt = "{\(ArgumentTemplate.prompt)}"
        switch kind {
        case .claude:
            return AgentProfile(name: "claude", kind: .claude,
                                command: ["claude", "-p", prompt, "--output-format", "json",
                                          "--permission-mode", "acceptEdits",
                                          "--append-system-prompt", systemPrompt],
                                outputFormat: .claudeJSON)
        case .codex:
            // `-` makes codex read the prompt from standard input: see `invocation(for:)`.
            return AgentProfile(name: "codex", kind: .codex, command: ["codex", "exec", "--json", "--full-auto", "-"],
                                outputFormat: .codexJSONLines)
        case .aider:
            return AgentProfile(name: "aider", kind: .aider,
                                command: ["aider", "--yes-always", "--no-stream", "--message", prompt],
                                outputFormat: .aider)
        case .opencode:
            return AgentProfile(name: "opencode", kind: .opencode, command: ["opencode", "run", prompt],
                                outputFormat: .generic)
        case .gemini:
            return AgentProfile(name: "gemini", kind: .gemini, command: ["gemini", "-p", prompt, "--yolo"],
                                outputFormat: .generic)
        case .command:
            return AgentProfile(name: "command", kind: .command, command: [], outputFormat: .generic)
        case .script:
            return AgentProfile(name: "script", kind: .script, command: scriptCommand, outputFormat: .generic)
        }
    }

    /// The built-in profiles' names.
    public static let builtInNames = Kind.allCases.map(\.rawValue)

    /// Every name `named(_:config:)` accepts: the built-ins and the config's own `command`
    /// profiles, sorted.
    public static func knownNames(config: BraidConfig) -> [String] {
        let defined = config.agents.compactMap { $0.value.command == nil ? nil : $0.key }
        return Array(Set(builtInNames + defined)).sorted()
    }

    /// The profile an agent name stands for: a built-in with the config's overrides applied, or a
    /// `command` profile the config defines. A name that matches no known one exactly but exactly
    /// one case-insensitively (`Claude`) is taken as that one.
    ///
    /// - Parameter context: what Braid is doing, for the error ("starting #12").
    public static func named(_ name: String, config: BraidConfig,
                             context: String? = nil) throws(AgentError) -> AgentProfile {
        let context = context ?? "choosing an agent"
        if let profile = try lookUp(name, config: config, context: context) { return profile }
        let known = knownNames(config: config)
        let sameButCase = known.filter { $0.lowercased() == name.lowercased() }
        if sameButCase.count == 1, let profile = try lookUp(sameButCase[0], config: config, context: context) {
            return profile
        }
        if config.agents[name] != nil { throw .missingCommand(context: context, name: name) }
        throw .unknownAgent(context: context, name: name, known: known, suggestion: suggestion(for: name, among: known))
    }

    private static func lookUp(_ name: String, config: BraidConfig, context: String) throws(AgentError) -> AgentProfile? {
        let configured = config.agents[name]
        if let kind = Kind(rawValue: name) {
            var profile = builtIn(kind)
            if let configured {
                if let command = configured.command { profile.command = command }
                profile.extraArguments = configured.extraArguments
                profile.environment = configured.environment
            }
            guard !profile.command.isEmpty else { throw .missingCommand(context: context, name: name) }
            return profile
        }
        guard let configured, let command = configured.command else { return nil }
        return AgentProfile(name: name, kind: .command, command: command, extraArguments: configured.extraArguments,
                            environment: configured.environment, outputFormat: .generic)
    }

    /// The known name closest to `name`: within a few edits, or one being the start of the other
    /// (`claude-code` → `claude`).
    static func suggestion(for name: String, among known: [String]) -> String? {
        let typed = name.lowercased()
        let scored = known.map { candidate -> (String, Int) in
            let lowered = candidate.lowercased()
            let distance = Similarity.editDistance(typed, lowered)
            let related = lowered.count >= 3 && typed.count >= 3 && (typed.hasPrefix(lowered) || lowered.hasPrefix(typed))
            return (candidate, related ? min(distance, 1) : distance)
        }
        guard let best = scored.min(by: { $0.1 < $1.1 }) else { return nil }
        return best.1 <= max(2, typed.count / 3) ? best.0 : nil
    }

    /// What to run for `request`.
    ///
    /// Placeholders are filled in within each element of the template, `extraArguments` and the
    /// environment's values. The prompt goes on standard input when none of those mentions
    /// `{prompt}` or `{prompt_file}` (codex's `-` asks for it there; so does a `command` that takes
    /// no prompt argument); the script agent gets no input. `{prompt_file}` makes Braid write the
    /// prompt to the session folder first. The agent also gets `BRAID_TASK_ID` and
    /// `BRAID_WORKTREE`, unless the profile's environment sets them.
    public func invocation(for request: AgentRequest) throws(AgentError) -> AgentInvocation {
        let context = "starting \(request.taskLabel) with agent '\(name)'"
        var values = [
            ArgumentTemplate.prompt: request.prompt,
            ArgumentTemplate.worktree: request.worktree.path,
            ArgumentTemplate.taskID: request.task.id.map(String.init) ?? "",
        ]
        var files: [AgentInvocation.File] = []
        var template = command

        if kind == .script {
            guard let block = request.task.fencedBlocks.first(where: { Self.isShellBlock($0.info) }) else {
                throw .noScript(context: "starting \(request.taskLabel) with the script agent")
            }
            if template == Self.scriptCommand && Self.language(of: block.info) == "bash" {
                template = Self.bashScriptCommand
            }
            let script = request.sessionDirectory.appendingPathComponent(Self.scriptFileName)
            files.append(AgentInvocation.File(url: script, contents: Data(block.contents.utf8), role: .script))
            values[ArgumentTemplate.scriptFile] = script.path
        }

        let everything = template + extraArguments + environment.keys.sorted().compactMap { environment[$0] }
        if ArgumentTemplate.uses(ArgumentTemplate.promptFile, in: everything) {
            let promptFile = request.sessionDirectory.appendingPathComponent(Self.promptFileName)
            files.insert(AgentInvocation.File(url: promptFile, contents: Data(request.prompt.utf8), role: .prompt), at: 0)
            values[ArgumentTemplate.promptFile] = promptFile.path
        }
        let promptInArguments = ArgumentTemplate.uses(ArgumentTemplate.prompt, in: everything)
            || ArgumentTemplate.uses(ArgumentTemplate.promptFile, in: everything)

        let argv = (template + extraArguments).map { ArgumentTemplate.fill($0, with: values) }
        guard let executable = argv.first, !executable.isEmpty else {
            throw .emptyExecutable(context: context, name: name)
        }
        var variables = ["BRAID_WORKTREE": request.worktree.path]
        if let id = request.task.id { variables["BRAID_TASK_ID"] = String(id) }
        for (key, value) in environment { variables[key] = ArgumentTemplate.fill(value, with: values) }

        return AgentInvocation(agent: name, executable: executable, arguments: Array(argv.dropFirst()),
                               workingDirectory: request.worktree, environment: variables,
                               standardInput: kind == .script || promptInArguments ? nil : Data(request.prompt.utf8),
                               files: files, outputFormat: outputFormat)
    }

    /// The first word of a fence's info string, lowercased: ```` ```sh title="x" ```` is `sh`.
    static func language(of info: String) -> String {
        String(info.split(whereSeparator: { $0.isWhitespace }).first ?? "").lowercased()
    }

    static func isShellBlock(_ info: String) -> Bool {
        scriptLanguages.contains(language(of: info))
    }
}
