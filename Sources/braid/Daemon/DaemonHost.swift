#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import BraidServer
import Foundation
import JSONRPC
import Synchronization

/// The daemon process: one per repository, holding its lock, its service (the supervisor, the
/// journal) and a Unix socket that every client (`braid serve`, the CLI, scripts) connects to.
/// It outlives its clients; it exits on SIGTERM (`braid daemon stop`), when its repository's
/// `.braid` is gone, or after `idleSeconds` with no client and nothing running. Agents are never
/// stopped by its exit: the next daemon re-adopts them.
final class DaemonHost: Sendable {
    let paths: DaemonPaths
    let service: Service
    private let listener: Int32
    private let lockFD: Int32
    private let clients = Mutex<[Int: (connection: Connection, fd: Int32)]>([:])
    /// What one client may have waiting unread before it is disconnected.
    static let maxUnreadBytesPerClient = 32 << 20
    private let nextClient = Atomic<Int>(0)
    /// Set, under the clients' lock, when the daemon decides to exit with no client: a client
    /// accepted after that is turned away (it starts the next daemon) rather than cut off mid-request.
    private let closing = Atomic<Bool>(false)
    private let lastActivity = Mutex(ContinuousClock.now)
    /// The inode of the socket this daemon made: another there is a newer daemon's.
    private let socketInode: UInt64?

    /// Takes the lock (nil: another daemon has it), opens the service and listens.
    static func start(_ workspace: Workspace) throws -> DaemonHost? {
        let paths = DaemonPaths(workspace: workspace)
        try FileManager.default.createDirectory(at: workspace.logsDirectory, withIntermediateDirectories: true)
        // A client probing the lock holds it for an instant: only a lock held for a while is a daemon.
        var taken = try FileLock.tryAcquire(paths.lock)
        for _ in 0..<20 where taken == nil {
            usleep(10_000)
            taken = try FileLock.tryAcquire(paths.lock)
        }
        guard let lockFD = taken else { return nil }
        do {
            let pid = Array("\(getpid())\n".utf8)
            _ = ftruncate(lockFD, 0)
            _ = pid.withUnsafeBytes { pwrite(lockFD, $0.baseAddress, $0.count, 0) }
            let service = try Service(workspace: workspace, config: try workspace.loadConfig())
            let listener = try UnixSocket.listen(at: paths.socket.path)
            return DaemonHost(paths: paths, service: service, listener: listener, lockFD: lockFD)
        } catch {
            FileLock.release(lockFD)
            throw error
        }
    }

    private init(paths: DaemonPaths, service: Service, listener: Int32, lockFD: Int32) {
        self.paths = paths
        self.service = service
        self.listener = listener
        self.lockFD = lockFD
        socketInode = FileStamp(of: paths.socket)?.inode
    }

