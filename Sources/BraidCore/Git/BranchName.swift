import Foundation

/// The branch and worktree folder of one task: `braid/<id>-<slug>` in `<root>/<id>-<slug>`,
/// with `-2`, `-3`… appended when that name is taken.
///
/// The slug is made, not escaped: only `a`–`z`, `0`–`9` and single inner `-` survive, so whatever
/// the title holds (shell syntax, `..`, `@{`, a newline, 5,000 characters, only emoji) the name is
/// a valid branch, a plain folder name, and cannot be read as an option.
public struct BranchName: Sendable, Hashable, CustomStringConvertible {
    public static let prefix = "braid/"
    /// Longest slug kept from a title, so names stay readable in `git branch` and paths stay short.
    public static let maxSlugLength = 40
    /// The slug of a title with nothing usable in it.
    public static let fallbackSlug = "task"

    public let taskID: Int
    public let slug: String
    /// nil for the first choice, 2, 3… after it.
    public let suffix: Int?

    /// - Throws: `GitError.invalidTaskID` for a negative id, which would give a name starting `-`.
    public init(taskID: Int, title: String) throws(GitError) {
        guard taskID >= 0 else { throw .invalidTaskID(taskID) }
        self.init(taskID: taskID, slug: Self.slug(from: title), suffix: nil)
    }

    private init(taskID: Int, slug: String, suffix: Int?) {
        self.taskID = taskID
        self.slug = slug
        self.suffix = suffix
    }

    /// The same name with `-<n>` appended (n ≥ 2), for when the plain one is taken.
    public func numbered(_ n: Int) -> BranchName {
        BranchName(taskID: taskID, slug: slug, suffix: n >= 2 ? n : nil)
    }

    /// `<id>-<slug>[-n]`: the worktree folder's name and the branch's last component.
    public var folderName: String {
        "\(taskID)-\(slug)" + (suffix.map { "-\($0)" } ?? "")
    }

    /// `braid/<id>-<slug>[-n]`.
    public var name: String { Self.prefix + folderName }

    /// `refs/heads/braid/<id>-<slug>[-n]`.
    public var fullRef: String { "refs/heads/" + name }

    public var description: String { name }

    /// Lowercase ASCII letters and digits of `title`, every other run of characters turned into one
    /// `-`, trimmed of `-`, at most `maxLength` long, `fallbackSlug` when nothing is left. Accented
    /// Latin letters keep their base letter (`Café` → `cafe`). Work is bounded by `maxLength`, not
    /// by the title, except for titles with no usable character at all.
    public static func slug(from title: String, maxLength: Int = maxSlugLength) -> String {
        var slug = ""
        var pendingDash = false
        outer: for character in title {
            let scalars = character.isASCII
                ? Array(character.unicodeScalars)
                : Array(String(character).decomposedStringWithCanonicalMapping.unicodeScalars)
            // Only a character's base scalar counts: `é` decomposes to `e` + a combining accent.
            guard let scalar = scalars.first else { continue }
            let value = scalar.value
            let ascii: UInt32? = switch value {
            case 0x61...0x7A, 0x30...0x39: value
            case 0x41...0x5A: value + 0x20
            default: nil
            }
            guard let ascii, let kept = Unicode.Scalar(ascii) else {
                pendingDash = !slug.isEmpty
                continue
            }
            if pendingDash {
                if slug.unicodeScalars.count + 1 >= maxLength { break outer }
                slug.unicodeScalars.append("-")
                pendingDash = false
            }
            slug.unicodeScalars.append(kept)
            if slug.unicodeScalars.count >= maxLength { break }
        }
        return slug.isEmpty ? fallbackSlug : slug
    }

    /// Whether git would accept `name` as a branch name (the rules of `git check-ref-format
    /// --branch`), checked without running git: for names Braid is given rather than makes, such
    /// as the configured base branch.
    public static func isValid(_ name: String) -> Bool {
        guard !name.isEmpty, !name.hasPrefix("-"), name != "HEAD",
              !name.hasPrefix("/"), !name.hasSuffix("/"), !name.hasSuffix("."),
              !name.contains(".."), !name.contains("//"), !name.contains("@{")
        else { return false }
        for scalar in name.unicodeScalars {
            if scalar.value < 0x20 || scalar.value == 0x7F { return false }
            if " ~^:?*[\\".unicodeScalars.contains(scalar) { return false }
        }
        for component in name.split(separator: "/", omittingEmptySubsequences: false) {
            if component.isEmpty || component.hasPrefix(".") || component.hasSuffix(".lock") { return false }
        }
        return true
    }
}
