/// A `touches:` glob (`src/auth/**`, `src/ui/login.*`), and whether two globs can name a common path.
///
/// Overlap is decided exactly for the glob language Braid accepts: `**` (any number of path
/// segments), `*` (any characters within a segment), `?` (one character), and literal characters.
/// Two tasks whose globs overlap may write the same file, so they never run side by side.
public struct PathGlob: Sendable, Hashable, CustomStringConvertible {
    public let pattern: String
    private let segments: [Segment]

    private enum Segment: Hashable {
        case anySegments
        case pattern([Character])
    }

    public init(_ pattern: String) {
        self.pattern = pattern
        var trimmed = Substring(pattern)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        if trimmed.hasSuffix("/") { trimmed = trimmed + "**" }
        segments = trimmed.split(separator: "/", omittingEmptySubsequences: true).map { part in
            part == "**" ? .anySegments : .pattern(Array(part))
        }
    }

    public var description: String { pattern }

    /// True when some path matches both globs.
    public func overlaps(_ other: PathGlob) -> Bool {
        Self.intersect(segments[...], other.segments[...], isStar: { $0 == .anySegments }, compatible: Self.segmentsOverlap)
    }

    /// Whether `path` (from the repository's top, `/`-separated) is matched: the glob names it, or
    /// one of the folders it is in (`Sources/api` and `Sources/api/` both cover
    /// `Sources/api/v1/x.swift`). A glob of one name without `/` matches that name at any depth,
    /// as in `.gitignore` (`*.pem`, `AGENTS.md`).
    public func matches(_ path: String) -> Bool {
        var trimmed = Substring(path)
        while trimmed.hasPrefix("./") { trimmed = trimmed.dropFirst(2) }
        let parts = trimmed.split(separator: "/", omittingEmptySubsequences: true).map { Array($0) }
        let pattern = segments.count == 1 && !self.pattern.contains("/") ? [.anySegments] + segments : segments
        return (1...max(parts.count, 1)).contains { Self.match(pattern[...], parts.prefix($0)) }
    }

    private static func match(_ pattern: ArraySlice<Segment>, _ parts: ArraySlice<[Character]>) -> Bool {
        guard let first = pattern.first else { return parts.isEmpty }
        switch first {
        case .anySegments:
            return (0...parts.count).contains { match(pattern.dropFirst(), parts.dropFirst($0)) }
        case .pattern(let characters):
            guard let part = parts.first, matchSegment(characters[...], part[...]) else { return false }
            return match(pattern.dropFirst(), parts.dropFirst())
        }
    }

    /// `*` (any run) and `?` (one character) within one name.
    private static func matchSegment(_ pattern: ArraySlice<Character>, _ name: ArraySlice<Character>) -> Bool {
        guard let first = pattern.first else { return name.isEmpty }
        if first == "*" { return (0...name.count).contains { matchSegment(pattern.dropFirst(), name.dropFirst($0)) } }
        guard let c = name.first, first == "?" || first == c else { return false }
        return matchSegment(pattern.dropFirst(), name.dropFirst())
    }

    private static func segmentsOverlap(_ a: Segment, _ b: Segment) -> Bool {
        guard case .pattern(let x) = a, case .pattern(let y) = b else { return true }
        return intersect(x[...], y[...], isStar: { (c: Character) -> Bool in c == "*" }, compatible: charactersOverlap)
    }

    private static func charactersOverlap(_ c: Character, _ d: Character) -> Bool {
        c == d || c == "?" || d == "?"
    }

    /// Whether two sequences over an alphabet with a "star" element (matching any run of
    /// elements) and element patterns (compatible when `compatible` says so) share a word.
    private static func intersect<E: Hashable>(_ a: ArraySlice<E>, _ b: ArraySlice<E>, isStar: (E) -> Bool,
                                               compatible: (E, E) -> Bool) -> Bool {
        var memo: [Int: Bool] = [:]
        func go(_ i: Int, _ j: Int) -> Bool {
            let key = i * (b.count + 1) + j
            if let known = memo[key] { return known }
            let result: Bool
            let ai = a.startIndex + i, bj = b.startIndex + j
            if i == a.count && j == b.count {
                result = true
            } else if i < a.count && isStar(a[ai]) {
                // The star matches nothing, or swallows one element of the other side.
                result = go(i + 1, j) || (j < b.count && go(i, j + 1))
            } else if j < b.count && isStar(b[bj]) {
                result = go(i, j + 1) || (i < a.count && go(i + 1, j))
            } else if i < a.count && j < b.count {
                result = compatible(a[ai], b[bj]) && go(i + 1, j + 1)
            } else {
                result = false
            }
            memo[key] = result
            return result
        }
        return go(0, 0)
    }
}
