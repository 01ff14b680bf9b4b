import Foundation

/// What `/proc/<pid>/stat` says about one process: enough to tell whether it still runs, which
/// group it is in, and whether a pid still names the process it named before.
struct ProcessSnapshot: Sendable, Equatable {
    let pid: Int32
    /// `R`, `S`, `D`, `Z` (ended, not yet reaped by its parent), …
    let state: Character
    let processGroup: Int32
    /// Clock ticks from boot to the process's start: a pid and this together name one process.
    let startTicks: UInt64

    /// Ended: a zombie is only waiting for its parent to read its status.
    var hasEnded: Bool { state == "Z" || state == "X" }

    /// Nil when there is no such process (or `/proc` cannot be read).
    static func read(pid: Int32) -> ProcessSnapshot? {
        guard pid > 0, let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        return parse(String(decoding: data, as: UTF8.self), pid: pid)
    }

    /// Parses `pid (comm) state ppid pgrp … starttime …`. The command name may hold spaces and
    /// parentheses, so fields are counted from its last `)`.
    static func parse(_ line: String, pid: Int32) -> ProcessSnapshot? {
        guard let close = line.lastIndex(of: ")") else { return nil }
        let fields = line[line.index(after: close)...].split(separator: " ")
        // After the name: state is field 3 of stat(5), pgrp field 5, starttime field 22.
        guard fields.count > 19, let state = fields[0].first,
              let group = Int32(fields[2]), let start = UInt64(fields[19]) else { return nil }
        return ProcessSnapshot(pid: pid, state: state, processGroup: group, startTicks: start)
    }

    /// The processes of a group that have not ended, read from `/proc`.
    static func livingMembers(ofGroup group: Int32) -> [Int32] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return names.compactMap(Int32.init).filter { pid in
            guard let snapshot = read(pid: pid) else { return false }
            return snapshot.processGroup == group && !snapshot.hasEnded
        }
    }
}
