import Foundation

/// `braid:secrets`: the change's added lines hold no secret that the allow list does not allow.
public enum SecretsCheck {
    public static func evaluate(diff: Data, allowList: SecretAllowList) -> CheckVerdict {
        let found = SecretScanner().scanDiff(diff)
        let (reported, allowed) = allowList.partition(found)
        var notes = allowList.problems.map { "warning: \(SecretAllowList.path) at the base: \($0)" }
        if !allowed.isEmpty { notes.append("\(allowed.count) finding\(allowed.count == 1 ? "" : "s") allowed by \(SecretAllowList.path).") }
        guard !reported.isEmpty else {
            return .pass((["No secret in the added lines."] + notes).joined(separator: "\n"))
        }
        let lines = reported.sorted { ($0.path, $0.line) < ($1.path, $1.line) }.map(\.description)
        return .fail((["The change adds \(reported.count) secret\(reported.count == 1 ? "" : "s") (rule, and the start of each):"]
                      + lines + notes
                      + ["Take each out of the change and read it from the environment or a secret store instead; a real one must be revoked. A false positive is allowed by "
                         + "a person, by adding its fingerprint to \(SecretAllowList.path) on the base branch."]).joined(separator: "\n"))
    }
}
