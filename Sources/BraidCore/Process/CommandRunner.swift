#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// Runs a program to completion and returns how it ended with everything it wrote.
///
/// Built for short programs (git, gates' test commands). The hazards of a child process are handled
/// here once: the child starts through `ChildSpawn` (its own process group, default signal
/// dispositions, nothing blocked, no stray descriptor); stdout and stderr are drained on separate
/// threads while stdin is fed on a third, so that no pipe filling up can stall the child or us; the
/// exit is learnt by `ChildReaper`; and a time limit stops the child's whole process group. Each
/// call owns what it touches, so any number of threads may run commands at once. The call blocks
/// its thread until the program has ended: keep long commands off Swift's cooperative pool.
///
/// The output is read to its end, so a grandchild that keeps the pipes open holds the call until
/// the time limit stops the group. Agents, which leave daemons behind, get `AgentProcess`.
public enum CommandRunner {
    /// A relative program (`./check.sh`) names a file in the command's own folder, not in this
    /// process's: a gate step means the worktree it runs in.
    static func resolved(_ command: Command) -> String {
        let name = command.executable
        guard name.contains("/"), !name.hasPrefix("/"), let folder = command.workingDirectory else { return name }
        return folder.appendingPathComponent(name).standardizedFileURL.path
    }

    public static func run(_ command: Command) throws(CommandError) -> CommandResult {
        let environment = Self.environment(for: command)
        let path = try ExecutableSearch.locate(resolved(command), searchPath: environment["PATH"])
        let exit = ExitWatch()
        let started = Spawner.shared.perform { start(command, path: path, environment: environment, exit: exit) }
        let child = try started.get()
        let timers = command.timeLimit.map {
            exit.stop(child.pid, after: $0, grace: command.terminationGracePeriod)
        }

        // The input is closed as soon as it is written: a child like `cat` ends only then.
        let feeder = child.stdin.flatMap { fd in
            command.standardInput.map { data in
                ThreadJob(name: "command-stdin") {
                    Self.blockSIGPIPEOnThisThread()
                    FileDescriptorIO.writeAll(fd, data)
                    close(fd)
                }
            }
        }
        let limit = command.outputTailLimit
        let errorDrain = child.stderr.map { fd in
            ThreadJob(name: "command-stderr") { FileDescriptorIO.readToEnd(fd, keepingLast: limit) }
        }
        let output = FileDescriptorIO.readToEnd(child.stdout, keepingLast: limit)
        let errors = errorDrain?.wait() ?? (data: Data(), dropped: 0)
        feeder?.wait()
        let status = exit.waitForStatus()
        timers?.forEach { $0.cancel() }
        close(child.stdout)
        if let fd = child.stderr { close(fd) }

        // No status: something else reaped the child (SIGCHLD ignored), which Braid never does.
        let (code, bySignal) = status.map(ChildReaper.decode) ?? (-1, false)
        return CommandResult(status: code,
                             terminatedBySignal: bySignal,
                             timedOut: exit.timedOut,
                             stdout: output.data,
                             stderr: errors.data,
                             droppedOutputBytes: output.dropped + errors.dropped)
    }

    /// Starts a program that nobody waits for (a cleanup in the background), reading and writing
    /// `/dev/null`, in its own process group; it is reaped when it ends if this process still runs,
    /// and goes on by itself if this process exits first.
    /// - Parameter logFile: where its output and errors are appended; nil: discarded.
    @discardableResult
    public static func startDetached(_ command: Command, logFile: URL? = nil) throws(CommandError) -> Int32 {
        let environment = Self.environment(for: command)
        let path = try ExecutableSearch.locate(resolved(command), searchPath: environment["PATH"])
        let started = Spawner.shared.perform { () -> Result<pid_t, CommandError> in
            let null = open("/dev/null", O_RDWR | O_CLOEXEC)
            guard null >= 0 else { return .failure(.launchFailed(executable: command.executable, reason: "cannot open /dev/null")) }
            defer { close(null) }
            var output = null
            if let logFile {
                output = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
                guard output >= 0 else {
                    return .failure(.launchFailed(executable: command.executable, reason: "cannot open \(logFile.path)"))
                }
            }
            defer { if output != null { close(output) } }
            return Result { () throws(CommandError) -> pid_t in
                try ChildSpawn.start(ChildSpawn.Request(
                    executable: command.executable, path: path, arguments: command.arguments, environment: environment,
                    workingDirectory: command.workingDirectory?.path, standardInput: null, standardOutput: output, standardError: output))
            }
        }
        let pid = try started.get()
        ChildReaper.watch(pid, reaped: { _ in })
        return pid
    }

