import Foundation

/// The end of a program's output, bounded so that it fits a journal entry and an agent's prompt.
/// It starts at a line boundary when anything before it was left out.
public struct OutputTail: Sendable, Hashable, Codable {
    /// 8 KiB: enough for a compiler error or a failing test's report.
    public static let defaultLimit = 8 * 1024

    public let text: String
    /// Bytes of output before `text` that were left out.
    public let droppedBytes: Int

    public init(text: String, droppedBytes: Int) {
        self.text = text
        self.droppedBytes = droppedBytes
    }

    /// The last `limit` bytes of `output`, moved up to the next line start when anything is cut;
    /// `droppedBefore` counts output already left out ahead of `output`.
    public init(output: Data, droppedBefore: Int = 0, limit: Int = OutputTail.defaultLimit) {
        var kept = output.suffix(max(limit, 0))
        if droppedBefore > 0 || kept.count < output.count {
            if let newline = kept.firstIndex(of: UInt8(ascii: "\n")), newline < kept.index(before: kept.endIndex) {
                kept = kept[kept.index(after: newline)...]
            } else {
                // One long line: at least do not start inside a UTF-8 character.
                kept = kept.drop { $0 & 0xC0 == 0x80 }
            }
        }
        text = String(decoding: kept, as: UTF8.self)
        droppedBytes = droppedBefore + output.count - kept.count
    }
}
