/// `braid:conventions`: an agent does not rewrite the rules it is given (`AGENTS.md`,
/// `CLAUDE.md`) unless its task asks it to.
///
/// A listed name without `/` means that file name at any depth (nested `AGENTS.md` files are
/// conventions too); one with `/` means that exact path. The task "says so" when its text (title,
/// body, criteria, a person's guidance) mentions the file's name, in any case.
public enum ConventionsCheck {
    public static func evaluate(changedFiles: [String], protected: [String], taskText: String) -> CheckVerdict {
        let text = taskText.lowercased()
        var touched: [String] = []
        for file in changedFiles {
            let name = file.split(separator: "/").last.map(String.init) ?? file
            let listed = protected.contains { $0.contains("/") ? $0 == file : $0 == name }
            if listed && !text.contains(name.lowercased()) { touched.append(file) }
        }
        guard touched.isEmpty else {
            return .fail("The change touches \(touched.joined(separator: ", ")), which the task does not mention.\n"
                         + "These files hold the conventions agents work by: change them only when the task asks for it. "
                         + "Restore \(touched.count == 1 ? "it" : "them") to the base's version.")
        }
        return .pass("The change leaves \(protected.joined(separator: ", ")) alone, or the task asks for the change.")
    }
}
