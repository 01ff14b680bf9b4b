import Dispatch
import Synchronization

/// Two connected in-memory `ByteChannel`s, so most tests exercise real framing without a process.
public final class MemoryChannel: ByteChannel, Sendable {
    private struct State {
        var onInput: (@Sendable (UnsafeRawBufferPointer?) -> Void)?
        var early: [[UInt8]?] = []
    }

    private let state = Mutex(State())
    private let delivery: DispatchQueue
    private let peerBox = Mutex<MemoryChannel?>(nil)
    private let outputClosed = Mutex(false)

    private init(label: String) {
        delivery = DispatchQueue(label: label)
    }

    /// Returns two ends: what one writes, the other reads.
    public static func pair() -> (MemoryChannel, MemoryChannel) {
        let a = MemoryChannel(label: "memory-channel-a")
        let b = MemoryChannel(label: "memory-channel-b")
        a.peerBox.withLock { $0 = b }
        b.peerBox.withLock { $0 = a }
        return (a, b)
    }

    public func start(onInput: @escaping @Sendable (UnsafeRawBufferPointer?) -> Void,
                      onOutputFailure: @escaping @Sendable () -> Void) {
        state.withLock { state in
            state.onInput = onInput
            let early = state.early
            state.early = []
            // Enqueued under the lock so that later chunks cannot overtake these.
            delivery.async {
                for chunk in early { Self.deliver(chunk, to: onInput) }
            }
        }
    }

    private static func deliver(_ chunk: [UInt8]?, to onInput: @Sendable (UnsafeRawBufferPointer?) -> Void) {
        if let chunk {
            chunk.withUnsafeBytes { onInput($0) }
        } else {
            onInput(nil)
        }
    }

    /// Delivers to this end's reader, in order.
    fileprivate func receive(_ chunk: [UInt8]?) {
        state.withLock { state in
            guard let handler = state.onInput else {
                state.early.append(chunk)
                return
            }
            delivery.async { Self.deliver(chunk, to: handler) }
        }
    }

    public func write(_ bytes: [UInt8]) {
        guard !outputClosed.withLock({ $0 }) else { return }
        peerBox.withLock { $0 }?.receive(bytes)
    }

    public func flush(timeout: Duration) {}

    public func closeOutput() {
        let wasClosed = outputClosed.withLock { closed -> Bool in
            defer { closed = true }
            return closed
        }
        if !wasClosed { peerBox.withLock { $0 }?.receive(nil) }
    }
}
