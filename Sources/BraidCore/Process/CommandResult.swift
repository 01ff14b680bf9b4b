import Foundation

/// How a program ended and everything it wrote.
public struct CommandResult: Sendable, Hashable {
    /// The exit status, or the signal number when `terminatedBySignal`.
    public let status: Int32
    public let terminatedBySignal: Bool
    /// The time limit passed and the runner stopped the program.
    public let timedOut: Bool
    public let stdout: Data
    public let stderr: Data
    /// Bytes left out of the start of `stdout` and `stderr` under the command's `outputTailLimit`.
    public let droppedOutputBytes: Int

    public init(status: Int32, terminatedBySignal: Bool, timedOut: Bool, stdout: Data, stderr: Data,
                droppedOutputBytes: Int = 0) {
        self.status = status
        self.terminatedBySignal = terminatedBySignal
        self.timedOut = timedOut
        self.stdout = stdout
        self.stderr = stderr
        self.droppedOutputBytes = droppedOutputBytes
    }

    /// Exited by itself with status 0.
    public var succeeded: Bool { status == 0 && !terminatedBySignal && !timedOut }

    /// Standard output as text; invalid UTF-8 is replaced rather than dropped.
    public var output: String { String(decoding: stdout, as: UTF8.self) }

    /// Standard error as text; invalid UTF-8 is replaced rather than dropped.
    public var errorOutput: String { String(decoding: stderr, as: UTF8.self) }
}
