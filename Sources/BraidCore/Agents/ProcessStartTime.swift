import Foundation

/// When a process started: the wall-clock time for people, and the kernel's own count, which with
/// the pid names one process even after the pid has been reused (Linux hands pids out again, and
/// `pid_max` may be as low as 32768). The journal keeps both so that a restarted daemon re-adopts
/// only the process it started.
public struct ProcessStartTime: Sendable, Hashable, Codable {
    public let date: Date
    /// Clock ticks from boot to the start (`/proc/<pid>/stat`, field 22); nil where unreadable.
    public let bootTicks: UInt64?

    public init(date: Date, bootTicks: UInt64?) {
        self.date = date
        self.bootTicks = bootTicks
    }
}
