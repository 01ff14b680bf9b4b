/// `scheme://user:password@host`: a password written into a URL (database URLs, broker URLs, git
/// remotes), and Slack's incoming webhooks, whose URL is itself the secret.
///
/// Passwords that only stand in for one are skipped: empty, the user's name again, a variable
/// (`${DB_PASSWORD}`, `$PASS`, `%s`, `<password>`, `{password}`), a run of `x` or `*`, a common
/// development default (`password`, `postgres`, `root`…), an anonymous login (`:pserver:anoncvs@`),
/// or any password on an `example` host.
extension LineScanner {
    static let defaultPasswords: Set<String> = [
        "password", "passwd", "pass", "pwd", "secret", "admin", "root", "postgres", "mysql", "guest", "test", "user",
        "default", "changeme", "letmein", "redis", "rabbitmq", "mongo", "mongodb", "docker", "dev", "development", "local",
    ]

    func url(scheme: Range<Int>, line: Range<Int>, _ matches: inout [SecretMatch]) {
        let end = line.upperBound
        let authority = scheme.upperBound + 3
        if starts(authority, end, "hooks.slack.com/services/") {
            slackWebhook(at: authority, end: end, &matches)
            return
        }
        // `mongodb+srv`, `git+ssh`, `svn+ssh`: the scheme reaches back over `+` and `.`.
        var schemeStart = scheme.lowerBound
        while schemeStart > line.lowerBound && (bytes[schemeStart - 1] == UInt8(ascii: "+") || bytes[schemeStart - 1] == UInt8(ascii: ".")
                                                || isWord(schemeStart - 1)) { schemeStart -= 1 }
        guard isLetter(bytes[schemeStart]), scheme.upperBound - schemeStart <= 32 else { return }
        var colon = -1
        var at = -1
        var j = authority
        while j < end && !endsAuthority(bytes[j]) {
            if bytes[j] == UInt8(ascii: "@") { at = j }
            if bytes[j] == UInt8(ascii: ":") && colon < 0 && at < 0 { colon = j }
            j += 1
        }
        guard at > 0, colon >= authority, colon < at else { return }
        let user = authority..<colon
        let password = colon + 1..<at
        var hostEnd = at + 1
        while hostEnd < j && bytes[hostEnd] != UInt8(ascii: ":") { hostEnd += 1 }
        let host = at + 1..<hostEnd
        guard password.count >= 6, !host.isEmpty, !isStandIn(password, user: user), !Placeholder.contains(bytes, host) else { return }
        matches.append(SecretMatch(rule: .urlPassword, secret: password,
                                   lead: text(schemeStart..<colon + 1), trail: "@" + text(host)))
    }

    private func slackWebhook(at authority: Int, end: Int, _ matches: inout [SecretMatch]) {
        let path = authority + "hooks.slack.com/services/".utf8.count
        var j = path
        while j < end && (isWord(j) || bytes[j] == UInt8(ascii: "/")) { j += 1 }
        guard j - path >= 20, plausible(path..<j) else { return }
        matches.append(SecretMatch(rule: .slackWebhook, secret: path..<j, lead: text(authority..<path)))
    }

    private func isLetter(_ b: UInt8) -> Bool { (b | 0x20) >= UInt8(ascii: "a") && (b | 0x20) <= UInt8(ascii: "z") }

    /// Where a URL's authority (`user:password@host:port`) ends.
    private func endsAuthority(_ b: UInt8) -> Bool {
        switch b {
        case UInt8(ascii: "/"), UInt8(ascii: "?"), UInt8(ascii: "#"), UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\""),
             UInt8(ascii: "'"), UInt8(ascii: "`"), UInt8(ascii: "<"), UInt8(ascii: ">"), UInt8(ascii: "\\"), UInt8(ascii: ","),
             UInt8(ascii: ")"), UInt8(ascii: "("), UInt8(ascii: "]"), UInt8(ascii: "["):
            return true
        default:
            return false
        }
    }

    private func isStandIn(_ password: Range<Int>, user: Range<Int>) -> Bool {
        let first = bytes[password.lowerBound]
        if first == UInt8(ascii: "{") || first == UInt8(ascii: "*") { return true }
        let word = text(password).lowercased()
        if word == text(user).lowercased() || Self.defaultPasswords.contains(word) { return true }
        if word.contains("password") || word.contains("passwd") || word.contains("anon") { return true }
        return Placeholder.contains(bytes, password)
    }
}
