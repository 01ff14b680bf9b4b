import BraidCore
import Foundation
import JSON

/// `braid diff #N [--stat] [--json]`: a task's change. While it has a worktree: everything in it
/// (committed or not) against the merge base with the base branch, so that main's own commits
/// merged into the branch are not shown as the task's. Once landed: the landed commit.
enum DiffCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--stat", "--json"])
        } catch {
            return Usage.fail("diff: \(error)")
        }
        guard arguments.positionals.count == 1, let id = Arguments.taskID(arguments.positionals[0]) else {
            return Usage.fail("diff: usage: braid diff #N [--stat] [--json]")
        }
        do {
            let context = try CommandContext.load()
            guard let task = try context.boardStore.read().task(id: id) else {
                return Usage.fail("diff: no task #\(id) on \(context.config.board)", code: 1)
            }
            let manager = try context.workspace.worktreeManager(context.config)
            let base: String
            let patch: String
            let files: [FileChange]
            if let worktree = try context.workspace.worktreeRegistry.worktree(forTask: id) {
                base = try manager.mergeBase(worktree)
                files = try manager.diffstat(worktree, against: base)
                patch = arguments.has("--stat") ? "" : try manager.diff(worktree, against: base)
            } else if let landed = task.landedCommit, landed.allSatisfy(\.isHexDigit), landed.count >= 7 {
                let git = manager.git
                guard let commit = try git.commit(of: landed, context: "reading #\(id)'s landed commit") else {
                    return Usage.fail("diff: #\(id)'s landed commit \(landed) is not in this repository", code: 1)
                }
                base = commit + "^"
                files = FileChange.parseNumstat(try git.output(["diff", "--numstat", "-z", "--no-renames", base, commit, "--"],
                                                               context: "counting #\(id)'s changes"))
                patch = arguments.has("--stat") ? "" : try git.output(
                    ["diff", "--no-color", "--no-ext-diff", "--no-textconv", "--no-renames", "--src-prefix=a/", "--dst-prefix=b/",
                     base, commit, "--"], context: "diffing #\(id)")
            } else {
                return Usage.fail("diff: #\(id) has no worktree and has not landed: nothing to show", code: 1)
            }
            if arguments.has("--json") {
                printJSON(.object([
                    "task": .number(JSONNumber(id)), "base": .string(base),
                    "files": .array(files.map { .object(["path": .string($0.path), "added": .number(JSONNumber($0.added)),
                                                         "deleted": .number(JSONNumber($0.deleted)), "binary": .bool($0.isBinary)]) }),
                    "patch": .string(patch),
                ]))
                return 0
            }
            let out = FileDescriptorOutput(fd: 1)
            for file in files {
                out.write(file.isBinary ? " \(file.path) | binary\n" : " \(file.path) | +\(file.added) -\(file.deleted)\n")
            }
            out.write(" \(files.count) file\(files.count == 1 ? "" : "s") changed, +\(files.map(\.added).reduce(0, +)) -\(files.map(\.deleted).reduce(0, +))\n")
            if !patch.isEmpty { out.write("\n" + patch) }
            return 0
        } catch {
            return Usage.fail("diff: \(error)", code: 1)
        }
    }
}
