/// A framing defect: one per rejected header. Bytes dropped while looking for the next header
/// are not reported again; the parser has already resynchronised past the defect.
public struct FramingError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: Sendable, Equatable {
        /// A header block without a usable `Content-Length`, or with a malformed line.
        case malformedHeader
        /// A `Content-Length` above the limit: the body is skipped as it arrives, never buffered.
        case oversized(length: Int)
    }

    public let kind: Kind
    public let message: String

    public var description: String { message }

    /// The error a peer should receive for this defect.
    public var responseError: ResponseError {
        switch kind {
        case .malformedHeader: return ResponseError(.parseError, "parse error: \(message)")
        case .oversized: return ResponseError(.invalidRequest, "invalid request: \(message)")
        }
    }
}

/// Splits a byte stream into LSP base-protocol frames (`Content-Length: N\r\n\r\n` + N bytes).
///
/// Fed arbitrary chunks, it yields whole bodies. Memory is bounded by the maximum message size plus
/// the maximum header size: an oversized body is counted off as it arrives, and a garbled header is
/// dropped up to the next `Content-Length` so that one bad frame does not poison the stream.
public struct FrameParser: Sendable {
    public enum Event: Sendable, Equatable {
        case body([UInt8])
        case error(FramingError)
    }

    public let maxMessageSize: Int
    public let maxHeaderSize: Int

    private var buffer: [UInt8] = []
    private var start = 0
    /// Bytes of an oversized body still to be dropped as they arrive.
    private var skipRemaining = 0
    /// The length from a parsed header whose body is not complete yet.
    private var pendingLength: Int?
    /// After a framing error: input is dropped, silently, until the next `Content-Length`.
    private var resyncing = false

    public init(maxMessageSize: Int = 64 << 20, maxHeaderSize: Int = 8192) {
        self.maxMessageSize = maxMessageSize
        self.maxHeaderSize = maxHeaderSize
    }

    /// Bytes held for an incomplete frame; never more than the limits allow.
    public var bufferedByteCount: Int { buffer.count - start }

    public mutating func append(_ chunk: UnsafeRawBufferPointer) {
        var chunk = chunk
        if skipRemaining > 0 {
            let dropped = min(skipRemaining, chunk.count)
            skipRemaining -= dropped
            chunk = UnsafeRawBufferPointer(rebasing: chunk[dropped...])
        }
        if chunk.isEmpty { return }
        if start > 0 && start == buffer.count {
            buffer.removeAll(keepingCapacity: true)
            start = 0
        } else if start > 65536 && start * 2 > buffer.count {
            buffer.removeSubrange(0..<start)
            start = 0
        }
        buffer.append(contentsOf: chunk)
    }

    public mutating func append(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { append($0) }
    }

    /// The next complete frame or framing error, or nil when more input is needed.
    public mutating func next() -> Event? {
        while true {
            if skipRemaining > 0 { return nil }
            if let length = pendingLength {
                guard buffer.count - start >= length else { return nil }
                let body = Array(buffer[start..<(start + length)])
                start += length
                pendingLength = nil
                return .body(body)
            }
            if resyncing {
                guard skipToMarker(from: start) else { return nil }
                resyncing = false
            }
            guard let headerEnd = findHeaderEnd() else {
                if buffer.count - start > maxHeaderSize {
                    return .error(resync("header longer than \(maxHeaderSize) bytes"))
                }
                return nil
            }
            if headerEnd - start > maxHeaderSize {
                return .error(resync("header longer than \(maxHeaderSize) bytes"))
            }
            switch parseHeader(start..<headerEnd) {
            case .failure(let message, let line?):
                // Resume after the defective line: a later line may be the next frame's header
                // (garbage glued before it), but nothing before it can be.
                start = line
                return .error(resync(message))
            case .failure(let message, nil):
                // No line is to blame: a header may be glued after garbage inside the block;
                // otherwise drop the block, and its body, up to the next header.
                if headerEnd > start + 1, let glued = markerPosition(in: (start + 1)..<headerEnd) {
                    start = glued - 1
                } else {
                    start = headerEnd + 3
                }
                return .error(resync(message))
            case .success(let length):
                start = headerEnd + 4
                if length > maxMessageSize {
                    let available = min(buffer.count - start, length)
                    start += available
                    skipRemaining = length - available
                    return .error(FramingError(kind: .oversized(length: length),
                        message: "message of \(length) bytes exceeds the limit of \(maxMessageSize) bytes"))
                }
                pendingLength = length
            }
        }
    }

