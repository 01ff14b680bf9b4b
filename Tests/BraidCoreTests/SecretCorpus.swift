import Testing
@testable import BraidCore

/// Fake secrets in the real formats, and ordinary code that must not look like one.
///
/// Every secret is built when the tests run, from fragments and a seeded generator: no file of
/// this repository holds a secret-shaped string, so that GitHub's push protection stays quiet and
/// the scanner's own no-false-positive test (which scans this file) proves something.
struct FakeSecret: Sendable, CustomTestStringConvertible {
    let name: String
    let rule: SecretRule
    /// The text to scan: one line, or a few for a key block.
    let text: String
    /// The secret itself, which no output may hold in full.
    let secret: String
    /// The line the finding is on, 1-based.
    let line: Int

    var testDescription: String { name }
}

/// A small deterministic generator (SplitMix64), so that the corpus is the same on every run.
struct FakeRandom {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    static let alphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789")
    static let upperAlphanumeric = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789")
    static let base64 = alphanumeric + ["+", "/"]
    static let base64URL = alphanumeric + ["_", "-"]
    static let digits = Array("0123456789")
    static let hex = Array("0123456789abcdef")

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func string(_ count: Int, from alphabet: [Character] = alphanumeric) -> String {
        String((0..<count).map { _ in alphabet[Int(next() % UInt64(alphabet.count))] })
    }
}

enum SecretCorpus {
    static let all: [FakeSecret] = build()

