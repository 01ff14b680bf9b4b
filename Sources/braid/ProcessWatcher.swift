#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// Calls back once when a process (not necessarily our child) has ended.
///
/// Uses a pidfd, which becomes readable when the process exits, so the wait costs nothing; on a
/// kernel without `pidfd_open` it falls back to probing with `kill(pid, 0)` once a second.
enum ProcessWatcher {
    private typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

    static func isAlive(_ pid: Int32) -> Bool {
        kill(pid, 0) == 0 || errno == EPERM
    }

    static func watch(_ pid: Int32, onExit: @escaping @Sendable () -> Void) {
        guard isAlive(pid) else {
            onExit()
            return
        }
        let thread = Thread {
            if let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "pidfd_open") {
                let pidfdOpen = unsafeBitCast(symbol, to: PidfdOpen.self)
                let fd = pidfdOpen(pid, 0)
                if fd >= 0 {
                    var entry = pollfd(fd: fd, events: Int16(POLLIN), revents: 0)
                    while poll(&entry, 1, -1) < 0 && errno == EINTR {}
                    close(fd)
                    onExit()
                    return
                }
            }
            while isAlive(pid) { sleep(1) }
            onExit()
        }
        thread.name = "client-process-watch"
        thread.start()
    }
}
