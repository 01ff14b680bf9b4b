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
            let out = FileDescriptorOutput(fd: 1)
            let token = JSONValue.string("braid-run-\(getpid())")
            _ = try await client.call("supervisor/run", ["workDoneToken": token])
            // What came before this run's progress began (the daemon's greeting) is not this run's.
            var following = false
            for await (method, params) in client.notifications {
                switch method {
                case "$/progress" where params?["token"] == token && params?["value"]?.string("kind") == "begin":
                    following = true
                case _ where !following:
                    break
                case "window/logMessage":
                    out.write((params?.string("message") ?? "") + "\n")
                case "window/showMessage":
                    out.write("braid: " + (params?.string("message") ?? "") + "\n")
                case "$/progress" where params?["token"] == token && params?["value"]?.string("kind") == "end":
                    return 0
                default:
                    break
                }
            }
            return Usage.fail("run: the daemon closed the connection before the run ended", code: 1)
        }
    }
}
