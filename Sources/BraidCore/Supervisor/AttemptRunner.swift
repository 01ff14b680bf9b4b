import Foundation

/// Carries out one try: prompt, agent session (its own process group, log file, watchdog), commit of
/// what the agent left, and the gate. Runs off the supervisor's actor; reports back through closures.
struct AttemptRunner: Sendable {
    let workspace: Workspace
    let config: BraidConfig
    let manager: WorktreeManager

    /// `started` is called with the agent's process as soon as it runs (the supervisor journals it).
    func run(_ plan: AttemptPlan, adopting adopted: AgentProcess? = nil,
             started: @Sendable (AgentProcess, URL) async -> Void) async -> AttemptResult {
        let sessionDirectory = workspace.logsDirectory.appendingPathComponent(plan.session)
        let log = sessionDirectory.appendingPathComponent("output.log")
        var format = AgentOutputFormat.generic
        let process: AgentProcess
        if let adopted {
            process = adopted
        } else {
            do {
                try FileManager.default.createDirectory(at: sessionDirectory, withIntermediateDirectories: true)
                let profile = try AgentProfile.named(plan.agent, config: config, context: "starting #\(plan.taskID)")
                let prompt = PromptComposer.compose(task: plan.task, conventions: ConventionsFile.read(in: plan.worktree.path),
                                                    gateSteps: config.gate.map(\.name), retry: plan.feedback)
                let invocation = try profile.invocation(for: AgentRequest(task: plan.task, prompt: prompt, worktree: plan.worktree.path,
                                                                          sessionDirectory: sessionDirectory))
                format = invocation.outputFormat
                try invocation.writeFiles()
                // Kept beside the log, for people and for tests: what exactly the agent was asked.
                try AtomicFile.write(prompt, to: sessionDirectory.appendingPathComponent("prompt.txt"))
                var input: URL?
                if let data = invocation.standardInput {
                    input = sessionDirectory.appendingPathComponent("stdin")
                    try AtomicFile.write(Array(data), to: input!)
                }
                process = try AgentProcess.spawn(executable: invocation.executable, arguments: invocation.arguments,
                                                 workingDirectory: invocation.workingDirectory, environment: invocation.environment,
                                                 standardInput: input, logFile: log)
            } catch {
                return failed(plan, "could not start \(plan.agent) for #\(plan.taskID): \(error)")
            }
        }
        await started(process, log)
        let watchdog = SessionWatchdog(process: process, logFile: log, worktree: plan.worktree.path,
                                       wallTime: .seconds(config.sessionTimeoutSeconds),
                                       stallAfter: .seconds(config.stallTimeoutSeconds))
        let exit = await process.waitForExit()
        let stop = await watchdog.stopReason()
        return await conclude(plan, exit: exit, stop: stop, log: log, format: format)
    }

    /// What follows the agent's exit: read its output, keep its work, gate it.
    func conclude(_ plan: AttemptPlan, exit: AgentExit, stop: SessionStopReason?, log: URL,
                  format: AgentOutputFormat) async -> AttemptResult {
        let cancelled = FileManager.default.fileExists(atPath: workspace.cancelMarker(session: plan.session).path)
        let status: Int32
        switch exit {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        case .unknown: status = 0
        }
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        let output = AgentOutputReader.read(text, exitStatus: status, format: format)
        let commit: String?
        let changed: Bool
        do {
            commit = try manager.commitPending(plan.worktree, message: """
                Braid: #\(plan.taskID) \(plan.task.title)

                Work left uncommitted by \(plan.agent) in session \(plan.session), committed by Braid.

                Braid-Task: \(plan.taskID)
                Braid-Agent: \(plan.agent)
                Braid-Session: \(plan.session)
                """)
            changed = try manager.hasCommittedChanges(plan.worktree)
        } catch {
            return failed(plan, "keeping the work of #\(plan.taskID): \(error)", exit: exit, stop: stop)
        }
        var gate: GateResult?
        if changed && !cancelled && !output.quotaExhausted && stop == nil {
            gate = await GateRunner(config: config).run(in: plan.worktree.path)
        }
        return AttemptResult(plan: plan, exit: exit, stop: stop, cancelled: cancelled, quotaExhausted: output.quotaExhausted,
                             usage: output.usage, commit: commit, changed: changed, gate: gate, failure: nil)
    }

    private func failed(_ plan: AttemptPlan, _ message: String, exit: AgentExit = .unknown, stop: SessionStopReason? = nil) -> AttemptResult {
        AttemptResult(plan: plan, exit: exit, stop: stop, cancelled: false, quotaExhausted: false, usage: .none,
                      commit: nil, changed: false, gate: nil, failure: message)
    }
}
