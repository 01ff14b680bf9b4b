/// What the built-in gate steps know about the change they check, beyond the worktree: the task
/// it is for, where it starts, and what the agent said. Program steps ignore it.
///
/// The empty context (the default) is a gate run that is no one task's change: the merge queue's
/// gate on a merged result, whose tasks each passed their built-in steps on their branch. Built-in
/// steps then pass, saying they had nothing to check.
public struct GateContext: Sendable, Hashable {
    /// The commit the change is measured from (the task's merge base with the base branch); the
    /// change is from it to the worktree's `HEAD`. Nil: no task change to check.
    public var base: String?
    /// The task's title (the landed commit's subject, with the squash strategy).
    public var taskTitle: String
    /// Everything the task says: title, body, criteria, and a person's guidance on a retry.
    public var taskText: String
    /// The task's acceptance criteria as on the board (ticked ones are already done).
    public var criteria: [BoardTask.Criterion]
    /// What the agent printed in the session being gated: its log.
    public var agentReport: String

    public init(base: String? = nil, taskTitle: String = "", taskText: String = "", criteria: [BoardTask.Criterion] = [],
                agentReport: String = "") {
        self.base = base
        self.taskTitle = taskTitle
        self.taskText = taskText
        self.criteria = criteria
        self.agentReport = agentReport
    }

    /// The context of a task's try: the task as the board has it, and a person's guidance.
    public init(task: BoardTask, guidance: String? = nil, base: String?, agentReport: String) {
        var text = [task.title] + task.descriptionLines + task.criteria.map(\.text)
        text += task.fencedBlocks.map(\.contents)
        if let guidance { text.append(guidance) }
        self.init(base: base, taskTitle: task.title, taskText: text.joined(separator: "\n"), criteria: task.criteria,
                  agentReport: agentReport)
    }
}
