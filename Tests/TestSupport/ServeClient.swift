#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONRPC
import Synchronization

/// A JSON-RPC client of a real `braid serve` process started in a folder: what an editor is.
///
/// A reader thread takes every message the server writes as it comes: responses are matched to
/// requests by id, notifications are kept in arrival order (a test waits for one), and requests
/// from the server (`window/showMessageRequest`) wait until the test answers them.
public final class ServeClient: @unchecked Sendable {
    public struct Failure: Error, CustomStringConvertible {
        public let description: String
        public let code: Int?
    }

    public let pid: pid_t
    public let directory: URL
    private let stdinFD: Int32
    private let condition = NSCondition()
    private var notifications: [JSONValue] = []
    private var responses: [String: JSONValue] = [:]
    private var serverRequests: [JSONValue] = []
    private var stderrText = ""
    private var outputEnded = false
    private var nextID = 1
    private var exitStatus: Int32?

    /// Starts `braid serve` (or `arguments`) in `directory`, with `environment` added to ours.
    public init(in directory: URL, arguments: [String] = ["serve"], environment: [String: String] = [:]) throws {
        // A server that died must fail a write, not kill the test process.
        signal(SIGPIPE, SIG_IGN)
        self.directory = directory
        let (childStdin, parentStdin) = try Self.makePipe()
        let (parentStdout, childStdout) = try Self.makePipe()
        let (parentStderr, childStderr) = try Self.makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childStdin, 0)
        posix_spawn_file_actions_adddup2(&actions, childStdout, 1)
        posix_spawn_file_actions_adddup2(&actions, childStderr, 2)
        // glibc's posix_spawn_file_actions_addchdir_np, which Swift's Glibc module does not export.
        typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else {
            throw POSIXError(.ENOSYS)
        }
        _ = unsafeBitCast(symbol, to: AddChdir.self)(&actions, directory.path)
        let argv = [BraidBinary.path] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        let env = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }.map { "\($0.key)=\($0.value)" }
        var cEnv = env.map { strdup($0) } + [nil]
        defer { for p in cEnv { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, BraidBinary.path, &actions, nil, &cArgs, &cEnv)
        for fd in [childStdin, childStdout, childStderr] { Glibc.close(fd) }
        guard rc == 0 else {
            for fd in [parentStdin, parentStdout, parentStderr] { Glibc.close(fd) }
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
        }
        pid = child
        stdinFD = parentStdin
        startReading(parentStdout)
        startCollecting(parentStderr)
    }

    deinit {
        kill9()
        closeInput()
    }

    private let shutdownInput = Mutex(false)

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        // Close-on-exec, so that processes spawned by parallel tests do not hold each other's pipes open.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    // MARK: Reading

    private func startReading(_ fd: Int32) {
        let thread = Thread { [self] in
            var parser = FrameParser(maxMessageSize: 1 << 30)
            var buffer = [UInt8](repeating: 0, count: 65536)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
                var messages: [JSONValue] = []
                while let event = parser.next() {
                    if case .body(let body) = event, let value = try? JSONParser.parse(body) { messages.append(value) }
                }
                condition.lock()
                for message in messages { file(message) }
                condition.broadcast()
                condition.unlock()
            }
            Glibc.close(fd)
            condition.lock()
            outputEnded = true
            condition.broadcast()
            condition.unlock()
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func startCollecting(_ fd: Int32) {
        Thread { [self] in
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let n = buffer.withUnsafeMutableBytes { read(fd, $0.baseAddress!, $0.count) }
                if n < 0 && errno == EINTR { continue }
                if n <= 0 { break }
                condition.lock()
                stderrText += String(decoding: buffer[0..<n], as: UTF8.self)
                condition.unlock()
            }
            Glibc.close(fd)
        }.start()
    }

    /// Sorts one message (called with the lock held).
    private func file(_ message: JSONValue) {
        if message["method"] != nil {
            if message["id"] != nil { serverRequests.append(message) } else { notifications.append(message) }
        } else if let id = message["id"] {
            responses[id.description] = message
        }
    }

    /// Waits (lock held) until `ready` or the deadline; false on timeout.
    private func wait(until deadline: Date, _ ready: () -> Bool) -> Bool {
        while !ready() {
            if !condition.wait(until: deadline) { return ready() }
        }
        return true
    }

    // MARK: Writing

    public func send(_ message: JSONValue) {
        let bytes = Frames.frame(message)
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { write(stdinFD, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    public func notify(_ method: String, _ params: JSONValue? = nil) {
        send(Frames.notification(method, params))
    }

    /// Sends a request and waits for its response (the whole message); nil on timeout or when the
    /// server's output ended first.
    public func request(_ method: String, _ params: JSONValue? = nil, timeout: Double = 60) -> JSONValue? {
        condition.lock()
        let id = nextID
        nextID += 1
        condition.unlock()
        send(Frames.request(id, method, params))
        let key = JSONValue.number(JSONNumber(id)).description
        condition.lock()
        defer { condition.unlock() }
        _ = wait(until: Date().addingTimeInterval(timeout)) { responses[key] != nil || outputEnded }
        return responses.removeValue(forKey: key)
    }

    /// Waits for the response to a request sent by hand (`send(Frames.request(id, ...))`); nil on
    /// timeout or when the server's output ended first.
    public func waitForResponse(id: Int, timeout: Double = 60) -> JSONValue? {
        let key = JSONValue.number(JSONNumber(id)).description
        condition.lock()
        defer { condition.unlock() }
        _ = wait(until: Date().addingTimeInterval(timeout)) { responses[key] != nil || outputEnded }
        return responses.removeValue(forKey: key)
    }

    /// Ends the server's input (what an editor closing its pipe does).
    public func closeInput() {
        shutdownInput.withLock { if !$0 { $0 = true; Glibc.close(stdinFD) } }
    }

    /// The result of a request, or a `Failure` carrying the error's code.
    @discardableResult
    public func call(_ method: String, _ params: JSONValue? = nil, timeout: Double = 60) throws -> JSONValue {
        guard let response = request(method, params, timeout: timeout) else {
            throw Failure(description: "\(method): no answer within \(timeout) s (stderr: \(stderr))", code: nil)
        }
        if let error = response["error"] {
            throw Failure(description: "\(method): \(error)", code: error["code"]?.intValue)
        }
        return response["result"] ?? .null
    }

    /// The error code a request is answered with (nil: it succeeded, or no answer).
    public func errorCode(_ method: String, _ params: JSONValue? = nil) -> (code: Int?, message: String) {
        guard let response = request(method, params) else { return (nil, "no answer") }
        return (response["error"]?["code"]?.intValue, response["error"]?["message"]?.stringValue ?? "succeeded: \(response["result"] ?? .null)")
    }

    /// `initialize` (with `capabilities`), then `initialized`; returns the result once the server
    /// said it is ready (its `window/logMessage`), so that everything after is told to this client.
    @discardableResult
    public func initialize(capabilities: JSONValue = [:], rootPath: String? = nil) throws -> JSONValue {
        var params: [String: JSONValue] = ["processId": .null, "capabilities": capabilities]
        if let rootPath { params["rootPath"] = .string(rootPath) }
        let result = try call("initialize", .object(params))
        notify("initialized", [:])
        guard waitForNotification("window/logMessage", timeout: 60, where: { $0["message"]?.stringValue?.contains("ready") == true }) != nil else {
            throw Failure(description: "no ready message after initialized (stderr: \(stderr))", code: nil)
        }
        return result
    }

    /// `shutdown` then `exit`, and waits for the process to end; its exit status.
    @discardableResult
    public func close(timeout: Double = 30) -> Int32? {
        _ = request("shutdown", nil, timeout: timeout)
        notify("exit")
        return waitForExit(timeout: timeout)
    }

    // MARK: What the server sent

    /// How many notifications arrived so far: a mark to wait for later ones.
    public var notificationCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return notifications.count
    }

    /// The params of the notifications of `method` received so far, in order.
    public func received(_ method: String) -> [JSONValue] {
        condition.lock()
        defer { condition.unlock() }
        return notifications.filter { $0["method"]?.stringValue == method }.map { $0["params"] ?? .null }
    }

    /// The params of the first notification of `method` (from index `after` on) that `predicate`
    /// accepts, waiting for it up to `timeout` seconds (a guard against hangs).
    public func waitForNotification(_ method: String, after: Int = 0, timeout: Double = 60,
                                    where predicate: (JSONValue) -> Bool = { _ in true }) -> JSONValue? {
        condition.lock()
        defer { condition.unlock() }
        var found: JSONValue?
        var scanned = after
        _ = wait(until: Date().addingTimeInterval(timeout)) {
            while scanned < notifications.count {
                let message = notifications[scanned]
                scanned += 1
                if message["method"]?.stringValue == method, predicate(message["params"] ?? .null) {
                    found = message["params"] ?? .null
                    return true
                }
            }
            return outputEnded
        }
        return found
    }

    /// The next request from the server of `method` not answered yet (the whole message).
    public func waitForServerRequest(_ method: String, timeout: Double = 60) -> JSONValue? {
        condition.lock()
        defer { condition.unlock() }
        var found: JSONValue?
        _ = wait(until: Date().addingTimeInterval(timeout)) {
            if let index = serverRequests.firstIndex(where: { $0["method"]?.stringValue == method }) {
                found = serverRequests.remove(at: index)
                return true
            }
            return outputEnded
        }
        return found
    }

    /// Answers a request from the server.
    public func respond(to request: JSONValue, result: JSONValue) {
        send(["jsonrpc": "2.0", "id": request["id"] ?? .null, "result": result])
    }

    public var stderr: String {
        condition.lock()
        defer { condition.unlock() }
        return stderrText
    }

    // MARK: Process

    /// The exit status once the process ended (signals as 128 + n), or nil after `timeout`.
    public func waitForExit(timeout: Double = 30) -> Int32? {
        if let exitStatus { return exitStatus }
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            var status: Int32 = 0
            let reaped = waitpid(pid, &status, WNOHANG)
            if reaped == pid {
                let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
                exitStatus = code
                return code
            }
            if reaped < 0 && errno != EINTR { return nil }
            if Date() >= deadline { return nil }
            usleep(10_000)
        }
    }

    /// Kills the process at once (SIGKILL), as a crashing editor would, and reaps it.
    public func kill9() {
        guard exitStatus == nil else { return }
        kill(pid, SIGKILL)
        _ = waitForExit(timeout: 30)
    }
}

/// Polls `condition` every `interval` seconds until it holds; false if it still does not after
/// `timeout` seconds (a guard against hangs, never a wait for something to happen).
public func eventually(timeout: Double = 60, interval: Double = 0.05, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(timeout)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(UInt32(interval * 1_000_000))
    }
}
