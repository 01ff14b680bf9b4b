#if canImport(Glibc)
import Glibc
#endif
import BraidCore

/// The CLI's help text and its one-line errors.
enum Usage {
    static let commands = ["demo", "serve", "call", "init", "add", "status", "worktree", "run", "log", "retry", "reassign",
                           "abandon", "cancel", "diff", "merge", "metrics", "secrets", "version", "help"]

    static let text = """
        usage: braid <command> [options]

        commands:
          demo [--dir PATH]      the whole loop on a small project in a new repository, in under a minute
          serve [--clientProcessId PID] [--max-message-size BYTES]
                                 speak JSON-RPC on stdin/stdout (what editors start)
          call METHOD [JSON]     start a server, send one request, print its result as JSON
          init [--test CMD] [--agent NAME]
                                 set Braid up in this repository (.braid/config.json, the board)
          add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N]
                                 add a task to Todo
          status                 every task: section, owner, sessions, failed tries, last gate, why blocked
          worktree list|prune|create #N [#M...]
                                 the task worktrees; prune dead ones; create one for a task
          run                    supervise: run agents on the board's tasks until nothing is runnable
          log #N                 the task's sessions: their output and gate results
          retry #N [--guidance TEXT]   a blocked task back to Todo, tries counted afresh
          reassign #N AGENT      a Todo or blocked task back to Todo with another agent
          abandon #N             give up on a Todo or blocked task: worktree and branch removed
          cancel #N              end the task's running session (and everything it started)
          diff #N [--stat]       the task's change against its merge base (or its landed commit)
          merge [#N...]          queue the tasks for landing, then land the queue on the base branch
                                 (merged, gated on the merged result, compare-and-swap)
          merge --list           the merge queue and its latest decisions
          merge --abort #N       take a task out of the merge queue
          metrics                overall and per agent: tasks done, failed, reassigned, gate catches,
                                 conflicts, stale bases, retries, escalations, lines, wall time, cost
          secrets [--diff REV] [PATH...]
                                 scan for secrets: the lines added since REV, these files, or every
                                 tracked file; exits 1 when it finds any (allow list: .braid/secrets-allow)
          version                print the version
          help                   print this text

        --json on add, status, diff, merge, metrics, secrets and worktree list|create prints JSON for scripts.
        exit codes: 0 success, 1 the command failed, 2 usage error
        """

    /// Prints `braid: message` on stderr and returns the usage-error exit code.
    static func fail(_ message: String, code: Int32 = 2) -> Int32 {
        FileDescriptorOutput.standardError.write("braid: \(message)\n")
        return code
    }

    /// " (did you mean 'x'?)" for a near miss, or "".
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let ranked = candidates.map { ($0, Similarity.editDistance(word, $0)) }.min { $0.1 < $1.1 }
        guard let (best, distance) = ranked, distance <= (best.count >= 4 ? 2 : 1) else { return "" }
        return " (did you mean '\(best)'?)"
    }
}
