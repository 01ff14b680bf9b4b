/// `braid:docs`: a change to files under a configured path also changes that path's doc, so
/// that documentation moves with the code it describes.
///
/// Each requirement is a glob (as in `touches:`: `Sources/api/`, `src/**/*.proto`; a folder
/// covers what is in it) and a doc file. A change touching a matching file (other than the doc)
/// must touch the doc too; a change touching none is not concerned.
public enum DocsCheck {
    public static func evaluate(changedFiles: [String], requirements: [BuiltinGateStep.DocRequirement]) -> CheckVerdict {
        let changed = Set(changedFiles)
        var missing: [String] = []
        var kept: [String] = []
        for requirement in requirements {
            let glob = PathGlob(requirement.paths)
            let touched = changedFiles.filter { $0 != requirement.doc && glob.matches($0) }
            guard let first = touched.first else { continue }
            if changed.contains(requirement.doc) {
                kept.append(requirement.doc)
            } else {
                let more = touched.count > 1 ? " and \(touched.count - 1) more" : ""
                missing.append("\(first)\(more) changed (under \(requirement.paths)), but \(requirement.doc) did not: "
                               + "update \(requirement.doc) to describe the change.")
            }
        }
        if !missing.isEmpty { return .fail(missing.joined(separator: "\n")) }
        return .pass(kept.isEmpty ? "The change touches no documented path." : "Docs kept up to date: \(kept.joined(separator: ", ")).")
    }
}
