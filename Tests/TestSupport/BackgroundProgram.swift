#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A program left running while the test acts on it (`braid run` to cancel or to kill -9), its
/// output collected as it comes, so a test can wait for a line.
public final class BackgroundProgram: @unchecked Sendable {
    private let process = Process()
    private let finished = DispatchSemaphore(value: 0)
    private let condition = NSCondition()
    private var collected = ""

    public init(_ executable: String, _ arguments: [String], directory: URL, environment: [String: String] = [:]) throws {
        let pipe = Pipe()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        process.terminationHandler = { [finished] _ in finished.signal() }
        try process.run()
        let reading = pipe.fileHandleForReading
        Thread { [self] in
            while true {
                let data = reading.availableData
                condition.lock()
                if data.isEmpty {
                    condition.broadcast()
                    condition.unlock()
                    return
                }
                collected += String(decoding: data, as: UTF8.self)
                condition.broadcast()
                condition.unlock()
            }
        }.start()
    }

    deinit {
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
    }

    /// Waits until the output holds `count` lines containing `text`; false on timeout.
    public func waitForOutput(containing text: String, count: Int = 1, timeout: Double = 60) -> Bool {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while collected.split(separator: "\n").filter({ $0.contains(text) }).count < count {
            if !condition.wait(until: deadline) { return false }
        }
        return true
    }

    public var pid: Int32 { process.processIdentifier }

    /// The exit status, or nil if it still runs after `timeout` seconds.
    public func waitForExit(timeout: Double = 60) -> Int32? {
        guard finished.wait(timeout: .now() + timeout) == .success else { return nil }
        finished.signal()
        return process.terminationStatus
    }

    public func kill9() {
        kill(process.processIdentifier, SIGKILL)
        _ = waitForExit()
    }

    public var output: String {
        condition.lock()
        defer { condition.unlock() }
        return collected
    }
}

/// A named pipe the test reads lines from as events happen (an agent writes `echo $$ > pipe`):
/// waiting on it is waiting on the event, with a timeout that only guards against a hang.
public final class EventPipe: @unchecked Sendable {
    public let url: URL
    private let fd: Int32
    private var buffer: [UInt8] = []

    public init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("braid-events-\(UUID().uuidString)")
        guard mkfifo(url.path, 0o600) == 0 else { throw POSIXError(.EEXIST) }
        // Read-write, so opening never waits for a writer and the pipe never reports end of file.
        fd = open(url.path, O_RDWR | O_CLOEXEC)
    }

    deinit {
        close(fd)
        unlink(url.path)
    }

    public func readLine(timeout: Double = 30) -> String? {
        let deadline = Date().addingTimeInterval(timeout)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                let line = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return line
            }
            let remaining = deadline.timeIntervalSinceNow
            guard remaining > 0 else { return nil }
            var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
            guard poll(&entry, 1, Int32(remaining * 1000) + 1) > 0 else { continue }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n > 0 { buffer += chunk[0..<n] }
        }
    }
}

/// Whether a process runs: exists and is not a zombie (an ended process nobody reaped yet, as
/// orphans are here, where PID 1 does not reap them).
public func processIsRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
          let close = stat.lastIndex(of: ")") else { return false }
    let state = stat[stat.index(after: close)...].trimmingCharacters(in: .whitespaces).first
    return state != nil && state != "Z" && state != "X"
}
