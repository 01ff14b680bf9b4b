/// Whether a commit subject follows Conventional Commits (conventionalcommits.org): a type, an
/// optional `(scope)`, an optional `!`, then `: ` and a description — `feat: add x`,
/// `fix(parser)!: reject y`.
///
/// The type is one of the usual ones (`feat`, `fix`, `docs`, `style`, `refactor`, `perf`, `test`,
/// `build`, `ci`, `chore`, `revert`, and `deps`), any case: the specification allows other nouns,
/// but accepting any word would make "Update: things" conventional.
public enum ConventionalCommit {
    public static let types: Set<String> = ["feat", "fix", "docs", "style", "refactor", "perf", "test", "tests", "build", "ci",
                                            "chore", "revert", "deps"]

    public static func isConventional(_ subject: String) -> Bool {
        var rest = Substring(subject)
        let type = rest.prefix { $0.isLetter }
        guard types.contains(type.lowercased()) else { return false }
        rest = rest.dropFirst(type.count)
        if rest.hasPrefix("(") {
            guard let close = rest.firstIndex(of: ")") else { return false }
            let scope = rest[rest.index(after: rest.startIndex)..<close]
            guard !scope.isEmpty, !scope.contains("("), !scope.contains(where: \.isNewline) else { return false }
            rest = rest[rest.index(after: close)...]
        }
        if rest.hasPrefix("!") { rest = rest.dropFirst() }
        guard rest.hasPrefix(": ") else { return false }
        return !rest.dropFirst(2).trimmingPrefix(while: \.isWhitespace).isEmpty
    }
}

private extension Substring {
    func trimmingPrefix(while predicate: (Character) -> Bool) -> Substring {
        drop(while: predicate)
    }
}
