import Testing
@testable import JSON

@Suite struct JSONParserTests {
    @Test func parsesEveryKindOfValue() throws {
        let value = try JSONParser.parse(#" {"a": [1, -2.5e3, true, false, null, "x\u00e9\n"], "b": {}} "#)
        #expect(value["a"]?.arrayValue?.count == 6)
        #expect(value["a"]?.arrayValue?[0].intValue == 1)
        #expect(value["a"]?.arrayValue?[1].doubleValue == -2500)
        #expect(value["a"]?.arrayValue?[2] == .bool(true))
        #expect(value["a"]?.arrayValue?[4] == .null)
        #expect(value["a"]?.arrayValue?[5] == .string("xé\n"))
        #expect(value["b"] == .object([:]))
    }

    @Test func keepsNumbersExactlyAsWritten() throws {
        let text = #"[12345678901234567890123, 1.0, -0, 1e400, 0.1]"#
        let value = try JSONParser.parse(text)
        #expect(String(decoding: JSONWriter.encode(value), as: UTF8.self) == "[12345678901234567890123,1.0,-0,1e400,0.1]")
        #expect(value.arrayValue?[1].intValue == 1)
        #expect(value.arrayValue?[0].intValue == nil)
    }

    @Test func decodesEscapesAndSurrogatePairs() throws {
        #expect(try JSONParser.parse(#""\ud83d\ude00 \"q\" \\ \/ \b\f\r\t""#) == .string("😀 \"q\" \\ / \u{8}\u{c}\r\t"))
    }

    @Test(arguments: [
        ("", "empty input"), ("{", "unterminated object"), ("[1,]", "unexpected character"),
        ("01", "unexpected data after the JSON value"), ("1.", "invalid number"), ("-", "invalid number"),
        ("tru", "invalid literal"), (#""\ud800""#, "lone surrogate"), (#""\udc00x""#, "lone surrogate"),
        (#""\x""#, "invalid escape"), ("\"a\u{1}\"", "unescaped control character"), (#"{"a" 1}"#, "expected ':'"),
        (#"{1:2}"#, "expected a string key"), ("[1 2]", "expected ',' or ']'"), (#""abc"#, "unterminated string"),
    ])
    func rejectsMalformedInputWithAPreciseMessage(input: String, message: String) {
        #expect {
            try JSONParser.parse(input)
        } throws: { error in
            (error as? JSONParseError)?.message.contains(message) == true
        }
    }

    @Test func rejectsInvalidUTF8InStrings() throws {
        for bad: [UInt8] in [[0xC3, 0x28], [0xFF], [0xED, 0xA0, 0x80], [0xE2, 0x82]] {
            let bytes = Array(#"{"s":""#.utf8) + bad + Array(#""}"#.utf8)
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bytes) }
        }
        #expect(try JSONParser.parse(Array("\"é😀\"".utf8)) == .string("é😀"))
    }

    @Test func boundsNestingDepthWithoutExhaustingTheStack() throws {
        let ok = String(repeating: "[", count: 256) + String(repeating: "]", count: 256)
        _ = try JSONParser.parse(ok)
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect {
            try JSONParser.parse(deep)
        } throws: { error in
            (error as? JSONParseError)?.message == "nesting deeper than 256 levels"
        }
    }

    @Test func writerEscapesAndRoundTrips() throws {
        let value: JSONValue = ["k\"ey": ["a\u{1}b\n", 1, 2.5, true, .null, [:], []]]
        let text = String(decoding: JSONWriter.encode(value), as: UTF8.self)
        #expect(text == #"{"k\"ey":["a\u0001b\n",1,2.5,true,null,{},[]]}"#)
        #expect(try JSONParser.parse(text) == value)
        let pretty = String(decoding: JSONWriter.encode(["b": 1, "a": [true]], pretty: true), as: UTF8.self)
        #expect(pretty == "{\n  \"a\": [\n    true\n  ],\n  \"b\": 1\n}")
    }
}
