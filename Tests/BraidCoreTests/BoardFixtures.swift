import Foundation
import Testing
@testable import BraidCore

/// The corpus of boards under `Fixtures/boards`, read through `#filePath` so that no resource
/// bundle is needed, and helpers to compare boards line by line, byte for byte.
enum BoardFixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent()
        .appendingPathComponent("Fixtures/boards")

    /// Every fixture's file name, sorted.
    static let names: [String] = {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".md") }.sorted()
    }()

    static func bytes(_ name: String) throws -> [UInt8] {
        Array(try Data(contentsOf: directory.appendingPathComponent(name)))
    }

    static func text(_ name: String) throws -> String {
        let bytes = try bytes(name)
        return try #require(String(validating: bytes, as: UTF8.self), "\(name) is not UTF-8")
    }

    static func board(_ name: String) throws -> Board {
        Board.parse(try text(name))
    }
}

/// A line as bytes: its content and its ending, compared exactly (never as `String`s, which
/// compare canonically equivalent text as equal).
struct RawLine: Equatable, CustomStringConvertible {
    var content: [UInt8]
    var ending: [UInt8]

    var description: String { String(decoding: content + ending, as: UTF8.self).debugDescription }

    static func split(_ text: String) -> [RawLine] {
        var lines: [RawLine] = []
        var current: [UInt8] = []
        for byte in text.utf8 {
            if byte == 0x0A {
                if current.last == 0x0D {
                    current.removeLast()
                    lines.append(RawLine(content: current, ending: [0x0D, 0x0A]))
                } else {
                    lines.append(RawLine(content: current, ending: [0x0A]))
                }
                current = []
            } else {
                current.append(byte)
            }
        }
        if !current.isEmpty { lines.append(RawLine(content: current, ending: [])) }
        return lines
    }
}

/// Expects `new` to be `old` with `old[removed]` replaced by `new[inserted]`: every other line the
/// same bytes, in the same order. When `old` had no final newline, the file's last line may gain
/// or lose its ending, as the file keeps having no final newline.
func expectOnly(old: [RawLine], removed: Range<Int>, new: [RawLine], inserted: Range<Int>,
                _ comment: Comment? = nil, sourceLocation: SourceLocation = #_sourceLocation) {
    var kept = old
    kept.removeSubrange(removed)
    var others = new
    others.removeSubrange(inserted)
    if old.last?.ending.isEmpty == true {
        #expect(new.last?.ending.isEmpty != false, "the file gained a final newline", sourceLocation: sourceLocation)
        if !kept.isEmpty { kept[kept.count - 1].ending = [] }
        if !others.isEmpty { others[others.count - 1].ending = [] }
    }
    #expect(kept == others, comment, sourceLocation: sourceLocation)
}

/// The raw lines of a board's rendering.
func rawLines(_ board: Board) -> [RawLine] {
    RawLine.split(board.render())
}
