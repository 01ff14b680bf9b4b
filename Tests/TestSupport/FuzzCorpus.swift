import JSONRPC

/// A small, seeded generator: the same seed gives the same corpus on every machine.
public struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    public init(seed: UInt64) { state = seed }
    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Random and mutated frames with what a correct server must answer to each.
///
/// Every segment is self-contained: after it, the stream is aligned on a frame boundary again, so
/// that the answers to all segments can be checked. Segments of `.unknown` kind (random mutations
/// of a body, with a correct length) may be answered or not, but never more than once.
public struct FuzzCorpus {
    public enum Expectation: Equatable, Sendable {
        /// A response (result or error) carrying this id.
        case response(id: Int)
        /// A response with this id and this error code.
        case error(id: Int, code: Int)
        /// This many errors with a null id (framing or parse errors).
        case nullIDErrors(Int, code: Int)
        /// Nothing: a notification.
        case nothing
        /// At most one message (any).
        case unknown
        /// Several expectations in order (e.g. one error, then the answer to a frame after garbage).
        indirect case all([Expectation])
    }

    public struct Segment: Sendable {
        public let bytes: [UInt8]
        public let expectation: Expectation
        public let label: String
    }

    public let segments: [Segment]

    /// Frames in the corpus (each segment is one or two defective or valid frames, then a sentinel).
    public var frameCount: Int { segments.count * 2 }

    /// Kinds of frame the corpus draws from, for the record (`label` of each segment).
    public static let kinds = [
        "valid request", "unknown method", "notification", "batch", "huge id", "huge numbers",
        "deep nesting", "too deep", "invalid UTF-8", "truncated body", "mutated body", "no Content-Length",
        "bad Content-Length", "header without colon", "garbage before frame", "length too small",
        "length too large", "oversized", "header too long", "Content-Type header", "lowercase header",
        "invalid request", "bad params",
    ]

    /// - Parameters:
    ///   - count: number of segments.
    ///   - maxMessageSize: the server's limit, so that "oversized" frames are oversized.
    public init(seed: UInt64, count: Int, maxMessageSize: Int) {
        var rng = SplitMix64(seed: seed)
        var segments: [Segment] = []
        segments.reserveCapacity(count)
        var nextID = 1_000
        for index in 0..<count {
            nextID += 1
            let segment = Self.segment(id: nextID, rng: &rng, maxMessageSize: maxMessageSize)
            // A sentinel after each segment proves the stream recovered, and keeps one segment's
            // leftovers from merging with the next segment's defect.
            let sentinel = Self.sentinelBase + index
            let expectations: [Expectation]
            if case .all(let parts) = segment.expectation { expectations = parts } else { expectations = [segment.expectation] }
            segments.append(Segment(bytes: segment.bytes + Self.frame(Self.request(sentinel, "braid/version")),
                                    expectation: .all(expectations + [.response(id: sentinel)]), label: segment.label))
        }
        self.segments = segments
    }

    static let methods = ["braid/version", "braid/ping"]
    public static let sentinelBase = 10_000_000

    static func request(_ id: Int, _ method: String, params: String? = nil) -> String {
        let p = params.map { ",\"params\":\($0)" } ?? ""
        return "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"\(method)\"\(p)}"
    }

    static func frame(_ body: [UInt8]) -> [UInt8] { Array("Content-Length: \(body.count)\r\n\r\n".utf8) + body }
    static func frame(_ body: String) -> [UInt8] { frame(Array(body.utf8)) }

