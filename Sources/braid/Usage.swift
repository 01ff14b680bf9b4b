#if canImport(Glibc)
import Glibc
#endif
import BraidCore

/// The CLI's help text and its one-line errors.
enum Usage {
    static let commands = ["serve", "call", "init", "add", "status", "worktree", "version", "help"]

    static let text = """
        usage: braid <command> [options]

        commands:
          serve [--clientProcessId PID] [--max-message-size BYTES]
                                 speak JSON-RPC on stdin/stdout (what editors start)
          call METHOD [JSON]     start a server, send one request, print its result as JSON
          init [--test CMD] [--agent NAME]
                                 set Braid up in this repository (.braid/config.json, the board)
          add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N]
                                 add a task to Todo
          status                 every task: section, owner, tries, last gate, why blocked
          worktree list|prune|create #N
                                 the task worktrees; prune dead ones; create one for a task
          version                print the version
          help                   print this text

        --json on add, status and worktree list prints JSON for scripts.
        exit codes: 0 success, 1 the request failed, 2 usage error
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

/// Unbuffered writes to a descriptor, so nothing waits in a stdio buffer when the process `_Exit`s.
struct FileDescriptorOutput {
    let fd: Int32
    static let standardError = FileDescriptorOutput(fd: 2)

    func write(_ text: String) {
        _ = write(Array(text.utf8))
    }

    /// False when the descriptor does not take all the bytes (closed, a broken pipe).
    @discardableResult
    func write(_ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return Glibc.write(fd, base + offset, raw.count - offset)
            }
            if n < 0 && errno == EINTR { continue }
            if n <= 0 { return false }
            offset += n
        }
        return true
    }
}