    /// A started child and our ends of its pipes.
    private struct Child: Sendable {
        let pid: pid_t
        let stdout: Int32
        /// Nil when standard error shares the output pipe.
        let stderr: Int32?
        /// Nil when the child reads `/dev/null`.
        let stdin: Int32?
    }

    /// Makes the pipes, starts the program and its reaper; runs on the spawner thread. The child's
    /// ends of the pipes are closed here once it has them, ours on failure.
    private static func start(_ command: Command, path: String, environment: [String: String],
                              exit: ExitWatch) -> Result<Child, CommandError> {
        var ours: [Int32] = []
        var childs: [Int32] = []
        var started = false
        defer {
            for fd in childs { close(fd) }
            if !started { for fd in ours { close(fd) } }
        }
        func failure(_ reason: String) -> CommandError {
            .launchFailed(executable: command.executable, reason: "\(reason): \(ChildSpawn.describe(errno))")
        }
        // Close-on-exec keeps both ends out of every other child; the child's own copies are made
        // by dup2, which clears the flag.
        func makePipe() throws(CommandError) -> (read: Int32, write: Int32) {
            var fds: [Int32] = [0, 0]
            guard pipe(&fds) == 0 else { throw failure("cannot make a pipe") }
            for fd in fds { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
            return (fds[0], fds[1])
        }
        return Result { () throws(CommandError) -> Child in
            let stdout = try makePipe()
            ours.append(stdout.read)
            childs.append(stdout.write)
            var stderr: (read: Int32, write: Int32)?
            if !command.standardErrorToOutput {
                let made = try makePipe()
                ours.append(made.read)
                childs.append(made.write)
                stderr = made
            }
            var stdin: (read: Int32, write: Int32)?
            if command.standardInput != nil {
                let made = try makePipe()
                ours.append(made.write)
                childs.append(made.read)
                stdin = made
            }
            // A child must never share a server's stdin, where JSON-RPC frames arrive.
            let input = stdin?.read ?? open("/dev/null", O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw failure("cannot open /dev/null") }
            if stdin == nil { childs.append(input) }

            let pid = try ChildSpawn.start(ChildSpawn.Request(
                executable: command.executable, path: path, arguments: command.arguments,
                environment: environment, workingDirectory: command.workingDirectory?.path,
                standardInput: input, standardOutput: stdout.write, standardError: stderr?.write ?? stdout.write))
            started = true
            ChildReaper.watch(pid, ended: { exit.markEnded() }, reaped: { exit.markReaped($0) })
            return Child(pid: pid, stdout: stdout.read, stderr: stderr?.read, stdin: stdin?.write)
        }
    }

    /// A child that exits before reading all its input must cost the writer an EPIPE, not the
    /// whole process a SIGPIPE. Blocking it on the writing thread alone (the signal is sent to the
    /// thread that wrote) leaves the process's dispositions untouched.
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
}

/// What is known about one child's end, shared by its reaper, the timers and the thread waiting in
/// `run`.
private final class ExitWatch: Sendable {
    private struct State {
        var ended = false
        var timedOut = false
        var status: Int32?
    }

    private let state = Mutex(State())
    private let reapedSignal = DispatchSemaphore(value: 0)

    var timedOut: Bool { state.withLock { $0.timedOut } }

    /// The child has ended but is not reaped yet: from now on no signal goes out.
    func markEnded() {
        state.withLock { $0.ended = true }
    }

    func markReaped(_ status: Int32?) {
        state.withLock { $0.status = status }
        reapedSignal.signal()
    }

    /// Blocks until the child is reaped; its wait status.
    func waitForStatus() -> Int32? {
        reapedSignal.wait()
        return state.withLock { $0.status }
    }

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

    /// Signals the child's process group, so that what it started stops too. The check and the
    /// signal happen under the lock that `markEnded` takes, and the reaper marks the end before it
    /// reaps: while the child is unreaped its pid cannot name another process.
    ///
    /// A child that has ended while the limit runs on left something in its group holding the
    /// output open (a test's forgotten server): the group is signalled while it has members, whose
    /// presence keeps its id from being reused.
    private func signal(_ pid: Int32, _ signal: Int32) {
        state.withLock { state in
            if state.ended && ProcessSnapshot.livingMembers(ofGroup: pid).isEmpty { return }
            state.timedOut = true
            _ = kill(-pid, signal)
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
