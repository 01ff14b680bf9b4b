#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSONRPC

/// Where the `braid` binary under test is: `$BRAID_BIN`, or beside the test bundle that
/// `swift test` built (the test targets depend on the executable, so it is always built).
public enum BraidBinary {
    public static var path: String {
        if let explicit = ProcessInfo.processInfo.environment["BRAID_BIN"] { return explicit }
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        let exe = n > 0 ? String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) : CommandLine.arguments[0]
        return URL(fileURLWithPath: exe).deletingLastPathComponent().appendingPathComponent("braid").path
    }
}

/// The real `braid` binary on pipes, driven with hand-written bytes: what an editor sees.
public final class RawServer: @unchecked Sendable {
    public let pid: pid_t
    private let stdinFD: Int32
    private let stdoutFD: Int32
    private var parser = FrameParser(maxMessageSize: 1 << 30)
    private var queued: [JSONValue] = []
    private var exitStatus: Int32?
    private var inputClosed = false
    private var outputEnded = false

    /// - Parameter directory: where the server starts (in a Braid repository, `braid serve` reaches its daemon).
    public init(arguments: [String] = ["serve"], executable: String = BraidBinary.path, directory: URL? = nil) throws {
        let (childStdin, parentStdin) = try Self.makePipe()
        let (parentStdout, childStdout) = try Self.makePipe()
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, childStdin, 0)
        posix_spawn_file_actions_adddup2(&actions, childStdout, 1)
        for fd in [childStdin, parentStdin, parentStdout, childStdout] { posix_spawn_file_actions_addclose(&actions, fd) }

        // `env -C` changes directory and then becomes the server (same pid).
        let argv = directory.map { ["/usr/bin/env", "-C", $0.path, executable] + arguments } ?? [executable] + arguments
        var cArgs = argv.map { strdup($0) } + [nil]
        defer { for p in cArgs { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, argv[0], &actions, nil, &cArgs, environ)
        close(childStdin)
        close(childStdout)
        guard rc == 0 else {
            close(parentStdin)
            close(parentStdout)
            throw POSIXError(POSIXErrorCode(rawValue: rc) ?? .EIO)
        }
        pid = child
        stdinFD = parentStdin
        stdoutFD = parentStdout
    }

    deinit {
        if exitStatus == nil {
            kill(pid, SIGKILL)
            var status: Int32 = 0
            waitpid(pid, &status, 0)
        }
        if !inputClosed { close(stdinFD) }
        close(stdoutFD)
    }

    private static func makePipe() throws -> (read: Int32, write: Int32) {
        var fds: [Int32] = [0, 0]
        guard pipe(&fds) == 0 else { throw POSIXError(.EMFILE) }
        // Close-on-exec, so that servers spawned by parallel tests do not hold each other's pipes open.
        _ = fcntl(fds[0], F_SETFD, FD_CLOEXEC)
        _ = fcntl(fds[1], F_SETFD, FD_CLOEXEC)
        return (fds[0], fds[1])
    }

    // MARK: Writing

    /// Writes bytes as they are, blocking until the pipe took them all.
    public func write(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(stdinFD, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return }
            offset += n
        }
    }

    public func write(_ text: String) { write(Array(text.utf8)) }

    /// Writes a body with a correct `Content-Length` header.
    public func send(body: String) { write(Frames.frame(body)) }

    public func send(_ message: JSONValue) { write(Frames.frame(message)) }

    /// Writes from another thread, so that the caller can read responses meanwhile.
    public func writeInBackground(_ bytes: [UInt8], then: (@Sendable () -> Void)? = nil) -> Thread {
        let thread = Thread { [self] in
            write(bytes)
            then?()
        }
        thread.stackSize = 1 << 20
        thread.start()
        return thread
    }

    public func closeInput() {
        guard !inputClosed else { return }
        inputClosed = true
        close(stdinFD)
    }

    // MARK: Reading

    /// The next message the server wrote, or nil on timeout or end of output.
    public func next(timeout: Double = 10) -> JSONValue? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if !queued.isEmpty { return queued.removeFirst() }
            if outputEnded { return nil }
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return nil }
            var entry = pollfd(fd: stdoutFD, events: Int16(POLLIN), revents: 0)
            let ready = poll(&entry, 1, Int32(min(remaining * 1000, 1000)) + 1)
            if ready <= 0 { continue }
            var buffer = [UInt8](repeating: 0, count: 65536)
            let n = buffer.withUnsafeMutableBytes { read(stdoutFD, $0.baseAddress!, $0.count) }
            if n <= 0 {
                outputEnded = true
                continue
            }
            buffer.withUnsafeBytes { parser.append(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            while let event = parser.next() {
                if case .body(let body) = event, let value = try? JSONParser.parse(body) {
                    queued.append(value)
                }
            }
        }
    }

    /// The next message with an `id` (a response or a server request) or batch answer, skipping
    /// notifications, which are kept in `notifications`.
    public private(set) var notifications: [JSONValue] = []

    public func nextWithID(timeout: Double = 10) -> JSONValue? {
        while let message = next(timeout: timeout) {
            if message["id"] != nil || message.arrayValue != nil { return message }
            notifications.append(message)
        }
        return nil
    }

    /// Sends a request and returns the response with its id (skipping notifications).
    public func request(_ id: Int, _ method: String, _ params: JSONValue? = nil, timeout: Double = 10) -> JSONValue? {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method)]
        if let params { message["params"] = params }
        send(.object(message))
        return nextWithID(timeout: timeout)
    }

    /// `initialize` then `initialized`, as every client starts.
    @discardableResult
    public func initialize(id: Int = 1) -> JSONValue? {
        let response = request(id, "initialize", ["processId": .null, "capabilities": [:]])
        send(["jsonrpc": "2.0", "method": "initialized", "params": [:]])
        return response
    }

    // MARK: Process

    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

    /// The exit code once the process ended, or nil if it is still running after `timeout`.
    /// Waits on a pidfd (readable when the child exits), so no polling.
    public func waitForExit(timeout: Double = 10) -> Int32? {
        if let exitStatus { return exitStatus }
        if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_open") {
            let fd = unsafeBitCast(symbol, to: PidfdOpen.self)(pid, 0)
            if fd >= 0 {
                defer { close(fd) }
                var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                var ready: Int32
                repeat { ready = poll(&entry, 1, Int32(timeout * 1000)) } while ready < 0 && errno == EINTR
                if ready == 0 { return nil }
            }
        }
        var status: Int32 = 0
        guard waitpid(pid, &status, 0) == pid else { return nil }
        let code = (status & 0x7F) == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
        exitStatus = code
        return code
    }

    /// The process's peak resident memory, from /proc (Linux).
    public var peakResidentKiB: Int? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
        }
        return nil
    }
}

/// Frame builders for hand-written input.
public enum Frames {
    public static func frame(_ body: String) -> [UInt8] { frame(Array(body.utf8)) }

    public static func frame(_ body: [UInt8]) -> [UInt8] {
        Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body
    }

    public static func frame(_ message: JSONValue) -> [UInt8] { frame(JSONWriter.encode(message)) }

    public static func request(_ id: Int, _ method: String, _ params: JSONValue? = nil) -> JSONValue {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "id": .number(JSONNumber(id)), "method": .string(method)]
        if let params { message["params"] = params }
        return .object(message)
    }

    public static func notification(_ method: String, _ params: JSONValue? = nil) -> JSONValue {
        var message: [String: JSONValue] = ["jsonrpc": "2.0", "method": .string(method)]
        if let params { message["params"] = params }
        return .object(message)
    }
}
