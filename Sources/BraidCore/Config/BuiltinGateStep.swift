/// A gate step that Braid runs itself, in-process, against the task's change rather than as a
/// program: the definition-of-done checks. A config names one with `"run": "braid:secrets"` (a
/// string, without `"shell": true`), and gives its options beside `run`.
public enum BuiltinGateStep: Sendable, Equatable {
    /// The secret scanner on the change's added lines, with the allow list committed at the base.
    case secrets
    /// The change adds a line to `file`, or (when `conventionalCommits`) its subject is a
    /// Conventional Commit.
    case changelog(file: String, conventionalCommits: Bool)
    /// A change to files a glob names also changes that glob's doc.
    case docs([DocRequirement])
    /// The change leaves these files alone unless the task mentions them.
    case conventions(files: [String])
    /// Every open acceptance checkbox of the task is reported ticked by the agent.
    case acceptance

    /// "Files matching `paths` document themselves in `doc`."
    public struct DocRequirement: Sendable, Equatable {
        public var paths: String
        public var doc: String

        public init(paths: String, doc: String) {
            self.paths = paths
            self.doc = doc
        }
    }

    public static let defaultChangelog = "CHANGELOG.md"
    /// The conventions agents work by, and Braid's own rules for them (its gate, its reviewer,
    /// its allow list): an agent that rewrote those would judge itself.
    public static let defaultConventionsFiles = ["AGENTS.md", "CLAUDE.md", ".braid/config.json", ".braid/secrets-allow"]

    /// The names a config's `run` gives, in the order the README lists them.
    public static let names = ["braid:secrets", "braid:changelog", "braid:docs", "braid:conventions", "braid:acceptance"]

    /// `braid:secrets`, …: what `run` says.
    public var name: String {
        switch self {
        case .secrets: return "braid:secrets"
        case .changelog: return "braid:changelog"
        case .docs: return "braid:docs"
        case .conventions: return "braid:conventions"
        case .acceptance: return "braid:acceptance"
        }
    }
}
