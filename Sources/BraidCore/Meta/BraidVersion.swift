/// Braid's own identity, reported by `initialize`, `braid/version` and `braid --version`.
public enum BraidVersion {
    public static let name = "braid"
    /// Bumped with each release; the CHANGELOG's newest heading names the same version.
    public static let current = "0.1.0"
    /// The version of the JSON-RPC protocol in `Protocol/`, which clients may check before relying on a method.
    public static let protocolVersion = "0.1"
}
