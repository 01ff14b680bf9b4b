#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Runs a program to completion and returns how it ended with everything it wrote.
///
/// Built for short programs that do not leave daemons behind (git, gates' test commands): it uses
/// `Foundation.Process`, which on Linux learns of an exit through a descriptor that a long-lived
/// grandchild would keep open (see LINUX-NOTES). Agents get their own spawner.
///
/// The hazards of a child process are handled here once: stdout and stderr are drained on
/// separate threads while stdin is fed on a third, so that no pipe filling up can stall the child or
/// us; the exit is learnt from `terminationHandler`, set before `run()` (`waitUntilExit` has been
/// seen to hang on Linux); a time limit stops the child's whole process group; and children start
/// from `Spawner`'s thread, with no signal blocked and no stray descriptor. Each call owns what it
/// touches, so any number of threads may run commands at once. The call blocks its thread until
/// the program has ended: keep long commands off Swift's cooperative pool.
public enum CommandRunner {
    public static func run(_ command: Command) throws(CommandError) -> CommandResult {
        let environment = Self.environment(for: command)
        let path = try ExecutableSearch.locate(command.executable, searchPath: environment["PATH"])
        let exit = ExitWatch()
        let started = Spawner.shared.perform { start(command, path: path, environment: environment, exit: exit) }
        let child = try started.get()
        let timers = command.timeLimit.map {
            exit.stop(child.process.processIdentifier, after: $0, grace: command.terminationGracePeriod)
        }

        // The input is closed as soon as it is written: a child like `cat` ends only then.
        let feeder = child.stdin.flatMap { handle in
            command.standardInput.map { data in
                ThreadJob(name: "command-stdin") {
                    Self.blockSIGPIPEOnThisThread()
                    FileDescriptorIO.writeAll(handle.fileDescriptor, data)
                    try? handle.close()
                }
            }
        }
        let errorHandle = child.stderr
        let errorDrain = ThreadJob(name: "command-stderr") { FileDescriptorIO.readToEnd(errorHandle.fileDescriptor) }
        let output = FileDescriptorIO.readToEnd(child.stdout.fileDescriptor)
        let errors = errorDrain.wait()
        feeder?.wait()
        exit.waitForExit()
        timers?.forEach { $0.cancel() }
        try? child.stdout.close()
        try? child.stderr.close()

        return CommandResult(status: child.process.terminationStatus,
                             terminatedBySignal: child.process.terminationReason == .uncaughtSignal,
                             timedOut: exit.timedOut,
                             stdout: output,
                             stderr: errors)
    }

    /// A started child and our ends of its pipes.
    private struct Child: @unchecked Sendable {
        let process: Process
        let stdout: FileHandle
        let stderr: FileHandle
        let stdin: FileHandle?
    }

    /// Makes the pipes and starts the program; runs on the spawner thread.
    private static func start(_ command: Command, path: String, environment: [String: String],
                              exit: ExitWatch) -> Result<Child, CommandError> {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = command.arguments
        process.environment = environment
        if let directory = command.workingDirectory { process.currentDirectoryURL = directory }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin: Pipe? = command.standardInput == nil ? nil : Pipe()
        // Close-on-exec keeps our ends out of children that other code spawns; the child's own
        // copies are made by dup2, which clears the flag.
        for pipe in [stdout, stderr] + (stdin.map { [$0] } ?? []) {
            _ = fcntl(pipe.fileHandleForReading.fileDescriptor, F_SETFD, FD_CLOEXEC)
            _ = fcntl(pipe.fileHandleForWriting.fileDescriptor, F_SETFD, FD_CLOEXEC)
        }
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin ?? FileHandle.nullDevice
        process.terminationHandler = { _ in exit.markExited() }
        do {
            try process.run()
        } catch {
            return .failure(.launchFailed(executable: command.executable, reason: Self.reason(error)))
        }
        return .success(Child(process: process, stdout: stdout.fileHandleForReading,
                              stderr: stderr.fileHandleForReading, stdin: stdin?.fileHandleForWriting))
    }

    /// A child that exits before reading all its input must cost the writer an EPIPE, not the
    /// whole process a SIGPIPE. Blocking it on the writing thread alone (the signal is sent to the
    /// thread that wrote) leaves the process's dispositions, which children inherit, untouched.
    private static func blockSIGPIPEOnThisThread() {
        var pipeSignal = sigset_t()
        sigemptyset(&pipeSignal)
        sigaddset(&pipeSignal, SIGPIPE)
        pthread_sigmask(SIG_BLOCK, &pipeSignal, nil)
    }

    static func environment(for command: Command) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        for name in command.unsetEnvironment { environment[name] = nil }
        environment.merge(command.environment) { _, added in added }
        return environment
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let path = error.filePath {
            return "\(error.localizedDescription) (\(path))"
        }
        return "\(error)"
    }
}

/// What is known about one child's end, shared by the termination handler, the timers and the
/// thread waiting in `run`.
private final class ExitWatch: Sendable {
    private struct State {
        var exited = false
        var timedOut = false
    }

    private let state = Mutex(State())
    private let exitedSignal = DispatchSemaphore(value: 0)

    var timedOut: Bool { state.withLock { $0.timedOut } }

    func markExited() {
        state.withLock { $0.exited = true }
        exitedSignal.signal()
    }

    func waitForExit() { exitedSignal.wait() }

    /// Schedules SIGTERM at `limit` and SIGKILL `grace` later, each only if the child is still
    /// running then. The returned items are cancelled once the child has ended.
    func stop(_ pid: Int32, after limit: Duration, grace: Duration) -> [DispatchWorkItem] {
        // Weak: a cancelled item stays queued until its deadline, and should not keep this alive.
        let term = DispatchWorkItem { [weak self] in self?.signal(pid, SIGTERM) }
        let kill = DispatchWorkItem { [weak self] in self?.signal(pid, SIGKILL) }
        let now = DispatchTime.now()
        DispatchQueue.global().asyncAfter(deadline: now + limit.seconds, execute: term)
        DispatchQueue.global().asyncAfter(deadline: now + limit.seconds + grace.seconds, execute: kill)
        return [term, kill]
    }

    /// Signals the child's process group when it leads one (`Process` starts children that way),
    /// so that what it started stops too; else the child alone. The check and the signal happen
    /// under the lock that `markExited` takes, so no signal goes out once the exit is reported
    /// (the moment between `Process` reaping the child and reporting it remains).
    private func signal(_ pid: Int32, _ signal: Int32) {
        state.withLock { state in
            guard !state.exited else { return }
            state.timedOut = true
            if getpgid(pid) == pid {
                _ = kill(-pid, signal)
            } else {
                _ = kill(pid, signal)
            }
        }
    }
}

extension Duration {
    /// The duration in seconds, for Dispatch's deadlines.
    var seconds: Double {
        let (seconds, attoseconds) = components
        return Double(seconds) + Double(attoseconds) / 1e18
    }
}
