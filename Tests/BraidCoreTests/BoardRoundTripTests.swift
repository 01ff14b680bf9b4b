import Foundation
import Testing
@testable import BraidCore

@Suite struct BoardRoundTripTests {
    @Test func theCorpusHasAtLeastTwentyBoards() {
        #expect(BoardFixtures.names.count >= 20)
    }

    @Test(arguments: BoardFixtures.names)
    func parsingThenRenderingGivesTheSameBytes(fixture: String) throws {
        let bytes = try BoardFixtures.bytes(fixture)
        let board = Board.parse(try BoardFixtures.text(fixture))
        #expect(Array(board.render().utf8) == bytes)
    }

    @Test(arguments: BoardFixtures.names)
    func assigningNoIDsLeavesTheBytesAlone(fixture: String) throws {
        var board = try BoardFixtures.board(fixture)
        let text = board.render()
        if board.tasks.allSatisfy({ $0.id != nil }) {
            #expect(board.assignMissingIDs() == [])
            #expect(Array(board.render().utf8) == Array(text.utf8))
        }
    }

    @Test(arguments: [
        "", "\n", "\r\n", "\n\n\r\n", "x", "\u{FEFF}", "\u{FEFF}\n", "\u{FEFF}## Todo",
        "## Todo\r", "\r", "a\rb\r\n", "## Todo\n- [ ] a (#1)", "\t\n \n", "---\n", "---\n---",
        "- [ ] x\r\n\r\n", "é\u{301}\n", "\u{2028}\n", "```\n- [ ] open fence",
    ])
    func edgeCaseTextsSurviveByteForByte(text: String) {
        #expect(Array(Board.parse(text).render().utf8) == Array(text.utf8))
    }

    @Test func canonicallyEquivalentSpellingsAreKeptAsWritten() {
        // Precomposed and decomposed "é" are equal as Swift Strings, but not as bytes.
        let composed = "## Todo\n- [ ] Caf\u{E9} (#1)\n"
        let decomposed = "## Todo\n- [ ] Cafe\u{301} (#1)\n"
        #expect(Array(Board.parse(composed).render().utf8) == Array(composed.utf8))
        #expect(Array(Board.parse(decomposed).render().utf8) == Array(decomposed.utf8))
    }

    @Test func aLargeBoardSurvivesByteForByte() {
        var text = "## Todo\r\n"
        for i in 1...2000 {
            text += "- [ ] Task \(i) (#\(i))\(i % 2 == 0 ? "\r\n" : "\n")  agent: a\(i)\n"
        }
        text += "## Done"
        let board = Board.parse(text)
        #expect(board.tasks.count == 2000)
        #expect(Array(board.render().utf8) == Array(text.utf8))
    }
}
