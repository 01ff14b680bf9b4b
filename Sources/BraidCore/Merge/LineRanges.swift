import Foundation

/// A `git diff -U0` patch read into its hunks: per file, which lines of the old side a hunk
/// removes or changes and which lines of the new side it adds, with their text.
struct UnifiedPatch: Equatable, Sendable {
    struct Hunk: Equatable, Sendable {
        /// The file on each side; nil on the side where it does not exist (`/dev/null`).
        var oldPath: String?
        var newPath: String?
        /// 1-based line numbers; empty for a pure insertion (old) or a pure deletion (new).
        var oldLines: ClosedRange<Int>?
        var newLines: ClosedRange<Int>?
        var removed: [Substring] = []
        var added: [Substring] = []
    }

    private(set) var hunks: [Hunk] = []

    /// `---`/`+++` lines are file headers only between `diff --git` and the file's first `@@`:
    /// inside a hunk, a removed line `-- x` reads `--- x` and is content.
    init(_ patch: String) {
        var oldPath: String?
        var newPath: String?
        var inHeader = false
        var current: Hunk?
        func finish() {
            if let hunk = current { hunks.append(hunk) }
            current = nil
        }
        for line in patch.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("diff --git ") {
                finish()
                inHeader = true
                oldPath = nil
                newPath = nil
            } else if inHeader && line.hasPrefix("--- ") {
                oldPath = LineRanges.path(line.dropFirst(4), prefix: "a/")
            } else if inHeader && line.hasPrefix("+++ ") {
                newPath = LineRanges.path(line.dropFirst(4), prefix: "b/")
            } else if line.hasPrefix("@@ ") {
                finish()
                inHeader = false
                current = Hunk(oldPath: oldPath, newPath: newPath, oldLines: LineRanges.hunkRange(line, side: .old),
                               newLines: LineRanges.hunkRange(line, side: .new))
            } else if !inHeader, current != nil {
                if line.hasPrefix("-") { current?.removed.append(line.dropFirst()) }
                else if line.hasPrefix("+") { current?.added.append(line.dropFirst()) }
            }
        }
        finish()
    }
}

/// Line numbers per file, as sorted, merged ranges.
struct LineRanges: Equatable, Sendable {
    enum Side { case old, new }

    /// Path → ranges.
    private(set) var files: [String: [ClosedRange<Int>]] = [:]

    init(files: [String: [ClosedRange<Int>]] = [:]) {
        self.files = files.mapValues(Self.merged).filter { !$0.value.isEmpty }
    }

    /// The lines a patch's hunks touch on one side.
    init(patch: String, side: Side) {
        var files: [String: [ClosedRange<Int>]] = [:]
        for hunk in UnifiedPatch(patch).hunks {
            guard let path = side == .old ? hunk.oldPath : hunk.newPath,
                  let range = side == .old ? hunk.oldLines : hunk.newLines else { continue }
            files[path, default: []].append(range)
        }
        self.init(files: files)
    }

    func contains(_ line: Int, in path: String) -> Bool {
        files[path]?.contains { $0.contains(line) } ?? false
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
/// branch it lands on and `M` the merged result: a line `main` gained since `S` (new side of
/// `git diff -U0 -M S main`) that `M` removes or changes (old side of `git diff -U0 -M main M`) is
/// landed work the task would revert, unless its text survives in what `M` puts in its place
/// (the added lines of the same hunk contain it, as when a conflict is resolved by extending a
/// landed line rather than writing back an older copy). Blank lines carry no work and are not
/// counted.
enum RevertGuard {
    /// - Parameters:
    ///   - gained: the patch from `S` to `main`.
    ///   - merged: the patch from `main` to `M`.
    static func revertedLines(gained: String, merged: String) -> LineRanges {
        let landed = LineRanges(patch: gained, side: .new)
        guard !landed.isEmpty else { return LineRanges() }
        var reverted: [String: [ClosedRange<Int>]] = [:]
        for hunk in UnifiedPatch(merged).hunks {
            guard let path = hunk.oldPath, let lines = hunk.oldLines else { continue }
            let replacement = hunk.added.map { $0.trimmingCharacters(in: .whitespaces) }
            for (offset, number) in lines.enumerated() where landed.contains(number, in: path) {
                let text = offset < hunk.removed.count ? hunk.removed[offset].trimmingCharacters(in: .whitespaces) : ""
                guard !text.isEmpty, !replacement.contains(where: { Self.holds($0, text) }) else { continue }
                reverted[path, default: []].append(number...number)
            }
        }
        return LineRanges(files: reverted)
    }

    /// Whether `line` contains `text` as a whole: not as part of a longer word or number
    /// (`retries = 30` does not hold `retries = 3`; `x = 2 + y` holds `x = 2`).
    static func holds(_ line: String, _ text: String) -> Bool {
        func isWordCharacter(_ c: Character?) -> Bool {
            guard let c else { return false }
            return c.isLetter || c.isNumber || c == "_" || c == "."
        }
        var searchStart = line.startIndex
        while let found = line.range(of: text, range: searchStart..<line.endIndex) {
            let before = found.lowerBound > line.startIndex ? line[line.index(before: found.lowerBound)] : nil
            let after = found.upperBound < line.endIndex ? line[found.upperBound] : nil
            let startsWord = text.first.map(isWordCharacter) ?? false
            let endsWord = text.last.map(isWordCharacter) ?? false
            if !(startsWord && isWordCharacter(before)) && !(endsWord && isWordCharacter(after)) { return true }
            searchStart = line.index(after: found.lowerBound)
        }
        return false
    }
}
