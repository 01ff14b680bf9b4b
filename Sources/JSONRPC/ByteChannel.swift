/// A pair of byte streams a `Connection` runs over: stdio, a pipe pair, a Unix socket, or memory.
///
/// Input is pushed to the connection from a thread of the channel's own, so that blocking reads
/// never occupy Swift's cooperative thread pool; output is queued and written in order, so that a
/// peer that stops reading cannot stall the reader.
public protocol ByteChannel: Sendable {
    /// Starts delivering input. `onInput` gets each chunk in order, then `nil` once at end of input.
    /// `onOutputFailure` is called once if the peer stops accepting output (it closed its end).
    func start(onInput: @escaping @Sendable (UnsafeRawBufferPointer?) -> Void,
               onOutputFailure: @escaping @Sendable () -> Void)

    /// Queues bytes for writing; returns at once. Writes happen in call order.
    func write(_ bytes: [UInt8])

    /// Returns when everything queued so far has been written, the output failed, or `timeout`
    /// passed (a peer that neither reads nor closes must not keep us from exiting).
    func flush(timeout: Duration)

    /// Returns when the output queue is small enough to take more; a connection waits here before
    /// reading more requests, so a peer that does not read cannot grow our memory without bound.
    func waitForOutputRoom() async

    /// Flushes, then closes the output so the peer sees end of input.
    func closeOutput()
}

extension ByteChannel {
    public func flush() { flush(timeout: .seconds(3600)) }
    public func waitForOutputRoom() async {}
}

/// Frames a body with the LSP base-protocol header.
enum Framing {
    static func frame(_ body: [UInt8]) -> [UInt8] {
        var out = Array("Content-Length: \(body.count)\r\n\r\n".utf8)
        out.reserveCapacity(out.count + body.count)
        out.append(contentsOf: body)
        return out
    }
}
