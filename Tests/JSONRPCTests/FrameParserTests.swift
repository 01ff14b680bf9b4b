import Testing
@testable import JSONRPC
import TestSupport

@Suite struct FrameParserTests {
    func drain(_ parser: inout FrameParser) -> [FrameParser.Event] {
        var events: [FrameParser.Event] = []
        while let event = parser.next() { events.append(event) }
        return events
    }

    func bodies(_ events: [FrameParser.Event]) -> [String] {
        events.compactMap { if case .body(let b) = $0 { return String(decoding: b, as: UTF8.self) } else { return nil } }
    }

    @Test func readsAMessageFedOneByteAtATime() {
        let input = Frames.frame(#"{"jsonrpc":"2.0","id":1,"method":"é"}"#) + Frames.frame("{}")
        var parser = FrameParser()
        var events: [FrameParser.Event] = []
        for byte in input {
            parser.append([byte])
            events += drain(&parser)
        }
        #expect(bodies(events) == [#"{"jsonrpc":"2.0","id":1,"method":"é"}"#, "{}"])
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func readsManyMessagesFromOneChunk() {
        var input: [UInt8] = []
        for i in 0..<500 { input += Frames.frame("{\"i\":\(i)}") }
        var parser = FrameParser()
        parser.append(input)
        let got = bodies(drain(&parser))
        #expect(got.count == 500)
        #expect(got.last == "{\"i\":499}")
    }

    @Test func contentLengthCountsBytesNotCharacters() {
        var parser = FrameParser()
        parser.append(Frames.frame("\"😀é\"") + Frames.frame("1"))
        #expect(bodies(drain(&parser)) == ["\"😀é\"", "1"])
    }

    @Test func acceptsContentTypeAndAnyHeaderCase() {
        var parser = FrameParser()
        parser.append(Array("content-LENGTH:  2 \r\nContent-Type: application/vscode-jsonrpc; charset=utf-8\r\n\r\n{}".utf8))
        #expect(bodies(drain(&parser)) == ["{}"])
    }

    @Test func reportsAHeaderWithoutLengthAndResynchronises() {
        var parser = FrameParser()
        parser.append(Array("Content-Type: x\r\n\r\n{\"lost\":1}".utf8) + Frames.frame("{\"kept\":1}"))
        let events = drain(&parser)
        #expect(events.count == 2)
        #expect(events.first == .error(FramingError(kind: .malformedHeader, message: "header has no Content-Length")))
        #expect(bodies(events) == ["{\"kept\":1}"])
    }

    @Test(arguments: ["Content-Length: 12a", "Content-Length: -1", "Content-Length:", "Content-Length 5",
                      "Content-Length: 99999999999999999999999", "X-Foo: 1\r\nContent-Length: abc",
                      "Content-Length: 2\r\nContent-Length: 3", "Content-Type: x", "Bad Name: 1", ""])
    func rejectsABadLengthHeader(header: String) {
        var parser = FrameParser()
        parser.append(Array("\(header)\r\n\r\n{}".utf8) + Frames.frame("[]"))
        let events = drain(&parser)
        #expect(events.count == 2)
        if case .error(let error) = events.first { #expect(error.kind == .malformedHeader) } else { Issue.record("no error") }
        #expect(bodies(events) == ["[]"])
    }

    @Test func findsAHeaderGluedAfterGarbage() {
        var parser = FrameParser()
        parser.append(Array("qwe".utf8) + Frames.frame("{\"a\":1}") + Array("x\r\n".utf8) + Frames.frame("[2]"))
        let events = drain(&parser)
        #expect(bodies(events) == ["{\"a\":1}", "[2]"])
        #expect(events.count == 4)
    }

    @Test func skipsAnOversizedBodyWithoutBufferingIt() {
        var parser = FrameParser(maxMessageSize: 1024)
        parser.append(Array("Content-Length: 10000000\r\n\r\n".utf8))
        var events = drain(&parser)
        #expect(events == [.error(FramingError(kind: .oversized(length: 10_000_000),
                                               message: "message of 10000000 bytes exceeds the limit of 1024 bytes"))])
        let chunk = [UInt8](repeating: 0x20, count: 100_000)
        for _ in 0..<100 {
            parser.append(chunk)
            #expect(drain(&parser).isEmpty)
            #expect(parser.bufferedByteCount == 0)
        }
        parser.append(Frames.frame("{\"after\":true}"))
        events = drain(&parser)
        #expect(bodies(events) == ["{\"after\":true}"])
    }

    @Test func boundsAnEndlessHeader() {
        var parser = FrameParser(maxHeaderSize: 8192)
        var errors = 0
        for _ in 0..<1000 {
            parser.append([UInt8](repeating: UInt8(ascii: "a"), count: 1000))
            for event in drain(&parser) { if case .error = event { errors += 1 } }
            #expect(parser.bufferedByteCount <= 8192 + 1000)
        }
        #expect(errors == 1)
        parser.append(Frames.frame("7"))
        #expect(bodies(drain(&parser)) == ["7"])
    }

    @Test func recoversFromALengthThatIsTooShort() {
        var parser = FrameParser()
        let body = #"{"jsonrpc":"2.0","id":1,"method":"m"}"#
        parser.append(Array("Content-Length: 10\r\n\r\n\(body)".utf8) + Frames.frame("{\"next\":1}"))
        let events = drain(&parser)
        #expect(bodies(events) == [String(body.prefix(10)), "{\"next\":1}"])
        #expect(events.filter { if case .error = $0 { true } else { false } }.count == 1)
    }

    @Test func findsAHeaderSplitAcrossReadsAfterGarbage() {
        var parser = FrameParser(maxHeaderSize: 24)
        let input = Array(String(repeating: "z", count: 40).utf8) + Frames.frame("{}")
        var events: [FrameParser.Event] = []
        for byte in input {
            parser.append([byte])
            events += drain(&parser)
        }
        #expect(bodies(events) == ["{}"])
        #expect(events.count == 2)
    }
}
