import Testing
@testable import JSONRPC
import TestSupport

/// Feeds the framing and JSON layers 100,000 random and mutated segments in random chunk sizes.
@Suite struct RobustnessTests {
    @Test func survivesAHundredThousandHostileFramesWithBoundedMemory() {
        let maxMessageSize = 4096
        let corpus = FuzzCorpus(seed: 0xB4A1D, count: 100_000, maxMessageSize: maxMessageSize)
        #expect(corpus.frameCount >= 200_000)
        let stream = corpus.bytes
        var rng = SplitMix64(seed: 7)
        var parser = FrameParser(maxMessageSize: maxMessageSize)
        var answers: [JSONValue] = []
        var maxBuffered = 0
        var offset = 0
        stream.withUnsafeBytes { raw in
            while offset < raw.count {
                let size = min(raw.count - offset, [1, 7, 100, 4096, 65536].randomElement(using: &rng)!)
                parser.append(UnsafeRawBufferPointer(rebasing: raw[offset..<(offset + size)]))
                offset += size
                maxBuffered = max(maxBuffered, parser.bufferedByteCount)
                while let event = parser.next() {
                    switch event {
                    case .body(let body): answers += Self.answers(to: Inbound.decode(body: body))
                    case .error(let error): answers.append(Self.error(nil, error.responseError))
                    }
                }
            }
        }
        #expect(maxBuffered <= maxMessageSize + 8192 + 65536)
        let problems = corpus.verify(answers: answers, checkCodes: false)
        #expect(problems.count == 0, "\(problems.count) problems, first: \(problems.prefix(5))")
    }

    /// What a server would answer, decided by the layers under test (dispatch answers "ok").
    static func answers(to inbound: Inbound) -> [JSONValue] {
        switch inbound {
        case .message(.request(let id, _, _)): return [["id": id.json, "result": "ok"]]
        case .message, .malformedResponse: return []
        case .invalid(let id, let failure): return [Self.error(id, failure)]
        case .batch(let elements):
            return elements.contains { if case .message(.request) = $0 { true } else if case .invalid = $0 { true } else { false } } ? [["batch": true]] : []
        }
    }

    static func error(_ id: RequestID?, _ error: ResponseError) -> JSONValue {
        ["id": id?.json ?? .null, "error": error.json]
    }
}
