import Testing
@testable import BraidCore
import JSON

/// The risk of a diff: each rule adds its points and says why; the path classifiers behind them.
@Suite struct RiskScoreTests {
    static func change(_ path: String, _ added: Int = 1, _ deleted: Int = 0, binary: Bool = false) -> FileChange {
        FileChange(path: path, added: added, deleted: deleted, isBinary: binary)
    }

    /// Every path still exists unless named.
    static func assess(_ files: [FileChange], gone: Set<String> = []) -> RiskScore {
        RiskScore.assess(files) { !gone.contains($0) }
    }

    @Test func aTinyChangeIsLowWithNoReasons() {
        let risk = Self.assess([Self.change("Sources/App/Greeting.swift", 3, 1)])
        #expect(risk.score == 0)
        #expect(risk.level == .low)
        #expect(risk.reasons.isEmpty)
        #expect(Self.assess([]).score == 0)
    }

    @Test func theSizeOfTheChangeRaisesItInSteps() {
        func lines(_ n: Int) -> RiskScore { Self.assess([Self.change("a.swift", n, 0)]) }
        #expect(lines(49).score == 0)
        #expect(lines(50).score == 10 && lines(50).reasons == ["50 lines changed"])
        #expect(lines(199).score == 10)
        #expect(lines(200).score == 20 && lines(200).reasons == ["200 lines changed"])
        #expect(lines(500).score == 30 && lines(500).reasons == ["500 lines changed"])
        // Added and deleted lines both count, across files.
        let spread = Self.assess([Self.change("a.swift", 20, 10), Self.change("b.swift", 10, 20)])
        #expect(spread.reasons == ["60 lines changed"])
    }

    @Test func theNumberOfFilesRaisesIt() {
        func files(_ n: Int) -> RiskScore { Self.assess((0..<n).map { Self.change("src/f\($0).c") }) }
        #expect(files(4).score == 0)
        #expect(files(5).score == 5 && files(5).reasons == ["5 files touched"])
        #expect(files(10).score == 10 && files(10).reasons == ["10 files touched"])
        #expect(files(20).score == 15 && files(20).reasons == ["20 files touched"])
    }

    @Test func eachKindOfPathAddsItsPointsAndNamesThePath() {
        let cases: [(FileChange, Int, String)] = [
            (Self.change("db/migrate/20240101_add_users.rb"), 20, "migrations: db/migrate/20240101_add_users.rb"),
            (Self.change("server/migrations/0002_index.py"), 20, "migrations: server/migrations/0002_index.py"),
            (Self.change("schema/init.sql"), 20, "migrations: schema/init.sql"),
            (Self.change("Package.resolved"), 10, "lockfiles: Package.resolved"),
            (Self.change("web/package-lock.json"), 10, "lockfiles: web/package-lock.json"),
            (Self.change(".github/workflows/ci.yml"), 15, "CI configuration: .github/workflows/ci.yml"),
            (Self.change(".gitlab-ci.yml"), 15, "CI configuration: .gitlab-ci.yml"),
            (Self.change("Sources/Auth/Keys.swift"), 15, "security-sensitive paths: Sources/Auth/Keys.swift"),
            (Self.change("app/models/user_password.rb"), 15, "security-sensitive paths: app/models/user_password.rb"),
            (Self.change(".env.production"), 15, "security-sensitive paths: .env.production"),
            (Self.change("assets/logo.png", 0, 0, binary: true), 5, "binary files: assets/logo.png"),
        ]
        for (file, points, reason) in cases {
            let risk = Self.assess([file])
            #expect(risk.score == points, "\(file.path): \(risk)")
            #expect(risk.reasons == [reason], "\(file.path)")
        }
    }

    @Test func aDeletedTestFileCounts() {
        let deleted = Self.change("Tests/ParserTests.swift", 0, 40)
        let risk = Self.assess([deleted], gone: ["Tests/ParserTests.swift"])
        #expect(risk.score == 20)
        #expect(risk.reasons == ["tests deleted: Tests/ParserTests.swift"])
        // Emptied but still there: its removed lines count, less.
        let emptied = Self.assess([deleted])
        #expect(emptied.score == 10)
        #expect(emptied.reasons == ["test lines removed (40 removed, 0 added)"])
        // Tests rewritten at about the same length are no risk.
        #expect(Self.assess([Self.change("Tests/ParserTests.swift", 10, 14)]).score == 0)
        // A deleted file that is not a test is not "tests deleted".
        #expect(Self.assess([Self.change("Sources/Parser.swift", 0, 40)], gone: ["Sources/Parser.swift"]).score == 0)
    }

