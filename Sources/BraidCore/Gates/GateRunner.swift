import Foundation

/// Runs a gate's steps in order in a worktree, stopping at the first that fails.
///
/// An argv step runs as given, with no shell; a shell step (`.shell`, only ever from the user's own
/// config) runs as `/bin/sh -c script`. A built-in step (`braid:secrets`…) runs inside Braid against
/// the task's change described by the `GateContext`, and reports like a program: status 0 or 1,
/// and text saying what failed. Each step has its own time limit, after which its process
/// group is stopped. Its standard output and error are read from one pipe, as interleaved as the
/// program wrote them, and only their end is kept (memory stays bounded when a test suite prints
/// gigabytes).
public struct GateRunner: Sendable {
    public var steps: [GateStepConfig]
    /// For a step that sets no `timeoutSeconds`.
    public var defaultTimeLimit: Duration
    /// Added to the daemon's environment for every step.
    public var environment: [String: String]
    /// Bytes of each step's output kept for the result.
    public var outputTailLimit: Int

    public init(steps: [GateStepConfig], defaultTimeLimit: Duration = .seconds(1800),
                environment: [String: String] = [:], outputTailLimit: Int = OutputTail.defaultLimit) {
        self.steps = steps
        self.defaultTimeLimit = defaultTimeLimit
        self.environment = environment
        self.outputTailLimit = outputTailLimit
    }

    /// The gate of a configuration, with its default step time limit.
    public init(config: BraidConfig, environment: [String: String] = [:]) {
        self.init(steps: config.gate, defaultTimeLimit: .seconds(config.stepTimeoutSeconds), environment: environment)
    }

    /// Runs the steps in `worktree`. The steps run on a thread of their own: the calling task waits
    /// without holding a thread of Swift's cooperative pool.
    public func run(in worktree: URL, context: GateContext = GateContext()) async -> GateResult {
        await ThreadJob.run(name: "braid-gate") { runBlocking(in: worktree, context: context) }
    }

    /// Runs the steps in `worktree`, blocking this thread until they are done.
    public func runBlocking(in worktree: URL, context: GateContext = GateContext()) -> GateResult {
        var results: [GateStepResult] = []
        for (index, step) in steps.enumerated() {
            let result = run(step, in: worktree, context: context)
            results.append(result)
            if !result.passed {
                return GateResult(steps: results, skipped: steps[(index + 1)...].map(\.name))
            }
        }
        return GateResult(steps: results, skipped: [])
    }

    private func run(_ step: GateStepConfig, in worktree: URL, context: GateContext) -> GateStepResult {
        let limit = step.timeoutSeconds.map { Duration.seconds($0) } ?? defaultTimeLimit
        let argv: [String]
        switch step.command {
        case .argv(let arguments): argv = arguments
        case .shell(let script): argv = ["/bin/sh", "-c", script]
        case .builtin(let builtin): return run(builtin, named: step.name, in: worktree, context: context)
        }
        func result(_ outcome: GateStepOutcome, seconds: Double, output: OutputTail) -> GateStepResult {
            GateStepResult(name: step.name, command: argv, outcome: outcome, seconds: seconds,
                           timeLimitSeconds: limit.seconds, output: output)
        }
        guard let executable = argv.first else {
            return result(.couldNotStart("the step's command is empty"), seconds: 0, output: OutputTail(text: "", droppedBytes: 0))
        }
        let command = Command(executable, Array(argv.dropFirst()), workingDirectory: worktree,
                              environment: environment, timeLimit: limit,
                              standardErrorToOutput: true, outputTailLimit: outputTailLimit)
        let started = ContinuousClock.now
        do {
            let ran = try CommandRunner.run(command)
            let seconds = (ContinuousClock.now - started).seconds
            let outcome: GateStepOutcome = ran.timedOut ? .timedOut
                : ran.terminatedBySignal ? .signaled(ran.status) : .exited(ran.status)
            return result(outcome, seconds: seconds,
                          output: OutputTail(output: ran.stdout, droppedBefore: ran.droppedOutputBytes, limit: outputTailLimit))
        } catch {
            return result(.couldNotStart(error.description), seconds: (ContinuousClock.now - started).seconds,
                          output: OutputTail(text: "", droppedBytes: 0))
        }
    }

    private func run(_ builtin: BuiltinGateStep, named name: String, in worktree: URL, context: GateContext) -> GateStepResult {
        let started = ContinuousClock.now
        let verdict = BuiltinStepRunner(worktree: worktree, context: context).run(builtin)
        return GateStepResult(name: name, command: [builtin.name], outcome: .exited(verdict.passed ? 0 : 1),
                              seconds: (ContinuousClock.now - started).seconds, timeLimitSeconds: 0,
                              output: OutputTail(output: Data((verdict.message + "\n").utf8), limit: outputTailLimit))
    }
}
