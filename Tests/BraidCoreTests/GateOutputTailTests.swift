import Foundation
import Testing
@testable import BraidCore

@Suite struct GateOutputTailTests {
    @Test func outputThatFitsIsKeptWhole() {
        let tail = OutputTail(output: Data("one\ntwo\n".utf8), limit: 100)
        #expect(tail == OutputTail(text: "one\ntwo\n", droppedBytes: 0))
    }

    @Test func aCutTailStartsAtTheNextLine() {
        let tail = OutputTail(output: Data("first line\nsecond\nthird\n".utf8), limit: 12)
        // The last 12 bytes start inside "second": the tail starts at "third".
        #expect(tail == OutputTail(text: "third\n", droppedBytes: 18))
    }

    @Test func outputAlreadyCutUpstreamIsAlsoMovedToALineStart() {
        let tail = OutputTail(output: Data("ond\nthird\n".utf8), droppedBefore: 1000, limit: 100)
        #expect(tail == OutputTail(text: "third\n", droppedBytes: 1004))
    }

    @Test func oneLongLineIsCutWithoutSplittingACharacter() {
        let text = String(repeating: "é", count: 100)
        let tail = OutputTail(output: Data(text.utf8), limit: 51)
        #expect(tail.text == String(repeating: "é", count: 25))
        #expect(tail.droppedBytes == 150)
    }

    @Test func aTrailingNewlineAloneDoesNotEmptyTheTail() {
        let tail = OutputTail(output: Data("xxxxxxxxxxxxxxxxxxxxlast\n".utf8), limit: 5)
        #expect(tail == OutputTail(text: "last\n", droppedBytes: 20))
    }
}
