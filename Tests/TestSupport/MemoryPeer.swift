import JSONRPC
import Synchronization

/// The far end of an in-memory connection, written and read as raw frames.
public final class MemoryPeer: Sendable {
    private struct State {
        var parser = FrameParser()
        var queue: [JSONValue] = []
        var waiter: CheckedContinuation<JSONValue?, Never>?
        var generation = 0
        var ended = false
    }

    public let channel: MemoryChannel
    private let state = Mutex(State())

    public init(_ channel: MemoryChannel) {
        self.channel = channel
        channel.start(onInput: { [self] chunk in
            state.withLock { state in
                if let chunk {
                    state.parser.append(chunk)
                    while let event = state.parser.next() {
                        if case .body(let body) = event, let value = try? JSONParser.parse(body) { state.queue.append(value) }
                    }
                } else {
                    state.ended = true
                }
                if let waiter = state.waiter, !state.queue.isEmpty || state.ended {
                    state.waiter = nil
                    waiter.resume(returning: state.queue.isEmpty ? nil : state.queue.removeFirst())
                }
            }
        }, onOutputFailure: {})
    }

    public func send(_ message: JSONValue) { channel.write(Frames.frame(message)) }
    public func send(raw: String) { channel.write(Frames.frame(raw)) }

    /// The next message, or nil at end of stream or after 10 s (a guard against hangs, not a wait).
    public func next() async -> JSONValue? {
        let generation = state.withLock { state in
            state.generation += 1
            return state.generation
        }
        let timeout = Task { [self] in
            guard (try? await Task.sleep(for: .seconds(10))) != nil else { return }
            state.withLock { state in
                guard state.generation == generation else { return }
                state.waiter?.resume(returning: nil)
                state.waiter = nil
            }
        }
        defer { timeout.cancel() }
        return await withCheckedContinuation { continuation in
            state.withLock { state in
                if !state.queue.isEmpty {
                    continuation.resume(returning: state.queue.removeFirst())
                } else if state.ended {
                    continuation.resume(returning: nil)
                } else {
                    state.waiter = continuation
                }
            }
        }
    }
}

