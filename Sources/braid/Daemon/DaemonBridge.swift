#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation

/// `braid serve` in a Braid repository: copies stdin to the daemon's socket and the socket to
/// stdout, byte for byte, so the editor speaks to the daemon as if it were this process.
enum DaemonBridge {
    /// - Parameter alreadyRead: what was read from stdin before (the first message), sent first.
    static func run(_ paths: DaemonPaths, clientProcessID: Int32?, alreadyRead: [UInt8] = []) -> Int32 {
        let socket: Int32
        do {
            socket = try DaemonLauncher.connect(paths)
        } catch {
            return Usage.fail("serve: \(error)", code: 1)
        }
        if let clientProcessID {
            // The editor died without closing our stdin: the daemon sees this session end.
            ProcessWatcher.watch(clientProcessID) { _exit(1) }
        }
        // The editor's requests to the daemon; at their end, the daemon sees end of input.
        Thread.detachNewThread {
            guard alreadyRead.withUnsafeBytes({ FileDescriptorIO.writeAll(socket, $0) }) else {
                shutdown(socket, Int32(SHUT_WR))
                return
            }
            _ = copy(from: STDIN_FILENO, to: socket)
            shutdown(socket, Int32(SHUT_WR))
        }
        // The daemon's answers and notifications, until it closes this session.
        let delivered = copy(from: socket, to: STDOUT_FILENO)
        _exit(delivered ? 0 : 1)
    }

    /// Copies until end of input (true) or a failed write (false).
    private static func copy(from input: Int32, to output: Int32) -> Bool {
        var buffer = [UInt8](repeating: 0, count: 64 << 10)
        while true {
            let count = buffer.withUnsafeMutableBytes { read(input, $0.baseAddress, $0.count) }
            if count == 0 { return true }
            if count < 0 {
                if errno == EINTR { continue }
                return true
            }
            guard buffer.withUnsafeBytes({ FileDescriptorIO.writeAll(output, UnsafeRawBufferPointer(rebasing: $0[0..<count])) }) else { return false }
        }
    }
}
