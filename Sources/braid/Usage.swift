#if canImport(Glibc)
import Glibc
#endif
import BraidCore

/// The CLI's help text and its one-line errors.
enum Usage {
    static let commands = ["demo", "serve", "daemon", "call", "init", "add", "status", "run", "watch", "log", "diff", "approve",
                           "reject", "review", "retry", "reassign", "abandon", "cancel", "merge", "metrics", "secrets", "worktree",
                           "version", "help"]

    static let text = """
        usage: braid <command> [options]

        Every command but demo, init and version talks to the repository's daemon (one per
        repository, on .braid/state/daemon.sock), starting it when none runs. Agents, gates and
        merges belong to the daemon: they go on when a command or an editor goes away.

        commands:
          demo [--dir PATH]      the whole loop on a small project in a new repository, in under a minute
          serve [--standalone] [--clientProcessId PID] [--max-message-size BYTES]
                                 speak JSON-RPC on stdin/stdout (what editors start): a bridge to the
                                 daemon; --standalone serves in this process instead
          daemon start|stop|status|run
                                 the repository's daemon: start it, stop it (agents keep running),
                                 say whether it runs (exit 3 when not), or run it in the foreground
          call METHOD [JSON]     send one request, print its result as JSON
          init [--test CMD] [--agent NAME]
                                 set Braid up in this repository (.braid/config.json, the board)
          add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N]
                                 add a task to Todo
          status                 every task: section, owner, sessions, failed tries, last gate, why
                                 blocked; and what the daemon is doing
          run                    dispatch agents on the board's tasks until nothing is runnable, printing
                                 what happens; Ctrl-C detaches (the agents keep running)
          watch                  print every notification as it comes (--json: one object per line)
          log #N [-f]            the task's sessions: their output and gate results; -f follows the
                                 running session
          diff #N [--stat]       the task's change against its merge base (or its landed commit)
          approve #N             accept a task in Review: it goes to the merge queue
          reject #N --feedback TEXT
                                 send a task in Review back to its agent with your feedback
          review #N [--keep 1,2] [--overrule 3] [--reason TEXT] [--again]
                                 the reviewer's findings on a task in Review, and your decision on
                                 each: kept findings go back to its agent; none kept, it is merged
          retry #N [--guidance TEXT]   a blocked task back to Todo, tries counted afresh
          reassign #N AGENT      a Todo or blocked task back to Todo with another agent
          abandon #N             give up on a Todo or blocked task: worktree and branch removed
          cancel #N              end the task's running session (and everything it started)
          merge [#N...]          queue the tasks for landing and wait for the queue to settle them
                                 (merged, gated on the merged result, compare-and-swap)
          merge --list           the merge queue and its latest decisions
          merge --abort #N       take a task out of the merge queue
          metrics                overall and per agent: tasks done, failed, reassigned, gate catches,
                                 conflicts, stale bases, retries, escalations, lines, wall time, cost
          worktree list|prune|create #N [#M...]
                                 the task worktrees; prune dead ones; create one for a task by hand
          secrets [--diff REV] [PATH...]
                                 scan for secrets: the lines added since REV, these files, or every
                                 tracked file; exits 1 when it finds any (allow list: .braid/secrets-allow)
          version                print the version
          help [COMMAND]         print this text, or one command's part of it (also COMMAND --help)

        --json on add, status, diff, merge, metrics, review, secrets, watch and worktree list|create prints JSON
        for scripts.
        exit codes: 0 success, 1 the command failed (or, for merge, a task was sent back or the queue
        waits; for secrets, a secret was found), 2 usage error, 3 `daemon status` when no daemon runs
        """

    /// One command's lines of `text`, or nil for an unknown command.
    static func help(for command: String) -> String? {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var picked: [Substring] = []
        var inside = false
        for line in lines {
            if line.hasPrefix("  ") && !line.hasPrefix("   ") {
                let name = line.dropFirst(2).prefix { $0 != " " }
                inside = name == command
            } else if !line.hasPrefix("    ") {
                inside = false
            }
            if inside { picked.append(line) }
        }
        return picked.isEmpty ? nil : "usage: braid " + command + " ...\n\n" + picked.joined(separator: "\n")
    }

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
