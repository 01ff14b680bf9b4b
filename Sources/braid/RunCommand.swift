#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation
import JSON

/// `braid run`: asks the daemon to dispatch from the board and prints what happens until nothing
/// runnable is left. Exits 0 when the run ended, whatever the tasks' outcomes. Interrupting it
/// (Ctrl-C) only detaches: the daemon's agents keep running, and `braid status` shows them.
enum RunCommand {
    static func run(_ argv: [String]) async -> Int32 {
        do {
            let arguments = try Arguments(argv)
            guard arguments.positionals.isEmpty else { return Usage.fail("run: takes no arguments") }
        } catch {
            return Usage.fail("run: \(error)")
        }
        DaemonSignals.on(SIGINT) {
            FileDescriptorOutput.standardError.write("\nbraid: detached; the agents keep running (`braid status`, `braid run` to follow again)\n")
            _exit(130)
        }
        return await ClientCommand.run("run") { client, _ in
            let view = RunView(live: isatty(STDOUT_FILENO) == 1)
            for task in try await client.call("task/list")["tasks"]?.arrayValue ?? [] { view.track(task) }
            let token = JSONValue.string("braid-run-\(getpid())")
            _ = try await client.call("supervisor/run", ["workDoneToken": token])
            // What came before this run's progress began (the daemon's greeting) is not this run's.
            var following = false
            for await (method, params) in client.notifications {
                switch method {
                case "$/progress" where params?["token"] == token && params?["value"]?.string("kind") == "begin":
                    following = true
                case "task/changed":
                    if let task = params?["task"], task != .null { view.track(task) }
                    view.redraw()
                case _ where !following:
                    break
                case "window/logMessage":
                    view.say(params?.string("message") ?? "")
                case "window/showMessage":
                    view.say("braid: " + (params?.string("message") ?? ""))
                case "$/progress" where params?["token"] == token && params?["value"]?.string("kind") == "end":
                    view.finish()
                    return 0
                default:
                    break
                }
            }
            view.finish()
            return Usage.fail("run: the daemon closed the connection before the run ended", code: 1)
        }
    }
}

/// What `braid run` prints: the supervisor's lines as they come and, on a terminal, a last line
/// kept up to date with what runs and how the board stands.
final class RunView {
    private let live: Bool
    private let out = FileDescriptorOutput(fd: 1)
    private var tasks: [Int: (section: String, running: Bool)] = [:]
    private var shown = false

    init(live: Bool) { self.live = live }

    func track(_ task: JSONValue) {
        tasks[task.int("id")] = (task.string("section") ?? "", task["runningSession"]?.stringValue != nil)
    }

    func say(_ line: String) {
        clear()
        out.write(line + "\n")
        redraw()
    }

    func redraw() {
        guard live else { return }
        let running = tasks.filter { $0.value.running }.keys.sorted()
        func count(_ section: String) -> Int { tasks.values.filter { $0.section == section }.count }
        var line = "running " + (running.isEmpty ? "nothing" : running.map { "#\($0)" }.joined(separator: " "))
        line += " · todo \(count("todo")) · review \(count("review")) · blocked \(count("blocked")) · done \(count("done"))"
        out.write("\r\u{1B}[K\u{1B}[2m" + line + "\u{1B}[0m")
        shown = true
    }

    func finish() { clear() }

    private func clear() {
        guard live, shown else { return }
        out.write("\r\u{1B}[K")
        shown = false
    }
}
