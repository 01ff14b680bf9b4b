import BraidCore
import Foundation

/// `braid run`: supervise until nothing runnable is left, printing each state change.
/// Exits 0 when the loop ended normally, whatever the tasks' outcomes. Agents run in their own
/// process groups: interrupting `braid run` leaves them running, and the next run re-adopts them.
enum RunCommand {
    static func run(_ argv: [String]) async -> Int32 {
        do {
            let arguments = try Arguments(argv)
            guard arguments.positionals.isEmpty else { return Usage.fail("run: takes no arguments") }
        } catch {
            return Usage.fail("run: \(error)")
        }
        do {
            let context = try CommandContext.load()
            let journal = try Journal.open(in: context.workspace.stateDirectory)
            defer { journal.close() }
            if let torn = journal.recovery.tornTail {
                FileDescriptorOutput.standardError.write("braid: warning: \(torn)\n")
            }
            let out = FileDescriptorOutput(fd: 1)
            let supervisor = try Supervisor(workspace: context.workspace, config: context.config, journal: journal) { line in
                out.write(line + "\n")
            }
            try await supervisor.run()
            return 0
        } catch {
            return Usage.fail("run: \(error)", code: 1)
        }
    }
}