    private static func build() -> [FakeSecret] {
        var r = FakeRandom(seed: 20_240_917)
        var corpus: [FakeSecret] = []
        func add(_ name: String, _ rule: SecretRule, _ secret: String, line: Int = 1, _ text: (String) -> String) {
            corpus.append(FakeSecret(name: name, rule: rule, text: text(secret), secret: secret, line: line))
        }
        let upper = FakeRandom.upperAlphanumeric, b64 = FakeRandom.base64, url = FakeRandom.base64URL

        // AWS
        add("AWS access key id in an INI file", .awsAccessKey, "AK" + "IA" + r.string(16, from: upper)) { "aws_access_key_id = \($0)" }
        add("AWS temporary key id in JSON", .awsAccessKey, "AS" + "IA" + r.string(16, from: upper)) { "  \"AccessKeyId\": \"\($0)\"," }
        add("AWS secret key in an INI file", .awsSecretKey, r.string(40, from: b64)) { "aws_secret_access_key = \($0)" }
        add("AWS secret key in a dotenv file", .awsSecretKey, r.string(40, from: b64)) { "AWS_SECRET_ACCESS_KEY=\"\($0)\"" }
        // GitHub
        for kind in ["p", "o", "u", "s", "r"] {
            add("GitHub gh\(kind)_ token", .githubToken, "gh" + kind + "_" + r.string(36)) { "token: \($0)" }
        }
        add("GitHub fine-grained token", .githubToken, "github" + "_pat_" + r.string(22) + "_" + r.string(59)) { "GH_TOKEN=\($0)" }
        // GitLab
        add("GitLab personal access token", .gitlabToken, "gl" + "pat-" + r.string(20, from: url)) { "git remote set-url origin x --token \($0)" }
        // Slack
        add("Slack bot token", .slackToken, "xo" + "xb-" + r.string(12, from: FakeRandom.digits) + "-" + r.string(13, from: FakeRandom.digits) + "-" + r.string(24)) {
            "SLACK_BOT_TOKEN: '\($0)'"
        }
        add("Slack user token", .slackToken, "xo" + "xp-" + r.string(12, from: FakeRandom.digits) + "-" + r.string(12, from: FakeRandom.digits) + "-" + r.string(32, from: FakeRandom.hex)) {
            "client = WebClient(token=\"\($0)\")"
        }
        add("Slack incoming webhook", .slackWebhook, "T" + r.string(8, from: upper) + "/B" + r.string(10, from: upper) + "/" + r.string(24)) {
            "webhook_url = \"https://" + "hooks.slack.com/services/" + $0 + "\""
        }
        // Stripe
        add("Stripe live secret key", .stripeKey, "sk" + "_live_" + r.string(24)) { "Stripe.apiKey = \"\($0)\";" }
        add("Stripe restricted key", .stripeKey, "rk" + "_live_" + r.string(32)) { "STRIPE_KEY=\($0)" }
        add("Stripe test secret key", .stripeKey, "sk" + "_test_" + r.string(24)) { "stripe.api_key = '\($0)'" }
        // OpenAI
        add("OpenAI legacy key", .openAIKey, "sk" + "-" + r.string(20) + "T3Blbk" + "FJ" + r.string(20)) { "OPENAI_API_KEY=\($0)" }
        add("OpenAI project key", .openAIKey, "sk" + "-proj-" + r.string(74, from: url) + "A" + r.string(10)) { "const openai = new OpenAI({ apiKey: \"\($0)\" });" }
        // Anthropic
        add("Anthropic API key", .anthropicKey, "sk" + "-ant-api03-" + r.string(93, from: url) + "AA") { "export ANTHROPIC_API_KEY=\($0)" }
        // Google
        add("Google API key", .googleAPIKey, "AI" + "za" + r.string(35, from: url)) { "<script src=\"https://maps.googleapis.com/maps/api/js?key=\($0)\"></script>" }
        add("Google OAuth client secret", .googleOAuthSecret, "GOC" + "SPX-" + r.string(28, from: url)) { "  \"client_secret\": \"\($0)\"," }
        // Private keys
        let header = { (label: String) in "-----BEGIN " + label + " PRIVATE KEY-----" }
        let footer = { (label: String) in "-----END " + label + " PRIVATE KEY-----" }
        for label in ["RSA", "EC", "DSA", "ENCRYPTED", "OPENSSH"] {
            let first = r.string(64, from: b64)
            let text = [header(label), first, r.string(64, from: b64), r.string(24, from: b64) + "==", footer(label)].joined(separator: "\n")
            corpus.append(FakeSecret(name: "\(label) private key block", rule: .privateKey, text: text, secret: first, line: 1))
        }
        let plain = "MII" + r.string(61, from: b64)
        corpus.append(FakeSecret(name: "PKCS#8 key in a service-account JSON string", rule: .privateKey,
                                 text: "  \"private_key\": \"" + header("").replacingOccurrences(of: "  ", with: " ") + "\\n" + plain + "\\n"
                                     + r.string(40, from: b64) + "\\n" + footer("").replacingOccurrences(of: "  ", with: " ") + "\\n\",",
                                 secret: plain, line: 1))
        let legacy = r.string(64, from: b64)
        corpus.append(FakeSecret(name: "legacy encrypted PEM with headers", rule: .privateKey,
                                 text: ["# key", header("RSA"), "Proc-Type: 4,ENCRYPTED", "DEK-Info: AES-128-CBC," + r.string(32, from: FakeRandom.hex),
                                        "", legacy, footer("RSA")].joined(separator: "\n"),
                                 secret: legacy, line: 2))
        // JSON Web Tokens
        let jwtHeader = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
        add("JWT in an Authorization header", .jwt, jwtHeader + "." + "eyJ" + r.string(60, from: url) + "." + r.string(43, from: url)) {
            "curl -H \"Authorization: Bearer \($0)\" https://api.internal/v1/me"
        }
        add("JWT in JSON", .jwt, "eyJhbGciOiJSUzI1NiJ9" + "." + "eyJ" + r.string(120, from: url) + "." + r.string(86, from: url)) { "{\"id_token\": \"\($0)\"}" }
        // URLs with passwords
        add("Postgres URL with a password", .urlPassword, r.string(20)) { "DATABASE_URL=postgres://app:\($0)@db.internal:5432/app" }
        add("MongoDB SRV URL with a password", .urlPassword, r.string(16) + "%21" + r.string(4)) {
            "mongo_uri: \"mongodb+srv://admin:\($0)@cluster0.abcde.mongodb.net/prod?retryWrites=true\""
        }
        add("git remote with a token as password", .urlPassword, r.string(30)) { "url = https://deploy:\($0)@git.internal.io/team/app.git" }
        add("AMQP URL with a password", .urlPassword, r.string(12)) { "BROKER=amqp://worker:\($0)@rabbit:5672//" }
        // npm
        add("npm token in .npmrc", .npmToken, "np" + "m_" + r.string(36)) { "//registry.npmjs.org/:_authToken=\($0)" }
        // Assigned high-entropy values
        add("password in Swift", .assignedSecret, r.string(24, from: b64)) { "    let password = \"\($0)\"" }
        add("password in a dotenv file", .assignedSecret, r.string(20)) { "DB_PASSWORD=\($0)" }
        add("api_key in YAML", .assignedSecret, r.string(32, from: FakeRandom.hex)) { "  api_key: \($0)" }
        add("client secret in JSON", .assignedSecret, r.string(40, from: url)) { "{\"clientSecret\": \"\($0)\"}" }
        add("exported token in a shell script", .assignedSecret, r.string(28)) { "export SERVICE_TOKEN='\($0)'" }
        add("apiKey in JavaScript", .assignedSecret, r.string(32)) { "const apiKey = '\($0)';" }
        add("token in Go", .assignedSecret, r.string(26)) { "\ttoken := \"\($0)\"" }
        add("annotated password in Swift", .assignedSecret, r.string(18) + "!" + r.string(3)) { "    static let adminPassword: String = \"\($0)\"" }
        add("passphrase in Python", .assignedSecret, r.string(22, from: b64)) { "SIGNING_PASSPHRASE = r\"\($0)\"" }
        add("secret in a Ruby hash", .assignedSecret, r.string(30)) { "  secret_key_base: \"\($0)\"," }
        add("credentials in PHP", .assignedSecret, r.string(24)) { "$config['db_credential'] = '\($0)';" }
        return corpus
    }

