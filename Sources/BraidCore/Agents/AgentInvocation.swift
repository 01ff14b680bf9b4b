import Foundation

/// What to run for one agent session: a program and its argv (never a shell line), where, with
/// which environment and input, and which files to write first.
///
/// The process layer writes `files` (`writeFiles()`), then starts `executable` with `arguments` in
/// `workingDirectory`, adding `environment` to its own, feeding `standardInput` (or `/dev/null`
/// when nil), and reads the session's log with `AgentOutputReader` in `outputFormat`.
public struct AgentInvocation: Sendable, Hashable {
    /// A file to write before the agent starts.
    public struct File: Sendable, Hashable {
        public enum Role: String, Sendable, Hashable {
            /// The prompt, because the argv names it with `{prompt_file}`.
            case prompt
            /// The script agent's shell block.
            case script
        }

        public var url: URL
        public var contents: Data
        public var role: Role

        public init(url: URL, contents: Data, role: Role) {
            self.url = url
            self.contents = contents
            self.role = role
        }
    }

    /// The profile's name, as the board and the config say it.
    public var agent: String
    /// A path, or a name looked up on `PATH`.
    public var executable: String
    public var arguments: [String]
    /// The task's worktree.
    public var workingDirectory: URL
    /// Added to Braid's own environment, replacing variables of the same name.
    public var environment: [String: String]
    /// Written to the agent's standard input, which is then closed; `/dev/null` when nil.
    public var standardInput: Data?
    /// Written, in order, before the agent starts.
    public var files: [File]
    public var outputFormat: AgentOutputFormat

    public init(agent: String, executable: String, arguments: [String], workingDirectory: URL,
                environment: [String: String], standardInput: Data?, files: [File],
                outputFormat: AgentOutputFormat) {
        self.agent = agent
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.standardInput = standardInput
        self.files = files
        self.outputFormat = outputFormat
    }

    /// Where the prompt is to be written, when the argv names it with `{prompt_file}`.
    public var promptFile: URL? { files.first { $0.role == .prompt }?.url }

    /// The full argv, program first.
    public var argv: [String] { [executable] + arguments }

    /// Writes `files` (each atomically, its folder created when missing).
    public func writeFiles() throws(AgentError) {
        for file in files {
            let context = "preparing agent '\(agent)'"
            do {
                try FileManager.default.createDirectory(at: file.url.deletingLastPathComponent(),
                                                        withIntermediateDirectories: true)
            } catch {
                throw .fileWriteFailed(context: context, path: file.url.deletingLastPathComponent().path,
                                       reason: error.localizedDescription)
            }
            do {
                try AtomicFile.write(Array(file.contents), to: file.url)
            } catch {
                throw .fileWriteFailed(context: context, path: file.url.path,
                                       reason: (error as? AtomicFile.WriteError)?.reason ?? error.localizedDescription)
            }
        }
    }

    /// The invocation as a `Command` for `CommandRunner`, for short sessions and tests.
    public func command(timeLimit: Duration? = nil) -> Command {
        Command(executable, arguments, workingDirectory: workingDirectory, environment: environment,
                standardInput: standardInput, timeLimit: timeLimit)
    }
}

extension AgentInvocation {
    /// Writes what a session needs beside its log: `files`, the prompt (kept for people and tests:
    /// what exactly the agent was asked) and the standard input; returns the standard input's file.
    public func writeSessionFiles(prompt: String, in directory: URL) throws -> URL? {
        try writeFiles()
        try AtomicFile.write(prompt, to: directory.appendingPathComponent("prompt.txt"))
        guard let standardInput else { return nil }
        let file = directory.appendingPathComponent("stdin")
        try AtomicFile.write(Array(standardInput), to: file)
        return file
    }

    /// Starts the agent with its session's id in its environment: how a restarted daemon tells its
    /// agents (and their gates) from a process that merely reuses a pid.
    public func start(session: String, standardInput: URL?, logFile: URL) throws(CommandError) -> AgentProcess {
        var environment = self.environment
        environment[AgentIdentity.variable] = session
        return try AgentProcess.spawn(executable: executable, arguments: arguments, workingDirectory: workingDirectory,
                                      environment: environment, standardInput: standardInput, logFile: logFile)
    }
}