    @Test func aBigChangeTouchingMigrationsLockfilesAndCIIsHigh() {
        var files = [
            Self.change("db/migrate/20240101_add_users.rb", 80, 0),
            Self.change("Gemfile.lock", 40, 12),
            Self.change(".github/workflows/deploy.yml", 10, 2),
        ]
        files += (0..<22).map { Self.change("app/services/service\($0).rb", 25, 5) }
        let risk = Self.assess(files)
        // 30 (size) + 15 (files) + 20 (migrations) + 10 (lockfiles) + 15 (CI)
        #expect(risk.score == 90)
        #expect(risk.level == .high)
        #expect(risk.reasons == ["804 lines changed", "25 files touched", "migrations: db/migrate/20240101_add_users.rb",
                                 "lockfiles: Gemfile.lock", "CI configuration: .github/workflows/deploy.yml"])
        // Never more than 100.
        let worse = Self.assess(files + [Self.change("Sources/Auth/Token.swift"), Self.change("Tests/AuthTests.swift", 0, 10)],
                                gone: ["Tests/AuthTests.swift"])
        #expect(worse.score == 100)
        #expect(worse.reasons.count == 7)
    }

    @Test func longListsOfPathsAreShortened() {
        let locks = ["a/yarn.lock", "b/yarn.lock", "c/yarn.lock", "d/yarn.lock", "e/yarn.lock"].map { Self.change($0) }
        let risk = Self.assess(locks)
        #expect(risk.reasons.contains("lockfiles: a/yarn.lock, b/yarn.lock, c/yarn.lock and 2 more"), "\(risk.reasons)")
    }

    @Test func levelsAndJSON() throws {
        #expect(RiskScore(score: 24, reasons: []).level == .low)
        #expect(RiskScore(score: 25, reasons: []).level == .medium)
        #expect(RiskScore(score: 49, reasons: []).level == .medium)
        #expect(RiskScore(score: 50, reasons: []).level == .high)
        let risk = RiskScore(score: 35, reasons: ["lockfiles: Cargo.lock", "60 lines changed"])
        #expect(risk.json["level"] == "medium")
        #expect(RiskScore(json: risk.json) == risk)
    }

    // MARK: The path classifiers

    @Test func ordinaryCodeIsNotSecuritySensitive() {
        for path in ["README.md", "docs/AUTHORS.md", "Sources/Lexer/Tokenizer.swift", "lib/oracle_client.py", "src/ui/Spectacle.tsx",
                     "src/obstacles/Course.java", "Sources/App/Greeting.swift", "src/parser.c", "pkg/cache/lru.go",
                     "app/models/author.rb", "src/tokenize.rs", "src/miracle.js", "docs/tactical-guide.md"] {
            #expect(!RiskScore.isSecuritySensitive(path), "\(path)")
        }
    }

    @Test func securityCodeIsSensitiveWhateverItsCase() {
        for path in ["src/auth/login.ts", "Sources/App/AuthService.swift", "app/controllers/sessions_controller.rb",
                     "lib/crypto/aes.go", "config/secrets.yml", "src/OAuth2Client.kt", "src/user-permissions.ts",
                     "internal/token/refresh.go", "pkg/credentials.go", ".env", "deploy/.env.staging", "src/UserAuthentication.java",
                     "src/JWTTokenStore.swift", "etc/sudoers.d/braid", "src/cryptography/keys.py", "Security/Keychain.swift",
                     "src/acl.c", "src/PasswordReset.tsx"] {
            #expect(RiskScore.isSecuritySensitive(path), "\(path)")
        }
    }

    @Test func testPathsAreRecognised() {
        for path in ["Tests/ParserTests.swift", "tests/test_parser.py", "src/parser_test.go", "src/parser.test.ts", "web/app.spec.js",
                     "spec/models/user_spec.rb", "src/__tests__/App.jsx", "src/test/java/ParserTest.java", "app/src/LoginTest.kt",
                     "Sources/App/ParserTest.swift"] {
            #expect(RiskScore.isTest(path), "\(path)")
        }
        for path in ["Sources/App/Parser.swift", "Sources/App/Latest.swift", "src/Contest.java", "src/attest.kt", "README.md",
                     "src/testimonials.js", "src/protest.py"] {
            #expect(!RiskScore.isTest(path), "\(path)")
        }
    }

    @Test func lockfilesAreRecognisedByName() {
        for path in ["Cargo.lock", "package-lock.json", "frontend/yarn.lock", "pnpm-lock.yaml", "go.sum", "Package.resolved", "poetry.lock",
                     "Gemfile.lock", "flake.lock", "uv.lock"] {
            #expect(RiskScore.isLockfile(path), "\(path)")
        }
        for path in ["package.json", "Cargo.toml", "src/lock.rs", "docs/yarn.lock.md", "go.mod", "Sources/Lock/Mutex.swift"] {
            #expect(!RiskScore.isLockfile(path), "\(path)")
        }
    }

    @Test func ciPathsAreRecognised() {
        for path in [".github/workflows/ci.yml", ".github/actions/setup/action.yml", ".circleci/config.yml", ".gitlab-ci.yml",
                     ".travis.yml", "Jenkinsfile", "azure-pipelines.yml", ".buildkite/pipeline.yml"] {
            #expect(RiskScore.isCI(path), "\(path)")
        }
        for path in ["ci.md", "docs/ci/setup.md", ".github/CODEOWNERS", "src/workflows/engine.ts", "scripts/build.sh"] {
            #expect(!RiskScore.isCI(path), "\(path)")
        }
    }

    @Test func migrationPathsAreRecognised() {
        for path in ["db/migrate/001_init.rb", "migrations/0001_initial.py", "db/schema.rb", "prisma/schema.prisma", "sql/seed.SQL"] {
            #expect(RiskScore.isMigration(path), "\(path)")
        }
        for path in ["Sources/App/Main.swift", "src/schema.ts", "db/connection.go"] {
            #expect(!RiskScore.isMigration(path), "\(path)")
        }
    }
}