    /// Code, configs and docs that hold hashes, ids, test data and placeholders, but no secret.
    static let ordinaryCode: String = {
        var r = FakeRandom(seed: 7)
        let hex = FakeRandom.hex, b64 = FakeRandom.base64
        let uuid = { (r: inout FakeRandom) in [8, 4, 4, 4, 12].map { r.string($0, from: hex) }.joined(separator: "-") }
        var lines = [
            // Hashes and ids.
            "let commit = \"\(r.string(40, from: hex))\"",
            "expected_sha = \"\(r.string(40, from: hex))\"",
            "digest: sha256:\(r.string(64, from: hex))",
            "checksum = \"\(r.string(64, from: hex))\"  # sha256 of the release tarball",
            "image: registry.example.com/app@sha256:\(r.string(64, from: hex))",
            "let id = UUID(uuidString: \"\(uuid(&r).uppercased())\")",
            "request_id = \"\(uuid(&r))\"",
            "session_token_id: \"\(uuid(&r))\"",
            "\"integrity\": \"sha512-\(r.string(86, from: b64))==\",",
            "https://github.com/braid/braid/commit/\(r.string(40, from: hex))",
            // Base64 test data, not under a secret's name.
            "let fixture = Data(base64Encoded: \"\(r.string(120, from: b64))==\")",
            "  \"data\": \"\(r.string(200, from: b64))\",",
            "<img src=\"data:image/png;base64,\(r.string(300, from: b64))\">",
            "XCTAssertEqual(encoded, \"\(r.string(48, from: b64))\")",
            // Minified and generated code.
            "!function(e,t){var n=t.createElement(\"script\");n.src=e;var r=0;for(var o=0;o<n.length;o++)r+=n.charCodeAt(o);return r}(\"a\",document);",
            "var a1b2c3d4e5f6g7h8i9j0=function(x){return x.replace(/[A-Za-z0-9_-]{20,}/g,\"\")};",
            "let aVeryLongGeneratedIdentifierNameThatGoesOnAndOn2024 = makeIt()",
            "static let shouldRejectATokenWhoseSignatureDoesNotMatchTheHeader = true",
            // Names that sound secret, with values that are not.
            "password = \"changeme\"",
            "DB_PASSWORD=changeme",
            "token = \"${GITHUB_TOKEN}\"",
            "api_key: <your-api-key>",
            "API_KEY=your-api-key-here",
            "secret: {{ .Values.secret }}",
            "let password = passwordField.text ?? \"\"",
            "let token = try await client.refreshToken(for: user2)",
            "    password = os.environ[\"DB_PASSWORD\"]",
            "secret_key = settings.SECRET_KEY_FROM_ENVIRONMENT",
            "tokenizer = AutoTokenizer.from_pretrained(\"bert-base-multilingual-cased\")",
            "max_tokens: 4096",
            "TOKEN_TYPE = \"Bearer\"",
            "secret_name = \"payments-database-password\"",
            "password_file = \"/run/secrets/db_password_v2\"",
            "let apiKeyHeader = \"X-Api-Key-Header-Name\"",
            "csrf_token: \"\(r.string(32))\"",
            "secretRef: production-database-credentials",
            "PASSWORD_RESET_PATH=/account/password/reset/confirm",
            "let secretKey = try Keychain.load(\"signing-key-2024\")",
            "password: \"\(String(repeating: "x", count: 24))\"",
            "token = \"0123456789abcdefghijklmnopqrstuv\"",
            "access_token = \"\(uuid(&r))\"",
            "if password == \"\(r.string(20))\" { fail() }",
            "let accessTokenLifetime = \"thirtyMinutesFromNowUTC\"",
            // Prefixes without a token after them.
            "let prefixes = [\"gh\" + \"p_\", \"AKIA\", \"sk-\", \"xoxb-\", \"glpat-\", \"npm_\", \"AIza\", \"GOCSPX-\"]",
            "switch token.prefix(4) { case \"ghp_\": return .github; default: return nil }",
            "if line.hasPrefix(\"-----BEGIN \" + kind + \" PRIVATE KEY-----\") { return .key }",
            "sk-button-primary-large-variant-outline-dark",
            "AK" + "IAIOSFODNN7" + "EXAMPLE",
            "aws_secret_access_key = " + "wJalrXUtnFEMI/K7MDENG" + "/bPxRfiCYEXAMPLEKEY",
            // URLs without a real password.
            "postgres://postgres:postgres@localhost:5432/dev",
            "redis://:${REDIS_PASSWORD}@cache:6379/0",
            "mysql://root:password@127.0.0.1/test",
            "https://user:secretpassword@example.com/path",
            "amqp://guest:guest@localhost:5672/",
            "git@github.com:braid/braid.git",
            "ssh://git@github.com/braid/braid.git",
            "http://[::1]:8080/health",
            "mailto:someone@example.org",
            "  cvs://:pserver:anoncvs@sources.redhat.com:/cvs/src",
            "https://hooks.slack.com/services/XXXXXXXXX/XXXXXXXXX/XXXXXXXXXXXXXXXXXXXXXXXX",
            // A JWT header on its own, and a dotted name.
            "let header = \"eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9\"",
            "import com.example.payments.tokens.TokenService;",
        ]
        // A key header named as a constant, with code (not key material) on the next line.
        lines.append("let marker = \"-----BEGIN " + "RSA PRIVATE KEY-----\"")
        lines.append("let footerMarker = marker.replacingOccurrences(of: \"BEGIN\", with: \"END\")")
        // Placeholders in token formats.
        lines.append("GITHUB_TOKEN=" + "gh" + "p_" + String(repeating: "x", count: 36))
        lines.append("OPENAI_API_KEY=" + "sk" + "-" + String(repeating: "X", count: 48))
        lines.append("stripe_key = \"" + "sk" + "_test_" + String(repeating: "0", count: 24) + "\"")
        return lines.joined(separator: "\n") + "\n"
    }()
}
