#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import BraidServer
import Foundation
import JSONRPC

/// A connection to the repository's daemon, started first if none runs: what every CLI command
/// that reads or changes the repository speaks through.
final class DaemonClient: Sendable {
    let connection: Connection
    /// The daemon's notifications, in order: method and params.
    let notifications: AsyncStream<(method: String, params: JSONValue?)>
    private let reading: Task<Void, Never>

    /// Connects (starting the daemon when none listens) and runs the `initialize` handshake.
    static func connect(_ workspace: Workspace, client name: String) async throws -> DaemonClient {
        let fd = try DaemonLauncher.connect(DaemonPaths(workspace: workspace))
        let (stream, sink) = AsyncStream<(method: String, params: JSONValue?)>.makeStream()
        var handlers = HandlerTable()
        for method in BraidServer.sentNotifications {
            handlers.onNotification(method) { params, _ in sink.yield((method, params)) }
        }
        handlers.onRequest(ClientPingRequest.method) { _, _ in ["client": .string(name)] }
        let connection = Connection(channel: FileDescriptorChannel(input: fd, output: fd, closeOnDeinit: true), handlers: handlers)
        let reading = Task {
            await connection.run()
            sink.finish()
        }
        let client = DaemonClient(connection: connection, notifications: stream, reading: reading)
        _ = try await connection.send(InitializeRequest.self, .init(
            clientInfo: .init(name: name, version: BraidVersion.current), rootPath: workspace.root.path))
        connection.notify(InitializedNotification.self, NoParams())
        return client
    }

    private init(connection: Connection, notifications: AsyncStream<(method: String, params: JSONValue?)>, reading: Task<Void, Never>) {
        self.connection = connection
        self.notifications = notifications
        self.reading = reading
    }

    func call(_ method: String, _ params: JSONValue? = nil) async throws -> JSONValue {
        try await connection.sendRequest(method, params: params)
    }

    /// Says goodbye as LSP does; the daemon and its agents go on.
    func close() async {
        _ = try? await connection.send(ShutdownRequest.self, NoParams())
        connection.notify(ExitNotification.self, NoParams())
        await connection.close()
        await reading.value
    }
}

/// Finds the daemon's socket, starting the daemon when nobody listens there.
enum DaemonLauncher {
    struct LaunchError: Error, CustomStringConvertible {
        let description: String
    }

    /// How long a client waits for a daemon it started to listen.
    static let startTimeout: Duration = .seconds(20)

    static func connect(_ paths: DaemonPaths) throws -> Int32 {
        if let fd = try? UnixSocket.connect(to: paths.socket.path) { return fd }
        guard FileManager.default.fileExists(atPath: paths.workspace.configURL.path) else {
            throw LaunchError(description: "not a Braid repository: run `braid init` first")
        }
        try FileManager.default.createDirectory(at: paths.workspace.logsDirectory, withIntermediateDirectories: true)
        let logSize = (try? FileManager.default.attributesOfItem(atPath: paths.log.path)[.size] as? Int) ?? 0
        let pid: Int32
        do {
            pid = try CommandRunner.startDetached(Command(CallCommand.executablePath(), ["daemon", "run"],
                                                          workingDirectory: paths.workspace.root), logFile: paths.log)
        } catch {
            throw LaunchError(description: "cannot start the daemon: \(error)")
        }
        let deadline = ContinuousClock.now + startTimeout
        while ContinuousClock.now < deadline {
            do {
                return try UnixSocket.connect(to: paths.socket.path)
            } catch where error.code == ENAMETOOLONG {
                throw LaunchError(description: "\(error) (move the repository to a shorter path)")
            } catch {}
            // It exited: another daemon won the lock (and will listen soon), or it failed to start.
            if kill(pid, 0) != 0 && paths.runningPID() == nil {
                throw LaunchError(description: "the daemon did not start: " + tail(of: paths.log, after: logSize))
            }
            usleep(10_000)
        }
        throw LaunchError(description: "the daemon did not listen on \(paths.socket.path) within \(startTimeout): see \(paths.log.path)")
    }

    /// What the daemon wrote to its log since `offset`, on one line.
    private static func tail(of log: URL, after offset: Int) -> String {
        // Only what the daemon just wrote: the log of a long-lived repository can be large.
        guard let handle = try? FileHandle(forReadingFrom: log) else { return "see \(log.path)" }
        defer { try? handle.close() }
        guard (try? handle.seek(toOffset: UInt64(offset))) != nil, let data = try? handle.read(upToCount: 64 << 10),
              !data.isEmpty else { return "see \(log.path)" }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return text.split(whereSeparator: \.isNewline).suffix(3).joined(separator: "; ")
    }
}
