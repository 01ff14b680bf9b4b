#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Learns of a child's end from a thread blocked in the kernel (no CPU while it waits), whatever
/// the child's own children keep open: unlike `Foundation.Process`, nothing here depends on a
/// descriptor that a daemonized grandchild could inherit.
enum ChildReaper {
    /// Starts a thread that waits for `pid` to end. `ended` runs while the child is still a zombie,
    /// so its pid cannot have been reused yet: the moment to stop signalling it. Then the child is
    /// reaped and `reaped` gets its wait status, or nil if another waiter reaped it first.
    static func watch(_ pid: pid_t, ended: @escaping @Sendable () -> Void = {},
                      reaped: @escaping @Sendable (Int32?) -> Void) {
        let thread = Thread {
            var info = siginfo_t()
            while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR {}
            ended()
            var status: Int32 = 0
            while true {
                let result = waitpid(pid, &status, 0)
                if result == pid { return reaped(status) }
                if result < 0 && errno != EINTR { return reaped(nil) }
            }
        }
        thread.name = "braid-wait-\(pid)"
        // The thread only ever sits in a system call.
        thread.stackSize = 256 * 1024
        thread.start()
    }

    /// The exit status, or the number of the signal that ended the child.
    static func decode(_ status: Int32) -> (code: Int32, bySignal: Bool) {
        let signal = status & 0x7f
        return signal == 0 ? ((status >> 8) & 0xff, false) : (signal, true)
    }
}
