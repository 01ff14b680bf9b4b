import Foundation

/// What an agent session is for: the task, the prompt composed for it, and where it runs.
public struct AgentRequest: Sendable {
    public var task: BoardTask
    /// The whole prompt (`PromptComposer`'s output); it never starts with `-`.
    public var prompt: String
    /// The task's worktree: the agent's working directory and `{worktree}`.
    public var worktree: URL
    /// Where Braid keeps this session's own files (its log, the prompt file, the script file),
    /// outside the worktree so that nothing of Braid's ends up in the task's diff.
    public var sessionDirectory: URL

    public init(task: BoardTask, prompt: String, worktree: URL, sessionDirectory: URL) {
        self.task = task
        self.prompt = prompt
        self.worktree = worktree
        self.sessionDirectory = sessionDirectory
    }

    /// `#12 'Add a flag'`, or the title alone for a task without an id yet.
    var taskLabel: String {
        let title = "'\(AgentError.oneLine(task.title))'"
        return task.id.map { "#\($0) \(title)" } ?? title
    }
}
