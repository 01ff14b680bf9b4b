/// A secret found in a buffer, before the scan gives it a file and a line number.
struct SecretMatch {
    let rule: SecretRule
    /// Where the secret itself lies in the buffer: what is redacted and fingerprinted.
    let secret: Range<Int>
    /// Shown before the redacted secret (`DB_PASSWORD = `, `postgres://admin:`).
    var lead: String = ""
    /// Shown after it (`@db.internal`).
    var trail: String = ""
}
