#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation

/// `braid daemon run|start|stop|status`: the repository's daemon, which every client shares.
enum DaemonCommand {
    static func run(_ argv: [String]) async -> Int32 {
        guard let subcommand = argv.first, argv.count == 1 else {
            return Usage.fail("daemon: usage: braid daemon start|stop|status|run")
        }
        let context: CommandContext
        do {
            context = try CommandContext.load()
        } catch {
            return Usage.fail("daemon: \(error)", code: 1)
        }
        let paths = DaemonPaths(workspace: context.workspace)
        switch subcommand {
        case "run":
            return await foreground(context, paths)
        case "start":
            do {
                close(try DaemonLauncher.connect(paths))
                print("daemon running (pid \(paths.runningPID().map(String.init) ?? "?")) on \(paths.socket.path)")
                return 0
            } catch {
                return Usage.fail("daemon start: \(error)", code: 1)
            }
        case "stop":
            return stop(paths)
        case "status":
            if let pid = paths.runningPID() {
                print("daemon running (pid \(pid)) on \(paths.socket.path)")
                return 0
            }
            print("no daemon running for \(context.workspace.root.path)")
            return 3
        default:
            return Usage.fail("daemon: unknown subcommand '\(subcommand)'"
                + Usage.suggestion(for: subcommand, among: ["start", "stop", "status", "run"]))
        }
    }

    /// The daemon itself, in this process (what `start` launches, detached).
    private static func foreground(_ context: CommandContext, _ paths: DaemonPaths) async -> Int32 {
        signal(SIGPIPE, SIG_IGN)
        do {
            guard let host = try DaemonHost.start(context.workspace) else {
                FileDescriptorOutput.standardError.write("braid: daemon: already running (pid \(paths.runningPID().map(String.init) ?? "?"))\n")
                return 0
            }
            return await host.run()
        } catch {
            return Usage.fail("daemon: \(error)", code: 1)
        }
    }

    /// Asks the daemon to exit (SIGTERM) and waits until it has let go of the repository.
    /// Its agents keep running; the next daemon re-adopts them.
    private static func stop(_ paths: DaemonPaths) -> Int32 {
        guard let pid = paths.runningPID(), pid > 0 else {
            print("no daemon running")
            return 0
        }
        guard kill(pid, SIGTERM) == 0 else { return Usage.fail("daemon stop: cannot signal pid \(pid): \(String(cString: strerror(errno)))", code: 1) }
        let deadline = Date().addingTimeInterval(20)
        while Date() < deadline {
            if paths.runningPID() == nil {
                print("daemon \(pid) stopped")
                return 0
            }
            usleep(20_000)
        }
        return Usage.fail("daemon stop: pid \(pid) still holds \(paths.lock.path) after 20 s", code: 1)
    }
}
