#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A long-lived agent session's process: started with `posix_spawn` as the leader of its own process
/// group, its output appended to a log file, its end learnt by a thread blocked in `waitpid`.
///
/// `Foundation.Process` is not used: it learns of an exit through a descriptor that grandchildren
/// inherit, so an agent that leaves a daemon behind never reports its exit (LINUX-NOTES, "Child
/// processes"). `waitpid` on the pid sees the exit whatever the grandchildren hold.
///
/// A process from an earlier run of the daemon can be re-adopted by pid: it is not our child, so its
/// end is learnt from a pidfd and its status is not known.
public final class AgentProcess: Sendable {
    /// Also the process group's id: the agent leads its group.
    public let pid: Int32
    public let startTime: ProcessStartTime
    /// False for a process re-adopted from an earlier run, which is not our child.
    public let isChild: Bool
    private let notifier: ExitNotifier

    private init(pid: Int32, startTime: ProcessStartTime, isChild: Bool, notifier: ExitNotifier) {
        self.pid = pid
        self.startTime = startTime
        self.isChild = isChild
        self.notifier = notifier
    }

    // MARK: Starting and adopting

    /// Starts `executable` (a path, or a name looked up on `PATH`; a relative path with a slash is
    /// taken from `workingDirectory`) with `arguments` as given, no shell involved.
    ///
    /// - Parameters:
    ///   - environment: added to the daemon's environment, replacing variables of the same name.
    ///   - standardInput: a file the agent reads; `/dev/null` when nil, never the daemon's stdin.
    ///   - logFile: created (mode 0644) if missing; stdout and stderr are appended to it.
    public static func spawn(executable: String, arguments: [String], workingDirectory: URL,
                             environment: [String: String] = [:], standardInput: URL? = nil,
                             logFile: URL) throws(CommandError) -> AgentProcess {
        var merged = ProcessInfo.processInfo.environment
        merged.merge(environment) { _, added in added }
        let name = executable.contains("/") && !executable.hasPrefix("/")
            ? URL(fileURLWithPath: executable, relativeTo: workingDirectory).path
            : executable
        let path = try ExecutableSearch.locate(name, searchPath: merged["PATH"])
        func failure(_ reason: String) -> CommandError {
            .launchFailed(executable: executable, reason: "\(reason): \(ChildSpawn.describe(errno))")
        }
        // Close-on-exec: our copies must reach no other child; dup2 gives this one its own.
        let log = open(logFile.path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard log >= 0 else { throw failure("cannot open log file \(logFile.path)") }
        defer { close(log) }
        let inputPath = standardInput?.path ?? "/dev/null"
        let input = open(inputPath, O_RDONLY | O_CLOEXEC)
        guard input >= 0 else { throw failure("cannot open \(inputPath) for input") }
        defer { close(input) }

        let pid = try ChildSpawn.start(ChildSpawn.Request(
            executable: executable, path: path, arguments: arguments, environment: merged,
            workingDirectory: workingDirectory.path, standardInput: input, standardOutput: log, standardError: log))
        // Read before the reaper starts: until it reaps, the pid names this process.
        let started = ProcessStartTime(date: Date(), bootTicks: ProcessSnapshot.read(pid: pid)?.startTicks)
        let notifier = ExitNotifier()
        ChildReaper.watch(pid) { status in
            notifier.finish(status.map(AgentExit.init(waitStatus:)) ?? .unknown)
        }
        return AgentProcess(pid: pid, startTime: started, isChild: true, notifier: notifier)
    }

    /// Takes charge of a running process that is not our child, typically an agent started by a
    /// daemon that has since crashed. Nil when no such process runs, or when `startTime` is given and
    /// the pid now names another process.
    ///
    /// Its end is learnt from a pidfd (no thread busy while it runs), or where the kernel has none,
    /// by checking once a second that it still runs. `waitForExit` then reports `.unknown`.
    /// Without `startTime`, the adopted process's `startTime.date` is the moment of adoption.
    public static func adopt(pid: Int32, startTime: ProcessStartTime? = nil) -> AgentProcess? {
        let notifier = ExitNotifier()
        // Opened before the identity check: the pidfd then names the process that was checked.
        let pidfd = GlibcExtras.pidfdOpen.map { $0(pid, 0) } ?? -1
        guard let snapshot = ProcessSnapshot.read(pid: pid), !snapshot.hasEnded,
              startTime?.bootTicks.map({ $0 == snapshot.startTicks }) ?? true else {
            if pidfd >= 0 { close(pidfd) }
            return nil
        }
        if pidfd >= 0 {
            let waiter = Thread {
                var watch = pollfd(fd: pidfd, events: Int16(POLLIN), revents: 0)
                while poll(&watch, 1, -1) < 0 && errno == EINTR {}
                close(pidfd)
                notifier.finish(.unknown)
            }
            waiter.name = "braid-agent-watch-\(pid)"
            waiter.stackSize = 256 * 1024
            waiter.start()
        } else {
            let ticks = snapshot.startTicks
            Task.detached {
                while isRunning(pid: pid, startTicks: ticks) {
                    try? await Task.sleep(for: .seconds(1))
                }
                notifier.finish(.unknown)
            }
        }
        let started = startTime ?? ProcessStartTime(date: Date(), bootTicks: snapshot.startTicks)
        return AgentProcess(pid: pid, startTime: started, isChild: false, notifier: notifier)
    }

    /// Whether a process with this pid runs (a zombie, ended but not yet reaped, does not).
    public static func isAlive(pid: Int32) -> Bool {
        guard pid > 0, kill(pid, 0) == 0 || errno == EPERM else { return false }
        return ProcessSnapshot.read(pid: pid).map { !$0.hasEnded } ?? true
    }

    private static func isRunning(pid: Int32, startTicks: UInt64) -> Bool {
        guard isAlive(pid: pid) else { return false }
        return ProcessSnapshot.read(pid: pid).map { $0.startTicks == startTicks } ?? false
    }

    // MARK: Its end

    /// How it ended, once it has; nil while it runs.
    public var exit: AgentExit? { notifier.exit }

    /// Waits for the end, however long: any number of tasks may wait. Cancelling a waiting task does
    /// not end the wait; use `waitForExit(timeout:)` or `terminate` to bound it.
    public func waitForExit() async -> AgentExit {
        await notifier.wait()
    }

    /// The end, or nil if it has not come within `timeout`.
    public func waitForExit(timeout: Duration) async -> AgentExit? {
        await notifier.wait(until: .now + timeout)
    }

    /// Runs `body` once the process has ended, on the thread that learnt it (at once if it has).
    public func whenExited(_ body: @escaping @Sendable (AgentExit) -> Void) {
        notifier.whenFinished(body)
    }

    // MARK: Stopping

    /// Stops the agent and everything in its process group: SIGTERM to the group, and SIGKILL to the
    /// group if the leader has not ended within `grace`. Processes of the group that outlive the
    /// leader are given the rest of the grace period, then killed. Returns how the leader ended.
    ///
    /// Also cleans up after an agent that already exited and left processes in its group.
    @discardableResult
    public func terminate(grace: Duration) async -> AgentExit {
        let deadline = ContinuousClock.now + grace
        signalGroup(SIGTERM)
        let exit: AgentExit
        if let ended = await notifier.wait(until: deadline) {
            exit = ended
        } else {
            signalGroup(SIGKILL)
            exit = await notifier.wait()
        }
        // SIGKILL is final for the group's members too; after SIGTERM they may still be cleaning up.
        for member in ProcessSnapshot.livingMembers(ofGroup: pid) {
            guard let straggler = AgentProcess.adopt(pid: member) else { continue }
            if await straggler.notifier.wait(until: deadline) == nil {
                signalGroup(SIGKILL)
                break
            }
        }
        return exit
    }

    /// Signals the group the agent leads. An adopted process that does not lead its group (not one
    /// that Braid started) is signalled alone.
    private func signalGroup(_ signal: Int32) {
        if isChild || getpgid(pid) == pid {
            _ = kill(-pid, signal)
        } else {
            _ = kill(pid, signal)
        }
    }
}
