import JSON

/// How closely a person should look at a diff, from what it touches: its size, how many files,
/// and whether it changes migrations, lockfiles, CI, security-sensitive code, or deletes tests.
/// Editors order reviews by it; the reasons say why, so a person can disagree.
public struct RiskScore: Sendable, Equatable {
    public enum Level: String, Sendable { case low, medium, high }

    /// 0 (trivial) to 100.
    public let score: Int
    public let reasons: [String]

    public var level: Level { score >= 50 ? .high : score >= 25 ? .medium : .low }

    public init(score: Int, reasons: [String]) {
        self.score = score
        self.reasons = reasons
    }

    /// - Parameter exists: whether a path still exists after the change (a removed test is a risk).
    public static func assess(_ files: [FileChange], exists: (String) -> Bool) -> RiskScore {
        var score = 0
        var reasons: [String] = []
        func add(_ points: Int, _ reason: String) {
            score += points
            reasons.append(reason)
        }
        let lines = files.map { $0.added + $0.deleted }.reduce(0, +)
        switch lines {
        case ..<50: break
        case ..<200: add(10, "\(lines) lines changed")
        case ..<500: add(20, "\(lines) lines changed")
        default: add(30, "\(lines) lines changed")
        }
        switch files.count {
        case ..<5: break
        case ..<10: add(5, "\(files.count) files touched")
        case ..<20: add(10, "\(files.count) files touched")
        default: add(15, "\(files.count) files touched")
        }
        func named(_ test: (String) -> Bool) -> [String] { files.map(\.path).filter(test) }
        let migrations = named(isMigration)
        if !migrations.isEmpty { add(20, "migrations: " + list(migrations)) }
        let locks = named(isLockfile)
        if !locks.isEmpty { add(10, "lockfiles: " + list(locks)) }
        let ci = named(isCI)
        if !ci.isEmpty { add(15, "CI configuration: " + list(ci)) }
        let braid = named { $0.hasPrefix(".braid/") }
        if !braid.isEmpty { add(30, "Braid's own configuration (gate, reviewer, allow list): " + list(braid)) }
        let sensitive = named(isSecuritySensitive)
        if !sensitive.isEmpty { add(15, "security-sensitive paths: " + list(sensitive)) }
        let deletedTests = files.filter { isTest($0.path) && $0.added == 0 && $0.deleted > 0 && !exists($0.path) }.map(\.path)
        if !deletedTests.isEmpty {
            add(20, "tests deleted: " + list(deletedTests))
        } else {
            let testFiles = files.filter { isTest($0.path) }
            let removed = testFiles.map(\.deleted).reduce(0, +), added = testFiles.map(\.added).reduce(0, +)
            if removed > added + 5 { add(10, "test lines removed (\(removed) removed, \(added) added)") }
        }
        let binary = files.filter(\.isBinary).map(\.path)
        if !binary.isEmpty { add(5, "binary files: " + list(binary)) }
        return RiskScore(score: min(100, score), reasons: reasons)
    }

    public var json: JSONValue {
        .object(["score": .number(JSONNumber(score)), "level": .string(level.rawValue), "reasons": .array(reasons.map { .string($0) })])
    }

    init?(json: JSONValue) {
        guard let score = json["score"]?.intValue else { return nil }
        self.init(score: score, reasons: json["reasons"]?.arrayValue?.compactMap(\.stringValue) ?? [])
    }

    private static func list(_ paths: [String]) -> String {
        paths.count <= 3 ? paths.joined(separator: ", ") : paths.prefix(3).joined(separator: ", ") + " and \(paths.count - 3) more"
    }

    private static func components(_ path: String) -> [String] { path.lowercased().split(separator: "/").map(String.init) }

    static func isMigration(_ path: String) -> Bool {
        let lower = path.lowercased()
        return components(path).contains { $0.hasPrefix("migration") || $0 == "migrate" } || lower.hasSuffix(".sql")
            || lower.hasSuffix("schema.rb") || lower.hasSuffix("schema.prisma")
    }

