import BraidCore
import Foundation
import JSON

/// `braid diff #N [--stat] [--json]`: a task's change. While it has a worktree: everything in it
/// (committed or not) against the merge base with the base branch, so that main's own commits
/// merged into the branch are not shown as the task's. Once landed: the landed commit.
enum DiffCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--stat", "--json"])
        } catch {
            return Usage.fail("diff: \(error)")
        }
        guard arguments.positionals.count == 1, let id = Arguments.taskID(arguments.positionals[0]) else {
            return Usage.fail("diff: usage: braid diff #N [--stat] [--json]")
        }
        return await ClientCommand.run("diff") { client, _ in
            let result = try await client.call("task/diff", ["task": .number(JSONNumber(id)), "stat": .bool(arguments.has("--stat"))])
            if arguments.has("--json") {
                printJSON(result)
                return 0
            }
            let out = FileDescriptorOutput(fd: 1)
            let files = result["files"]?.arrayValue ?? []
            for file in files {
                let path = file.string("path") ?? "?"
                out.write(file["binary"]?.boolValue == true ? " \(path) | binary\n" : " \(path) | +\(file.int("added")) -\(file.int("deleted"))\n")
            }
            let added = files.map { $0.int("added") }.reduce(0, +), deleted = files.map { $0.int("deleted") }.reduce(0, +)
            out.write(" \(files.count) file\(files.count == 1 ? "" : "s") changed, +\(added) -\(deleted)\n")
            if let patch = result.string("patch"), !patch.isEmpty { out.write("\n" + patch) }
            return 0
        }
    }
}
