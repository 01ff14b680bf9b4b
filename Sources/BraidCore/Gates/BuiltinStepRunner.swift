import Foundation

/// Runs a built-in gate step (`BuiltinGateStep`) in-process: reads from git what its check needs,
/// and lets the check decide. Without a base in the context there is no task change to check
/// (the merge queue's gate on a merged result), and the step passes, saying so.
struct BuiltinStepRunner {
    let worktree: URL
    let context: GateContext

    func run(_ step: BuiltinGateStep) -> CheckVerdict {
        guard let base = context.base else {
            return .pass("\(step.name): nothing to check here: built-in steps check one task's change, and this gate run has none "
                         + "(the merge queue's merged result; each task passed this step on its branch).")
        }
        guard base.count >= 7, base.count <= 64, base.allSatisfy(\.isHexDigit) else {
            return .fail("\(step.name): the task's base \"\(base)\" is not a commit id")
        }
        let change = TaskChange(git: Git(repository: worktree), base: base)
        do {
            switch step {
            case .secrets:
                let allowList = try change.fileAtBase(SecretAllowList.path).map(SecretAllowList.init(text:)) ?? .empty
                return SecretsCheck.evaluate(diff: try change.diff(), allowList: allowList)
            case .changelog(let file, let conventional):
                return ChangelogCheck.evaluate(addedChangelogLines: try change.addedLines(of: file), file: file,
                                               conventionalCommits: conventional, taskTitle: context.taskTitle,
                                               subjects: conventional ? try change.subjects() : [])
            case .docs(let requirements):
                return DocsCheck.evaluate(changedFiles: try change.changedFiles(), requirements: requirements)
            case .conventions(let files):
                return ConventionsCheck.evaluate(changedFiles: try change.changedFiles(), protected: files, taskText: context.taskText)
            case .acceptance:
                return AcceptanceCheck.evaluate(criteria: context.criteria, report: context.agentReport)
            }
        } catch {
            return .fail("\(step.name): could not read the task's change: \(error)")
        }
    }
}