    static let lockfiles: Set<String> = ["package-lock.json", "yarn.lock", "pnpm-lock.yaml", "cargo.lock", "package.resolved",
                                         "go.sum", "poetry.lock", "pipfile.lock", "gemfile.lock", "composer.lock", "uv.lock",
                                         "podfile.lock", "mix.lock", "flake.lock"]
    static func isLockfile(_ path: String) -> Bool { components(path).last.map(lockfiles.contains) ?? false }

    static func isCI(_ path: String) -> Bool {
        let lower = path.lowercased()
        return lower.hasPrefix(".github/workflows/") || lower.hasPrefix(".circleci/") || lower.hasPrefix(".ci/")
            || lower.hasPrefix(".buildkite/") || lower == ".gitlab-ci.yml" || lower == ".travis.yml" || lower == "jenkinsfile"
            || lower == "azure-pipelines.yml" || lower.hasPrefix(".github/actions/")
    }

    /// Words of a path that mark security-sensitive code. A word of the path matches one exactly or
    /// with a plural `s`; the longer ones also as the start of a word (`credentials`, `cryptography`).
    /// Whole words only: `authors`, `Tokenizer` and `oracle` are ordinary code.
    static let sensitiveWords: Set<String> = ["auth", "authn", "authz", "crypto", "security", "secret", "password", "passwd", "permission",
                                              "oauth", "token", "credential", "creds", "login", "session", "acl", "sudo", "sudoers",
                                              "keychain", "jwt", "saml", "sso", "csrf", "authentication", "authenticate",
                                              "authenticator", "authorization", "authorize", "authorizer", "encrypt", "encryption",
                                              "decrypt", "decryption"]
    static let sensitivePrefixes = ["crypto", "security", "secret", "password", "permission", "credential", "keychain"]

    static func isSecuritySensitive(_ path: String) -> Bool {
        let parts = components(path)
        if parts.last == ".env" || parts.last?.hasPrefix(".env.") == true { return true }
        return words(path).contains { word in
            sensitiveWords.contains(word) || (word.hasSuffix("s") && sensitiveWords.contains(String(word.dropLast())))
                || sensitivePrefixes.contains { word.hasPrefix($0) }
        }
    }

    /// The words of a path, lowercased: split at anything not a letter or digit, between letters
    /// and digits, and at camel-case humps (`JWTTokenStore` is jwt, token, store).
    static func words(_ path: String) -> [String] {
        var words: [String] = []
        var current: [Character] = []
        func flush() {
            if !current.isEmpty { words.append(String(current).lowercased()) }
            current = []
        }
        let characters = Array(path)
        for (index, character) in characters.enumerated() {
            guard character.isLetter || character.isNumber else {
                flush()
                continue
            }
            if let previous = current.last {
                let next = index + 1 < characters.count ? characters[index + 1] : nil
                let hump = (previous.isLowercase && character.isUppercase)
                    || (previous.isUppercase && character.isUppercase && next?.isLowercase == true)
                if hump || previous.isNumber != character.isNumber { flush() }
            }
            current.append(character)
        }
        flush()
        return words
    }

    static func isTest(_ path: String) -> Bool {
        let parts = components(path)
        let name = parts.last ?? ""
        let original = path.split(separator: "/").last.map(String.init) ?? ""
        return parts.dropLast().contains { ["test", "tests", "spec", "specs", "__tests__", "testing"].contains($0) }
            || name.hasPrefix("test_") || name.contains("_test.") || name.contains(".test.") || name.contains(".spec.")
            || testClassSuffixes.contains { original.hasSuffix($0) }
    }

    /// `ParserTests.swift`, `ParserTest.java`: a capital T, so that `Latest.swift` is not a test.
    static let testClassSuffixes = ["Test.swift", "Tests.swift", "Test.java", "Tests.java", "Test.kt", "Tests.kt"]
}
