/// What kind of secret a finding is. The raw value is the rule's id: what the scanner prints and
/// what an allow-list line names (`jwt:Tests/Fixtures/**`).
public enum SecretRule: String, Sendable, Hashable, CaseIterable, Codable {
    case privateKey = "private-key"
    case awsAccessKey = "aws-access-key"
    case awsSecretKey = "aws-secret-key"
    case githubToken = "github-token"
    case gitlabToken = "gitlab-token"
    case slackToken = "slack-token"
    case slackWebhook = "slack-webhook"
    case stripeKey = "stripe-key"
    case openAIKey = "openai-key"
    case anthropicKey = "anthropic-key"
    case googleAPIKey = "google-api-key"
    case googleOAuthSecret = "google-oauth-secret"
    case jwt = "jwt"
    case urlPassword = "url-password"
    case npmToken = "npm-token"
    /// A high-entropy value given to a name like `password`, `secret` or `api_key`.
    case assignedSecret = "assigned-secret"

    /// One line for people: what the rule looks for.
    public var summary: String {
        switch self {
        case .privateKey: return "a PEM or OpenSSH private key block (RSA, EC, DSA, encrypted, PGP…) followed by key material"
        case .awsAccessKey: return "an AWS access key id (AKIA…, ASIA…: 4 letters and 16 upper-case letters or digits)"
        case .awsSecretKey: return "40 base64 characters assigned to an aws…secret… name"
        case .githubToken: return "a GitHub token (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_)"
        case .gitlabToken: return "a GitLab personal access token (glpat-)"
        case .slackToken: return "a Slack token (xoxb-, xoxp-, xoxa-, xoxr-, xoxs-, xoxe-)"
        case .slackWebhook: return "a Slack incoming webhook (hooks.slack.com/services/…)"
        case .stripeKey: return "a Stripe secret or restricted key (sk_live_, rk_live_, sk_test_, rk_test_)"
        case .openAIKey: return "an OpenAI API key (sk-…, sk-proj-…, sk-svcacct-…, sk-admin-…)"
        case .anthropicKey: return "an Anthropic API key (sk-ant-…)"
        case .googleAPIKey: return "a Google API key (AIza and 35 characters)"
        case .googleOAuthSecret: return "a Google OAuth client secret (GOCSPX-)"
        case .jwt: return "a JSON Web Token (three base64url parts, header and payload starting eyJ)"
        case .urlPassword: return "a URL with a password in it (scheme://user:password@host)"
        case .npmToken: return "an npm access token (npm_ and 36 characters)"
        case .assignedSecret: return "a high-entropy value (16+ characters) assigned to a name like password, secret, token or api_key"
        }
    }
}
