#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A Unix-domain stream socket: the transport between a daemon and its local clients. Access is
/// the file system's: the socket is created mode 0600, so only its owner can connect.
public enum UnixSocket {
    public struct SocketError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let reason: String
        /// The errno behind it (ENOENT, ECONNREFUSED: nobody listens).
        public let code: Int32
        public var description: String { "\(path): \(reason)" }
    }

    /// The longest path a socket address holds on Linux (`sun_path` minus its terminating NUL).
    public static let maxPathLength = 107

    /// Listens at `path`, replacing a socket file left by a process that died (the caller holds the
    /// lock that makes it the only listener). Close-on-exec: children never inherit it.
    public static func listen(at path: String, backlog: Int32 = 64) throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw error(path, "cannot create a socket") }
        unlink(path)
        // Created 0600 from the start: there is no moment when others could connect.
        let previous = umask(0o177)
        let bound = withAddress(path) { bind(fd, $0, $1) }
        umask(previous)
        guard let bound, bound == 0 else {
            let failure = bound == nil ? SocketError(path: path, reason: "the path is longer than \(maxPathLength) bytes", code: ENAMETOOLONG)
                : error(path, "cannot bind")
            close(fd)
            throw failure
        }
        guard Glibc.listen(fd, backlog) == 0 else {
            let failure = error(path, "cannot listen")
            close(fd)
            throw failure
        }
        return fd
    }

    /// The next connection (close-on-exec), or nil once the listening socket is closed.
    public static func accept(_ listener: Int32) -> Int32? {
        while true {
            let fd = acceptCloseOnExec(listener)
            if fd >= 0 { return fd }
            switch errno {
            case EINTR, ECONNABORTED, EPROTO: continue
            case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                // Out of descriptors for now: wait, rather than spin or stop serving.
                usleep(100_000)
                continue
            default: return nil
            }
        }
    }

    private typealias Accept4 = @convention(c) (Int32, UnsafeMutablePointer<sockaddr>?, UnsafeMutablePointer<socklen_t>?, Int32) -> Int32
    /// glibc's `accept4`, which Swift's Glibc module does not declare (it needs `_GNU_SOURCE`):
    /// accepting and setting close-on-exec in one call, so that a child spawned meanwhile on
    /// another thread never inherits the connection.
    nonisolated(unsafe) private static let accept4: Accept4? = {
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "accept4") else { return nil }
        return unsafeBitCast(symbol, to: Accept4.self)
    }()

    private static func acceptCloseOnExec(_ listener: Int32) -> Int32 {
        if let accept4 { return accept4(listener, nil, nil, Int32(SOCK_CLOEXEC.rawValue)) }
        let fd = Glibc.accept(listener, nil, nil)
        if fd >= 0 { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        return fd
    }

    /// Connects to the listener at `path`.
    public static func connect(to path: String) throws(SocketError) -> Int32 {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw error(path, "cannot create a socket") }
        while true {
            let result = withAddress(path) { Glibc.connect(fd, $0, $1) }
            guard let result else {
                close(fd)
                throw SocketError(path: path, reason: "the path is longer than \(maxPathLength) bytes", code: ENAMETOOLONG)
            }
            if result == 0 { return fd }
            if errno == EINTR { continue }
            let failure = error(path, "cannot connect")
            close(fd)
            throw failure
        }
    }

    private static func error(_ path: String, _ what: String) -> SocketError {
        let code = errno
        return SocketError(path: path, reason: "\(what): \(String(cString: strerror(code)))", code: code)
    }

    /// Calls `body` with a `sockaddr_un` for `path`; nil when the path does not fit.
    private static func withAddress<T>(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T? {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count <= maxPathLength else { return nil }
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: bytes)
            buffer[bytes.count] = 0
        }
        return withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
    }
}