    static func segment(id: Int, rng: inout SplitMix64, maxMessageSize: Int) -> Segment {
        let kind = kinds[Int.random(in: 0..<kinds.count, using: &rng)]
        let method = methods[Int.random(in: 0..<methods.count, using: &rng)]
        let valid = request(id, method)
        switch kind {
        case "valid request":
            return Segment(bytes: frame(valid), expectation: .response(id: id), label: kind)
        case "unknown method":
            let name = String((0..<Int.random(in: 1...12, using: &rng)).map { _ in "abcxyz/_$".randomElement(using: &rng)! })
            return Segment(bytes: frame(request(id, "zz" + name)), expectation: .error(id: id, code: -32601), label: kind)
        case "notification":
            return Segment(bytes: frame("{\"jsonrpc\":\"2.0\",\"method\":\"zz/unknown\",\"params\":{\"n\":\(id)}}"),
                           expectation: .nothing, label: kind)
        case "batch":
            let body = "[\(request(id, method)),{\"jsonrpc\":\"2.0\",\"method\":\"zz/note\"},{\"bad\":1}]"
            return Segment(bytes: frame(body), expectation: .unknown, label: kind)
        case "huge id":
            // A valid request whose id is beyond 64 bits: answered, with the id echoed as written.
            return Segment(bytes: frame(valid.replacingOccurrences(of: "\"id\":\(id)", with: "\"id\":\(id)123456789012345678901234567890")),
                           expectation: .unknown, label: kind)
        case "huge numbers":
            let params = "{\"delayMs\":0,\"x\":1e999999,\"y\":-123456789012345678901234567890.5e-99999}"
            return Segment(bytes: frame(request(id, "braid/ping", params: params)), expectation: .response(id: id), label: kind)
        case "deep nesting":
            let depth = Int.random(in: 10...200, using: &rng)
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return Segment(bytes: frame(request(id, "braid/version", params: "{\"a\":\(nested)}")),
                           expectation: .response(id: id), label: kind)
        case "too deep":
            let depth = Int.random(in: 300...5000, using: &rng)
            let nested = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
            return Segment(bytes: frame(nested), expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "invalid UTF-8":
            var body = Array(request(id, method, params: "{\"s\":\"ab\"}").utf8)
            let at = body.count - 4
            // Each is invalid UTF-8: a bad continuation, bytes never used, a surrogate, an overlong form.
            let invalid: [[UInt8]] = [[0xC3, 0x28], [0xFF], [0xFE], [0xED, 0xA0, 0x80], [0x80], [0xC0, 0xAF], [0xF4, 0x90, 0x80, 0x80]]
            body.insert(contentsOf: invalid.randomElement(using: &rng)!, at: at)
            return Segment(bytes: frame(body), expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "truncated body":
            let body = Array(valid.utf8)
            let cut = Array(body[0..<Int.random(in: 0..<(body.count - 1), using: &rng)])
            return Segment(bytes: frame(cut), expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "mutated body":
            var body = Array(request(id, method).utf8)
            // String ids are out of the numeric ids' way, whatever a mutation does to them.
            body = Array(String(decoding: body, as: UTF8.self).replacingOccurrences(of: "\"id\":\(id)", with: "\"id\":\"m\(id)\"").utf8)
            for _ in 0..<Int.random(in: 1...3, using: &rng) {
                let at = Int.random(in: 0..<body.count, using: &rng)
                switch Int.random(in: 0..<3, using: &rng) {
                case 0: body[at] = UInt8.random(in: 0...255, using: &rng)
                case 1: body.remove(at: at)
                default: body.insert(UInt8.random(in: 0...255, using: &rng), at: at)
                }
                if body.isEmpty { body = [0x7B] }
            }
            // A mutation must not forge the start of a header inside the body.
            let text = String(decoding: body, as: UTF8.self).lowercased()
            if text.contains("content-length") { return Segment(bytes: frame(valid), expectation: .response(id: id), label: "valid request") }
            return Segment(bytes: frame(body), expectation: .unknown, label: kind)
        case "no Content-Length":
            let bytes = Array("Content-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(valid)".utf8)
            return Segment(bytes: bytes, expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "bad Content-Length":
            let value = ["-5", "12a", "", "0x10", "1 2", "99999999999999999999999999"].randomElement(using: &rng)!
            return Segment(bytes: Array("Content-Length: \(value)\r\n\r\n\(valid)".utf8),
                           expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "header without colon":
            return Segment(bytes: Array("Content-Length \(valid.utf8.count)\r\n\r\n\(valid)".utf8),
                           expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "garbage before frame":
            let garbage = String((0..<Int.random(in: 1...64, using: &rng)).map { _ in "qwerty{}[]\r\n ".randomElement(using: &rng)! })
            return Segment(bytes: Array(garbage.utf8) + frame(valid),
                           expectation: .all([.nullIDErrors(1, code: -32700), .response(id: id)]), label: kind)
        case "length too small":
            let body = Array(valid.utf8)
            let short = Int.random(in: 1..<(body.count - 1), using: &rng)
            return Segment(bytes: Array("Content-Length: \(short)\r\n\r\n".utf8) + body,
                           expectation: .nullIDErrors(2, code: -32700), label: kind)
        case "length too large":
            let body = Array(valid.utf8)
            let extra = Int.random(in: 1...40, using: &rng)
            return Segment(bytes: Array("Content-Length: \(body.count + extra)\r\n\r\n".utf8) + body + Array(repeating: UInt8(ascii: "x"), count: extra),
                           expectation: .nullIDErrors(1, code: -32700), label: kind)
        case "oversized":
            let size = maxMessageSize + Int.random(in: 1...1000, using: &rng)
            return Segment(bytes: Array("Content-Length: \(size)\r\n\r\n".utf8) + Array(repeating: UInt8(ascii: " "), count: size),
                           expectation: .nullIDErrors(1, code: -32600), label: kind)
        case "header too long":
            let junk = "X-Junk: " + String(repeating: "a", count: 9000) + "\r\n"
            return Segment(bytes: Array(junk.utf8) + frame(valid),
                           expectation: .all([.nullIDErrors(1, code: -32700), .response(id: id)]), label: kind)
        case "Content-Type header":
            return Segment(bytes: Array("Content-Length: \(valid.utf8.count)\r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n\(valid)".utf8),
                           expectation: .response(id: id), label: kind)
        case "lowercase header":
            return Segment(bytes: Array("content-length:\(valid.utf8.count)\r\n\r\n\(valid)".utf8),
                           expectation: .response(id: id), label: kind)
        case "invalid request":
            let body = ["{\"jsonrpc\":\"1.0\",\"id\":\(id),\"method\":\"braid/version\"}",
                        "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":5}",
                        "{\"jsonrpc\":\"2.0\",\"id\":\(id),\"method\":\"braid/version\",\"params\":7}"].randomElement(using: &rng)!
            return Segment(bytes: frame(body), expectation: .error(id: id, code: -32600), label: kind)
        default: // "bad params"
            return Segment(bytes: frame(request(id, "braid/ping", params: "{\"delayMs\":\"soon\"}")),
                           expectation: .error(id: id, code: -32602), label: kind)
        }
    }

    /// The expectations flattened, in stream order.
    public var flatExpectations: [Expectation] {
        segments.flatMap { segment -> [Expectation] in
            if case .all(let parts) = segment.expectation { return parts }
            return [segment.expectation]
        }
    }

    public var bytes: [UInt8] { segments.flatMap(\.bytes) }
}

extension FuzzCorpus {
    /// Compares what a server answered with what the corpus expects; returns the problems found.
    ///
    /// - Parameter checkCodes: whether error codes decided by method dispatch (-32601, -32602) are
    ///   checked too (they are when a real server answered, not when only the framing layer ran).
    public func verify(answers: [JSONValue], checkCodes: Bool) -> [String] {
        var problems: [String] = []
        var byID: [Int: [JSONValue]] = [:]
        var nullErrors: [Int: Int] = [:]
        var others = 0
        for answer in answers {
            if answer["method"] != nil { continue } // a notification or request from the server
            switch answer["id"] {
            case .number(let n)? where n.intValue != nil:
                byID[n.intValue!, default: []].append(answer)
            case .null?:
                nullErrors[answer["error"]?["code"]?.intValue ?? 0, default: 0] += 1
            default:
                others += 1 // batches (arrays), string ids of mutated frames, ids beyond 64 bits
            }
        }
        var expectedNull: [Int: Int] = [:]
        var unknown = 0
        var expectedIDs = Set<Int>()
        for expectation in flatExpectations {
            switch expectation {
            case .response(let id):
                expectedIDs.insert(id)
                if byID[id]?.count != 1 { problems.append("id \(id): \(byID[id]?.count ?? 0) answers, expected 1") }
            case .error(let id, let code):
                expectedIDs.insert(id)
                let got = byID[id] ?? []
                if got.count != 1 {
                    problems.append("id \(id): \(got.count) answers, expected 1 error \(code)")
                } else if checkCodes || code == -32600, got[0]["error"]?["code"]?.intValue != code {
                    problems.append("id \(id): got \(got[0]), expected error \(code)")
                }
            case .nullIDErrors(let n, let code):
                expectedNull[code, default: 0] += n
            case .unknown:
                unknown += 1
            case .nothing, .all:
                break
            }
        }
        for (id, got) in byID where !expectedIDs.contains(id) {
            let label = id > 1_000 && id - 1_001 < segments.count ? segments[id - 1_001].label : "?"
            problems.append("unexpected answer(s) for id \(id) (segment \(label)): \(got)")
        }
        let expectedNullTotal = expectedNull.values.reduce(0, +)
        let nullTotal = nullErrors.values.reduce(0, +)
        for (code, n) in expectedNull where (nullErrors[code] ?? 0) < n {
            problems.append("\(nullErrors[code] ?? 0) errors \(code) with a null id, expected at least \(n)")
        }
        if nullTotal > expectedNullTotal + unknown {
            problems.append("\(nullTotal) errors with a null id, expected at most \(expectedNullTotal + unknown)")
        }
        if others > unknown {
            problems.append("\(others) other answers, expected at most \(unknown)")
        }
        return problems
    }
}
