/// Fills in the placeholders of an argv template: `{prompt}`, `{prompt_file}`, `{worktree}`,
/// `{task_id}`, and for the script agent `{script_file}`.
///
/// Each element is filled in on its own and in one pass: a value is never split into several
/// arguments, never joined into a shell line, and never searched for placeholders itself (a prompt
/// that says `{worktree}` stays as written). Braces that name no placeholder are kept as they are,
/// so arguments such as `{"a":1}` pass through.
public enum ArgumentTemplate {
    public static let prompt = "prompt"
    public static let promptFile = "prompt_file"
    public static let worktree = "worktree"
    public static let taskID = "task_id"
    public static let scriptFile = "script_file"

    /// `element` with each `{name}` whose name is a key of `values` replaced by its value.
    public static func fill(_ element: String, with values: [String: String]) -> String {
        let scalars = element.unicodeScalars
        var out = String.UnicodeScalarView()
        var i = scalars.startIndex
        while i < scalars.endIndex {
            if scalars[i] == "{", let close = scalars[i...].firstIndex(of: "}") {
                let name = String(scalars[scalars.index(after: i)..<close])
                if let value = values[name] {
                    out.append(contentsOf: value.unicodeScalars)
                    i = scalars.index(after: close)
                    continue
                }
            }
            out.append(scalars[i])
            i = scalars.index(after: i)
        }
        return String(out)
    }

    /// Whether any element mentions `{name}`.
    public static func uses(_ name: String, in elements: [String]) -> Bool {
        elements.contains { $0.contains("{\(name)}") }
    }
}
