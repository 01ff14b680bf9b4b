import Foundation

/// Recognises Braid's agents among the machine's processes: every agent is started with
/// `BRAID_SESSION=<session id>` in its environment, which its children inherit. A pid alone is not
/// enough (pids are reused quickly), nor is a working folder (a person may have a shell there).
public enum AgentIdentity {
    public static let variable = "BRAID_SESSION"

    /// The session a process belongs to, read from `/proc/PID/environ`; nil for any other process.
    public static func session(of pid: Int32) -> String? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/environ") else { return nil }
        let prefix = Array("\(variable)=".utf8)
        for entry in data.split(separator: 0) where entry.starts(with: prefix) {
            return String(decoding: entry.dropFirst(prefix.count), as: UTF8.self)
        }
        return nil
    }

    /// Every process of a session: the agent and whatever it started, in its group or not.
    public static func processes(ofSession session: String) -> [Int32] {
        allPIDs().filter { $0 != getpid() && AgentIdentity.session(of: $0) == session }
    }

    /// Processes of any Braid session working inside `folder` (left behind by a crash).
    public static func agents(workingIn folder: URL) -> [Int32] {
        let top = folder.resolvingSymlinksInPath().path
        return allPIDs().filter { pid in
            guard pid != getpid(), session(of: pid) != nil,
                  let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") else { return false }
            return cwd == top || cwd.hasPrefix(top + "/")
        }
    }

    /// Ends a session's processes at once (SIGKILL to each and to its group).
    public static func kill(session: String) {
        let pids = processes(ofSession: session)
        for pid in pids {
            let group = getpgid(pid)
            if group > 0 && group != getpgrp() { Glibc.kill(-group, SIGKILL) }
            Glibc.kill(pid, SIGKILL)
        }
        // SIGKILL is not instant: wait (a little) until they are gone, so that what comes next
        // (a new gate on the same worktree) never runs beside them.
        for _ in 0..<200 where pids.contains(where: isAlive) { usleep(10_000) }
    }

    /// Whether the process exists and is not a zombie.
    private static func isAlive(_ pid: Int32) -> Bool {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return false }
        return !(stat.split(separator: ")").last?.trimmingCharacters(in: .whitespaces).hasPrefix("Z") ?? false)
    }

    private static func allPIDs() -> [Int32] {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []).compactMap { Int32($0) }
    }
}
