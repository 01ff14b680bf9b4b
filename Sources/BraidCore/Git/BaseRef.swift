/// The commit a task's branch starts from, and where it came from.
public struct BaseRef: Sendable, Hashable, Codable {
    /// What a person would call it: `origin/main` after a fetch, `main` offline.
    public let name: String
    /// The full ref that was read (`refs/remotes/origin/main`, `refs/heads/main`).
    public let ref: String
    /// The commit id, in full.
    public let commit: String
    /// The remote fetched from, or tried; nil for a repository without remotes.
    public let remote: String?
    /// True when `commit` is what the remote has now; false offline and when the fetch failed.
    public let fetched: Bool
    /// Why the base may be stale (the fetch failed), for the user; nil when it is not.
    public let warning: String?

    public init(name: String, ref: String, commit: String, remote: String?, fetched: Bool, warning: String?) {
        self.name = name
        self.ref = ref
        self.commit = commit
        self.remote = remote
        self.fetched = fetched
        self.warning = warning
    }
}