    /// Serves until told to stop; returns the exit code.
    func run() async -> Int32 {
        // The supervisor's account goes to the daemon's log too, for whoever investigates later.
        let (_, account) = await service.subscribe(client: false)
        Task { [self] in
            for await event in account { if case .log(let line) = event { log(line) } }
        }
        await service.start()
        log("daemon \(getpid()) serving \(paths.workspace.root.path) on \(paths.socket.path)")
        let stop = AsyncStream<String>.makeStream()
        for signalNumber in [SIGTERM, SIGINT, SIGHUP] {
            DaemonSignals.on(signalNumber) { stop.continuation.yield("signal \(signalNumber)") }
        }
        let listener = self.listener
        Thread.detachNewThread { [self] in
            while let fd = UnixSocket.accept(listener) { serve(fd) }
        }
        Task {
            let idle = Duration.seconds(DaemonPaths.idleSeconds)
            let config = paths.workspace.configURL
            let configAtStart = FileStamp(of: config)
            var toldOfConfig = false
            while true {
                try? await Task.sleep(for: .milliseconds(500))
                if FileStamp(of: paths.socket)?.inode != socketInode {
                    stop.continuation.yield("its socket \(paths.socket.path) is gone")
                    return
                }
                let connected = clients.withLock { $0.count }
                let quiet = await service.isQuiet()
                // The config is read once, at start: a changed one takes effect with the next daemon,
                // at once when nobody is connected and nothing runs, else clients are told.
                if FileStamp(of: config) != configAtStart {
                    if quiet && closeIfNoClient() {
                        stop.continuation.yield("its config changed")
                        return
                    }
                    if !toldOfConfig {
                        toldOfConfig = true
                        await service.announce("\(paths.workspace.configURL.path) changed: it takes effect when the daemon restarts "
                                               + "(`braid daemon stop`; the agents keep running)")
                    }
                }
                if connected > 0 || !quiet {
                    lastActivity.withLock { $0 = .now }
                } else if ContinuousClock.now - lastActivity.withLock({ $0 }) > idle, closeIfNoClient() {
                    stop.continuation.yield("idle for \(DaemonPaths.idleSeconds) s")
                    return
                }
            }
        }
        var reason = "stopped"
        for await why in stop.stream {
            reason = why
            break
        }
        log("daemon \(getpid()) exiting: \(reason)")
        // The socket first, so that no client connects to a daemon on its way out.
        if FileStamp(of: paths.socket)?.inode == socketInode { unlink(paths.socket.path) }
        shutdown(listener, Int32(SHUT_RDWR))
        // Shut down both ways first: a writer blocked on a client that does not read is released.
        for client in clients.withLock({ Array($0.values) }) {
            shutdown(client.fd, Int32(SHUT_RDWR))
            await client.connection.close()
        }
        await service.close()
        FileLock.release(lockFD)
        return 0
    }

    /// Decides to exit if no client is connected, in one step with `serve`'s admission.
    private func closeIfNoClient() -> Bool {
        clients.withLock { connected in
            guard connected.isEmpty else { return false }
            closing.store(true, ordering: .relaxed)
            return true
        }
    }

    /// One client: a connection of its own over the shared service, until it closes or says `exit`.
    private func serve(_ fd: Int32) {
        let id = nextClient.add(1, ordering: .relaxed).newValue
        let channel = FileDescriptorChannel(input: fd, output: fd, closeOnDeinit: true, maxPendingBytes: Self.maxUnreadBytesPerClient)
        let box = Mutex<Connection?>(nil)
        let server = BraidServer(hooks: .init(
            exit: { _ in
                // LSP's exit ends this client's session, not the daemon.
                if let connection = box.withLock({ $0 }) { Task { await connection.close() } }
            },
            log: { [self] in log("client \(id): \($0)") }),
            folder: paths.workspace.root, service: service)
        let connection = Connection(channel: channel, handlers: server.makeHandlers(),
                                    options: .init(log: { [self] in log("client \(id): \($0)") }))
        box.withLock { $0 = connection }
        let admitted = clients.withLock { connected -> Bool in
            guard !closing.load(ordering: .relaxed) else { return false }
            connected[id] = (connection, fd)
            return true
        }
        guard admitted else {
            // On its way out: the client sees the end at once and starts the next daemon.
            box.withLock { $0 = nil }
            shutdown(fd, Int32(SHUT_RDWR))
            return
        }
        lastActivity.withLock { $0 = .now }
        Task { [self] in
            await connection.run()
            await server.disconnected()
            // Our side too: the client sees the end, and the socket is closed once nothing holds
            // the connection (the box was the cycle through the exit hook). What is left to write
            // gets a moment; a client that no longer reads does not hold the close.
            channel.flush(timeout: .seconds(2))
            shutdown(fd, Int32(SHUT_RDWR))
            await connection.close()
            box.withLock { $0 = nil }
            clients.withLock { _ = $0.removeValue(forKey: id) }
            lastActivity.withLock { $0 = .now }
        }
    }

    func log(_ line: String) {
        let stamp = ISO8601DateFormatter().string(from: Date())
        FileDescriptorOutput.standardError.write("\(stamp) \(line)\n")
    }
}

/// Signal handlers that run as ordinary code (a dispatch source), not in signal context.
enum DaemonSignals {
    nonisolated(unsafe) private static var sources: [DispatchSourceSignal] = []

    static func on(_ number: Int32, _ body: @escaping @Sendable () -> Void) {
        signal(number, SIG_IGN)
        let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
        source.setEventHandler(handler: body)
        source.resume()
        sources.append(source)
    }
}
