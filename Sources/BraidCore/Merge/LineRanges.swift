/// The lines a `-U0` patch touches, per file: for each file, on its old side (lines removed or
/// changed) or its new side (lines added or changed), as sorted ranges of 1-based line numbers.
struct LineRanges: Equatable, Sendable {
    enum Side { case old, new }

    /// Path (on the side read) → ranges, in patch order.
    private(set) var files: [String: [ClosedRange<Int>]] = [:]

    init(files: [String: [ClosedRange<Int>]] = [:]) { self.files = files }

    /// Reads a `git diff -U0` patch. Paths come from the `---`/`+++` lines (so a rename is read
    /// under the name of the side asked for); a side that is `/dev/null` has no lines.
    init(patch: String, side: Side) {
        var path: String?
        for line in patch.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("--- ") {
                if side == .old { path = Self.path(line.dropFirst(4), prefix: "a/") }
            } else if line.hasPrefix("+++ ") {
                if side == .new { path = Self.path(line.dropFirst(4), prefix: "b/") }
            } else if line.hasPrefix("diff --git ") {
                path = nil
            } else if line.hasPrefix("@@ "), let path, let range = Self.hunkRange(line, side: side) {
                files[path, default: []].append(range)
            }
        }
    }

    /// Lines on both: for each file, the overlaps of their ranges, merged and sorted.
    func intersection(_ other: LineRanges) -> LineRanges {
        var result: [String: [ClosedRange<Int>]] = [:]
        for (path, mine) in files {
            guard let theirs = other.files[path] else { continue }
            var overlaps: [ClosedRange<Int>] = []
            for a in mine {
                for b in theirs where a.overlaps(b) {
                    overlaps.append(max(a.lowerBound, b.lowerBound)...min(a.upperBound, b.upperBound))
                }
            }
            if !overlaps.isEmpty { result[path] = Self.merged(overlaps) }
        }
        return LineRanges(files: result)
    }

    var isEmpty: Bool { files.isEmpty }

    /// "a.swift lines 3-5, 9; b.txt line 2", files sorted.
    var summary: String {
        files.keys.sorted().map { path in
            let ranges = files[path] ?? []
            let lines = ranges.map { $0.count == 1 ? "\($0.lowerBound)" : "\($0.lowerBound)-\($0.upperBound)" }
            return "\(path) line\(ranges.count == 1 && ranges[0].count == 1 ? "" : "s") \(lines.joined(separator: ", "))"
        }.joined(separator: "; ")
    }

    /// `@@ -a,b +c,d @@`: the range of the side asked for; nil when that side has no lines
    /// (a count of 0: a pure insertion seen from the old side, a pure deletion from the new).
    static func hunkRange(_ line: Substring, side: Side) -> ClosedRange<Int>? {
        let parts = line.split(separator: " ")
        guard parts.count >= 3 else { return nil }
        let field = side == .old ? parts[1] : parts[2]
        guard field.first == (side == .old ? "-" : "+") else { return nil }
        let numbers = field.dropFirst().split(separator: ",", maxSplits: 1)
        guard let start = numbers.first.flatMap({ Int($0) }) else { return nil }
        let count = numbers.count > 1 ? Int(numbers[1]) ?? 0 : 1
        guard count > 0, start > 0 else { return nil }
        return start...(start + count - 1)
    }

    /// A patch path, unquoted when git quoted it, without its `a/` or `b/`; nil for `/dev/null`.
    static func path(_ raw: Substring, prefix: String) -> String? {
        var text = String(raw)
        if let tab = text.firstIndex(of: "\t") { text = String(text[..<tab]) }
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = unquote(String(text.dropFirst().dropLast())) }
        guard text != "/dev/null" else { return nil }
        return text.hasPrefix(prefix) ? String(text.dropFirst(prefix.count)) : text
    }

    /// git's C-style quoting of unusual paths (`\t`, `\"`, `\\`, octal bytes).
    static func unquote(_ text: String) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            guard byte == UInt8(ascii: "\\"), let next = iterator.next() else {
                bytes.append(byte)
                continue
            }
            switch next {
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): bytes.append(next)
            case UInt8(ascii: "0")...UInt8(ascii: "7"):
                var value = Int(next - UInt8(ascii: "0"))
                for _ in 0..<2 {
                    guard let digit = iterator.next() else { break }
                    value = value * 8 + Int(digit - UInt8(ascii: "0"))
                }
                bytes.append(UInt8(truncatingIfNeeded: value))
            default: bytes.append(next)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func merged(_ ranges: [ClosedRange<Int>]) -> [ClosedRange<Int>] {
        var result: [ClosedRange<Int>] = []
        for range in ranges.sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound + 1 {
                result[result.count - 1] = last.lowerBound...max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}

/// The stale-base revert guard. With `S` the commit a task's worktree started from, `main` the
/// branch it lands on and `M` the merged result: the lines of `main` that `M` removes or changes
/// (old side of `git diff -U0 -M main M`) that are also lines `main` gained since `S` (new side of
/// `git diff -U0 -M S main`) are landed work the task would revert.
enum RevertGuard {
    /// - Parameters:
    ///   - gained: the patch from `S` to `main`.
    ///   - merged: the patch from `main` to `M`.
    static func revertedLines(gained: String, merged: String) -> LineRanges {
        LineRanges(patch: merged, side: .old).intersection(LineRanges(patch: gained, side: .new))
    }
}
