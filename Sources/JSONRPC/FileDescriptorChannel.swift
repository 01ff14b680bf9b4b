#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// A `ByteChannel` over two file descriptors (stdin/stdout, the ends of pipes, or one socket twice).
///
/// Reads block on a dedicated thread; writes are coalesced by a dedicated writer thread, so that a
/// burst of small responses costs one `write(2)` and a slow peer never blocks the reader.
public final class FileDescriptorChannel: ByteChannel, @unchecked Sendable {
    private let inputFD: Int32
    private let outputFD: Int32
    private let closeOnDeinit: Bool
    // Guarded by `condition`.
    private let condition = NSCondition()
    private var pending: [UInt8] = []
    private var writing = false
    private var outputClosed = false
    private var closeRequested = false
    private var onOutputFailure: (@Sendable () -> Void)?
    private var outputFDClosed = false
    private var writerStarted = false
    /// Dispatch loops waiting for `pending` to fall below the low-water mark.
    private var roomWaiters: [CheckedContinuation<Void, Never>] = []

    /// Above this many queued bytes the connection stops reading; below the low mark it resumes.
    private static let highWater = 8 << 20
    private static let lowWater = 1 << 20

    /// Bytes read from the input before the channel took it over, delivered first.
    private let alreadyRead: [UInt8]
    /// Above this many bytes waiting for a peer that does not read, the peer is given up on.
    private let maxPendingBytes: Int?
    private var overflowed = false

    /// - Parameters:
    ///   - closeOnDeinit: whether the channel owns the descriptors (pipes) or not (stdio).
    ///   - alreadyRead: what the caller read from `input` before (to look at the first message).
    ///   - maxPendingBytes: for a peer among many (a daemon's client), the most output kept for it
    ///     while it does not read; past it the channel fails as if the peer had gone (a socket is
    ///     shut down both ways), so one stuck client cannot grow the server's memory without end.
    public init(input: Int32, output: Int32, closeOnDeinit: Bool = false, alreadyRead: [UInt8] = [], maxPendingBytes: Int? = nil) {
        self.maxPendingBytes = maxPendingBytes
        self.inputFD = input
        self.outputFD = output
        self.closeOnDeinit = closeOnDeinit
        self.alreadyRead = alreadyRead
    }

    deinit {
        if closeOnDeinit {
            close(inputFD)
            if outputFD != inputFD && !outputFDClosed { close(outputFD) }
        }
    }

    public func start(onInput: @escaping @Sendable (UnsafeRawBufferPointer?) -> Void,
                      onOutputFailure: @escaping @Sendable () -> Void) {
        condition.lock()
        self.onOutputFailure = onOutputFailure
        condition.unlock()

        let fd = inputFD
        let alreadyRead = self.alreadyRead
        let reader = Thread {
            if !alreadyRead.isEmpty { alreadyRead.withUnsafeBytes { onInput($0) } }
            let capacity = 65536
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 16)
            defer { buffer.deallocate() }
            while true {
                let n = read(fd, buffer, capacity)
                if n > 0 {
                    onInput(UnsafeRawBufferPointer(start: buffer, count: n))
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                    continue
                } else {
                    onInput(nil)
                    return
                }
            }
        }
        reader.name = "jsonrpc-reader"
        // Recursive JSON parsing happens on this thread; give it room beyond the depth limit.
        reader.stackSize = 8 << 20
        reader.start()

        condition.lock()
        writerStarted = true
        condition.unlock()
        let writer = Thread { [self] in self.writeLoop() }
        writer.name = "jsonrpc-writer"
        writer.start()
    }

    public func waitForOutputRoom() async {
        guard isBacklogged() else { return }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            parkUntilDrained(continuation)
        }
    }

    private func isBacklogged() -> Bool {
        condition.lock()
        defer { condition.unlock() }
        return pending.count >= Self.highWater && !outputClosed
    }

    private func parkUntilDrained(_ continuation: CheckedContinuation<Void, Never>) {
        condition.lock()
        if pending.count >= Self.lowWater && !outputClosed {
            roomWaiters.append(continuation)
            condition.unlock()
        } else {
            condition.unlock()
            continuation.resume()
        }
    }

    /// Call with `condition` locked.
    private func releaseRoomWaitersIfDrained() {
        guard !roomWaiters.isEmpty, pending.count < Self.lowWater || outputClosed else { return }
        let waiters = roomWaiters
        roomWaiters = []
        for waiter in waiters { waiter.resume() }
    }

    public func write(_ bytes: [UInt8]) {
        condition.lock()
        // Only a backlog counts: one large answer to a client that reads is written whatever its size.
        if let limit = maxPendingBytes, !pending.isEmpty, pending.count + bytes.count > limit, !outputClosed, !closeRequested {
            let failure = overflowed ? nil : onOutputFailure
            overflowed = true
            pending.removeAll()
            outputClosed = true
            onOutputFailure = nil
            releaseRoomWaitersIfDrained()
            condition.broadcast()
            condition.unlock()
            // Unblocks a writer stuck on the full socket and ends the reader: the session is over.
            if outputFD == inputFD { shutdown(outputFD, Int32(SHUT_RDWR)) }
            failure?()
            return
        }
        if !outputClosed && !closeRequested {
            pending.append(contentsOf: bytes)
            condition.signal()
        }
        condition.unlock()
    }

    public func flush(timeout: Duration) {
        let deadline = Date().addingTimeInterval(Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18)
        condition.lock()
        while (!pending.isEmpty || writing) && !outputClosed && writerStarted {
            if !condition.wait(until: deadline) { break }
        }
        condition.unlock()
    }

    public func closeOutput() {
        condition.lock()
        closeRequested = true
        if !writerStarted {
            // No writer thread to hand the close to.
            if !outputClosed {
                outputClosed = true
                closeOutputDescriptor()
            }
            condition.unlock()
            return
        }
        condition.broadcast()
        while !outputClosed { condition.wait() }
        condition.unlock()
    }

    /// Call with `condition` locked.
    private func closeOutputDescriptor() {
        if outputFD == inputFD {
            shutdown(outputFD, Int32(SHUT_WR))
        } else {
            close(outputFD)
            outputFDClosed = true
        }
    }

    private func writeLoop() {
        var chunk: [UInt8] = []
        while true {
            condition.lock()
            while pending.isEmpty && !closeRequested { condition.wait() }
            if pending.isEmpty && closeRequested {
                closeOutputDescriptor()
                outputClosed = true
                releaseRoomWaitersIfDrained()
                condition.broadcast()
                condition.unlock()
                return
            }
            swap(&chunk, &pending)
            writing = true
            releaseRoomWaitersIfDrained()
            condition.unlock()

            let ok = Self.writeAll(outputFD, chunk)
            chunk.removeAll(keepingCapacity: true)

            condition.lock()
            writing = false
            var failureHandler: (@Sendable () -> Void)?
            if !ok {
                outputClosed = true
                pending.removeAll()
                releaseRoomWaitersIfDrained()
                failureHandler = onOutputFailure
                onOutputFailure = nil
            }
            condition.broadcast()
            condition.unlock()
            if let failureHandler {
                failureHandler()
                return
            }
        }
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                guard let base = raw.baseAddress else { return true }
                let n = systemWrite(fd, base + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && errno == EINTR {
                    continue
                } else {
                    return false
                }
            }
            return true
        }
    }
}

// At file scope, where `write` means the system call rather than the channel's method.
private func systemWrite(_ fd: Int32, _ buffer: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, buffer, count)
}