    private func findHeaderEnd() -> Int? {
        let end = buffer.count - 3
        var i = start
        while i < end {
            if buffer[i] == 0x0D && buffer[i + 1] == 0x0A && buffer[i + 2] == 0x0D && buffer[i + 3] == 0x0A {
                return i
            }
            i += 1
        }
        return nil
    }

    private enum HeaderResult {
        case success(Int)
        /// The message, and where the defective line starts (nil: no single line is to blame).
        case failure(String, line: Int?)
    }

    /// RFC 9110's token characters, which a header name consists of.
    private static func isTokenByte(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(b)
        }
    }

    private func parseHeader(_ range: Range<Int>) -> HeaderResult {
        var length: Int?
        var lineStart = range.lowerBound
        while lineStart < range.upperBound {
            var lineEnd = lineStart
            while lineEnd < range.upperBound,
                  !(buffer[lineEnd] == 0x0D && lineEnd + 1 < buffer.count && buffer[lineEnd + 1] == 0x0A) {
                lineEnd += 1
            }
            guard let colon = buffer[lineStart..<lineEnd].firstIndex(of: UInt8(ascii: ":")) else {
                return .failure("malformed header line (no ':')", line: lineStart)
            }
            let name = String(decoding: buffer[lineStart..<colon], as: UTF8.self).trimmingSpaces()
            guard !name.isEmpty, name.utf8.allSatisfy(Self.isTokenByte) else {
                return .failure("malformed header name", line: lineStart)
            }
            if name.lowercased() == "content-length" {
                let value = String(decoding: buffer[(colon + 1)..<lineEnd], as: UTF8.self).trimmingSpaces()
                guard !value.isEmpty, value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                    return .failure("invalid Content-Length value", line: lineStart)
                }
                guard let parsed = Int(value) else {
                    return .failure("Content-Length too large to represent", line: lineStart)
                }
                if let length, length != parsed { return .failure("conflicting Content-Length headers", line: lineStart) }
                length = parsed
            }
            // Content-Type (and any other header) is accepted and ignored: the body is always UTF-8 JSON.
            lineStart = lineEnd + 2
        }
        guard let length else { return .failure("header has no Content-Length", line: nil) }
        return .success(length)
    }

    private static let marker = Array("content-length".utf8)

    /// Drops the defective header's first byte and everything up to the next plausible header (a
    /// `Content-Length`); the bytes dropped on the way are not reported.
    private mutating func resync(_ message: String) -> FramingError {
        start += 1
        resyncing = !skipToMarker(from: start)
        return FramingError(kind: .malformedHeader, message: message)
    }

    /// Moves `start` to the next `Content-Length` (any case) at or after `from`: true if found.
    /// Otherwise drops all but a tail that may be the marker's beginning split across reads.
    private mutating func skipToMarker(from: Int) -> Bool {
        if let found = markerPosition(in: from..<buffer.count) {
            start = found
            return true
        }
        start = max(from, buffer.count - (Self.marker.count - 1))
        return false
    }

    /// Where a whole `Content-Length` (any case) starts within `range`, if anywhere.
    private func markerPosition(in range: Range<Int>) -> Int? {
        let marker = Self.marker
        let limit = min(range.upperBound, buffer.count) - marker.count
        var i = range.lowerBound
        while i <= limit {
            if buffer[i] | 0x20 == marker[0] {
                var matches = true
                for k in 1..<marker.count where buffer[i + k] | 0x20 != marker[k] {
                    matches = false
                    break
                }
                if matches { return i }
            }
            i += 1
        }
        return nil
    }
}

extension String {
    func trimmingSpaces() -> String {
        var scalars = Substring(self)
        while let f = scalars.first, f == " " || f == "\t" { scalars.removeFirst() }
        while let l = scalars.last, l == " " || l == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
