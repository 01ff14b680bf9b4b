#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import BraidServer
import Foundation
import JSONRPC

/// `braid serve`: JSON-RPC on stdin/stdout for an editor or a script.
///
/// In a Braid repository it is a bridge to the repository's daemon (started if none runs), so
/// agents outlive the editor and every editor shares one state. `--standalone`, or a folder that
/// is not a Braid repository yet, serves in this process instead.
enum ServeCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            // `--stdio` is what editors pass by habit; stdio is the only transport here.
            arguments = try Arguments(argv, options: ["--clientProcessId", "--max-message-size"], flags: ["--stdio", "--standalone"])
        } catch {
            return Usage.fail("serve: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("serve: takes no arguments") }
        var clientProcessID: Int32?
        if let value = arguments.value("--clientProcessId") {
            guard let pid = Int32(value), pid > 0 else { return Usage.fail("serve: --clientProcessId needs a process id") }
            clientProcessID = pid
        }
        var maxMessageSize = 64 << 20
        if let value = arguments.value("--max-message-size") {
            guard let size = Int(value), size > 0 else { return Usage.fail("serve: --max-message-size needs a positive number of bytes") }
            maxMessageSize = size
        }

        // A peer that went away must not kill us with SIGPIPE: a failed write ends the session instead.
        signal(SIGPIPE, SIG_IGN)
        var alreadyRead: [UInt8] = []
        if !arguments.has("--standalone") {
            // The repository the client names (else the one we started in) decides: its daemon serves.
            let first = FirstMessage.take(from: STDIN_FILENO, maxMessageSize: maxMessageSize)
            alreadyRead = first.bytes
            let folder = first.root ?? URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            if let workspace = try? Workspace.locate(from: folder), FileManager.default.fileExists(atPath: workspace.configURL.path) {
                return DaemonBridge.run(DaemonPaths(workspace: workspace), clientProcessID: clientProcessID, alreadyRead: alreadyRead)
            }
        }
        // Keep the real stdout for the protocol and point fd 1 at stderr, so that a stray print
        // from anywhere in the process cannot corrupt the stream.
        // Close-on-exec: the children Braid starts (agents, gates) must not hold the protocol pipe.
        let protocolOutput = fcntl(STDOUT_FILENO, F_DUPFD_CLOEXEC, 3)
        dup2(STDERR_FILENO, STDOUT_FILENO)

        let channel = FileDescriptorChannel(input: STDIN_FILENO, output: protocolOutput, alreadyRead: alreadyRead)
        let exitNow: @Sendable (Int32) -> Void = { code in
            // Bounded: a peer that neither reads nor closes must not keep us alive.
            channel.flush(timeout: .seconds(2))
            _exit(code)
        }
        let server = BraidServer(hooks: .init(
            exit: exitNow,
            watchClientProcess: { pid in ProcessWatcher.watch(pid) { exitNow(1) } },
            log: { FileDescriptorOutput.standardError.write("braid serve: \($0)\n") }))
        if let clientProcessID {
            ProcessWatcher.watch(clientProcessID) { exitNow(1) }
        }
        let connection = Connection(channel: channel, handlers: server.makeHandlers(),
            options: .init(maxMessageSize: maxMessageSize, log: { FileDescriptorOutput.standardError.write("braid serve: \($0)\n") }))
        await connection.run()
        // End of input: LSP's rule for `exit` applies (0 after `shutdown`, 1 without).
        exitNow(server.lifecycle.exitCode)
        return server.lifecycle.exitCode
    }
}
