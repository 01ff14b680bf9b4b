import Foundation

/// Carries out one try: prompt, agent session (its own process group, log file, watchdog), commit of
/// what the agent left, and the gate. Runs off the supervisor's actor; git and gates run on threads
/// of their own, never blocking Swift's cooperative pool. Reports back through closures.
struct AttemptRunner: Sendable {
    let workspace: Workspace
    let config: BraidConfig
    let manager: WorktreeManager

    /// - Parameters:
    ///   - started: called as soon as the agent runs, with the commit it started from (the
    ///     supervisor journals both).
    ///   - ended: called when the session is over and its work committed, before the gate runs.
    func run(_ plan: AttemptPlan, adopting adopted: AgentProcess? = nil,
             started: @Sendable (AgentProcess, URL, String?) async -> Bool,
             ended: @Sendable (AttemptResult) async -> Void) async -> AttemptResult {
        let sessionDirectory = workspace.logsDirectory.appendingPathComponent(plan.session)
        let log = sessionDirectory.appendingPathComponent("output.log")
        var format = AgentOutputFormat.generic
        let process: AgentProcess
        var sessionStart: String?
        if let adopted {
            process = adopted
        } else {
            do {
                try FileManager.default.createDirectory(at: sessionDirectory, withIntermediateDirectories: true)
                let profile = try AgentProfile.named(plan.agent, config: config, context: "starting #\(plan.taskID)")
                let prompt = PromptComposer.compose(task: plan.task, conventions: ConventionsFile.read(in: plan.worktree.path),
                                                    gateSteps: config.gate.map(\.name), retry: plan.feedback,
                                                    reportCriteria: config.gate.contains { $0.builtin == .acceptance })
                let invocation = try profile.invocation(for: AgentRequest(task: plan.task, prompt: prompt, worktree: plan.worktree.path,
                                                                          sessionDirectory: sessionDirectory))
                format = invocation.outputFormat
                // Written and flushed on a thread of their own: fifty sessions starting at once must
                // not park the cooperative pool on their fsyncs.
                let written: Result<URL?, any Error> = await ThreadJob.run(name: "braid-session") {
                    Result { try invocation.writeSessionFiles(prompt: prompt, in: sessionDirectory) }
                }
                let input = try written.get()
                let manager = self.manager
                sessionStart = await ThreadJob.run(name: "braid-git") { try? manager.head(plan.worktree) }
                process = try invocation.start(session: plan.session, standardInput: input, logFile: log)
            } catch {
                return failed(plan, "could not start \(plan.agent) for #\(plan.taskID): \(error)")
            }
        }
        guard await started(process, log, sessionStart) else {
            // Not journaled: a session Braid could not record must not run unrecorded.
            await process.terminate(grace: .seconds(2))
            return failed(plan, "could not record the start of #\(plan.taskID)'s session in the journal")
        }
        // A cancel asked for between the request that started it and its journaling.
        if isCancelled(plan) { await process.terminate(grace: .seconds(5)) }
        let watchdog = SessionWatchdog(process: process, logFile: log, worktree: plan.worktree.path,
                                       wallTime: .seconds(config.sessionTimeoutSeconds),
                                       stallAfter: .seconds(config.stallTimeoutSeconds))
        let exit = await process.waitForExit()
        let stop = await watchdog.stopReason()
        return await conclude(plan, exit: exit, stop: stop, log: log, format: format, sessionStart: sessionStart,
                              diedUnwatched: false, ended: ended)
    }

    /// What follows the agent's exit: read its output, keep its work, gate it.
    func conclude(_ plan: AttemptPlan, exit: AgentExit, stop: SessionStopReason?, log: URL, format: AgentOutputFormat,
                  sessionStart: String?, diedUnwatched: Bool, ended: @Sendable (AttemptResult) async -> Void) async -> AttemptResult {
        let status: Int32
        switch exit {
        case .exited(let code): status = code
        case .signaled(let signal): status = 128 + signal
        case .unknown: status = 0
        }
        let text = LogEnd.read(log)
        let output = AgentOutputReader.read(text, exitStatus: status, format: format)
        let manager = self.manager
        let message = """
            Braid: #\(plan.taskID) \(plan.task.title)

            Work left uncommitted by \(plan.agent) in session \(plan.session), committed by Braid.

            Braid-Task: \(plan.taskID)
            Braid-Agent: \(plan.agent)
            Braid-Session: \(plan.session)
            """
        let kept: Result<(String?, Bool), any Error> = await ThreadJob.run(name: "braid-git") {
            do {
                let commit = try manager.commitPending(plan.worktree, message: message)
                return .success((commit, try manager.hasCommittedChanges(plan.worktree, since: sessionStart ?? plan.worktree.startCommit)))
            } catch {
                return .failure(error)
            }
        }
        guard case .success(let (commit, changed)) = kept else {
            if case .failure(let error) = kept {
                return failed(plan, "keeping the work of #\(plan.taskID): \(error)", exit: exit, stop: stop)
            }
            return failed(plan, "keeping the work of #\(plan.taskID)", exit: exit, stop: stop)
        }
        var result = AttemptResult(plan: plan, exit: exit, stop: stop, cancelled: isCancelled(plan), quotaExhausted: output.quotaExhausted,
                                   usage: output.usage, commit: commit, changed: changed, gate: nil, failure: nil)
        result.diedUnwatched = diedUnwatched
        await ended(result)
        if result.willBeGated {
            let context = await gateContext(plan, agentReport: text)
            result.gate = await GateRunner(config: config, environment: [AgentIdentity.variable: plan.session])
                .run(in: plan.worktree.path, context: context)
            // A cancel that came while the gate ran still counts.
            result.cancelled = isCancelled(plan)
        }
        return result
    }

    /// What the gate's built-in steps check against: the task, a person's guidance, this
    /// session's output, and the task's merge base (its start commit when there are no built-in
    /// steps, which is all program steps need, sparing a git process).
    private func gateContext(_ plan: AttemptPlan, agentReport: String) async -> GateContext {
        var base = plan.worktree.startCommit
        if config.gate.contains(where: { $0.builtin != nil }) {
            let manager = self.manager
            base = await ThreadJob.run(name: "braid-git") { (try? manager.mergeBase(plan.worktree)) ?? plan.worktree.startCommit }
        }
        return GateContext(task: plan.task, guidance: plan.feedback?.guidance, base: base, agentReport: agentReport)
    }

    private func isCancelled(_ plan: AttemptPlan) -> Bool {
        FileManager.default.fileExists(atPath: workspace.cancelMarker(session: plan.session).path)
    }

    private func failed(_ plan: AttemptPlan, _ message: String, exit: AgentExit = .unknown, stop: SessionStopReason? = nil) -> AttemptResult {
        AttemptResult(plan: plan, exit: exit, stop: stop, cancelled: false, quotaExhausted: false, usage: .none,
                      commit: nil, changed: false, gate: nil, failure: message)
    }
}
