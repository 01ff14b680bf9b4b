#if canImport(Glibc)
import Glibc
#endif

/// Why the journal could not be opened, read or written, with what Braid was doing.
public enum JournalError: Error, Sendable, Equatable, CustomStringConvertible {
    /// Another open journal holds the repository's journal lock: another Braid process (with the
    /// pid it recorded in the lock file, when it got that far), or this one.
    case locked(lockFile: String, pid: Int32?)
    /// A complete line (it ends with a newline) that is not a valid event. Never skipped: what it
    /// said may matter, and Braid will not guess.
    case corruptLine(path: String, line: Int, reason: String)
    /// A valid line whose event kind this Braid does not know: a newer Braid wrote it.
    case unknownEventKind(path: String, line: Int, kind: String)
    /// A line in a newer line format than this Braid reads.
    case newerFormat(path: String, line: Int, version: Int)
    /// A system call failed; `doing` says what Braid was doing ("appending to").
    case io(path: String, doing: String, reason: String)
    /// A write or flush failed in a way that leaves the file's end uncertain: the journal takes no
    /// more events, and the next start recovers from what reached the disk.
    case unusable(path: String, reason: String)
    case closed(path: String)
    /// The event would not read back as itself, so it was not written (a bug in Braid: writing it
    /// would make the journal unreadable).
    case unreadableEvent(path: String, kind: String, reason: String)
    /// The compacted events would not fold to the current state; the journal was left as it was.
    case compactionWouldChangeState(path: String)

    public var description: String {
        switch self {
        case .locked(let lockFile, let pid):
            let holder: String
            switch pid {
            case .some(let pid) where pid == getpid(): holder = "this process (pid \(pid)) has it open already"
            case .some(let pid): holder = "Braid process \(pid) holds it"
            case .none: holder = "another Braid process holds it"
            }
            return "opening the journal: \(holder) (lock \(lockFile)); only one Braid process may run a repository at a time"
        case .corruptLine(let path, let line, let reason):
            return "reading the journal \(path): line \(line) is not a valid event (\(reason)); fix or remove that line"
        case .unknownEventKind(let path, let line, let kind):
            return "reading the journal \(path): line \(line) records an event of kind '\(kind)', which this Braid "
                + "does not know; a newer Braid wrote it, so upgrade Braid"
        case .newerFormat(let path, let line, let version):
            return "reading the journal \(path): line \(line) is in journal format v\(version), newer than this "
                + "Braid's v\(JournalEvent.formatVersion); upgrade Braid"
        case .io(let path, let doing, let reason):
            return "\(doing) the journal \(path): \(reason)"
        case .unusable(let path, let reason):
            return "the journal \(path) takes no more events after a failed write (\(reason)); restart Braid, "
                + "which recovers from what reached the disk"
        case .closed(let path):
            return "the journal \(path) is closed"
        case .unreadableEvent(let path, let kind, let reason):
            return "appending to the journal \(path): the \(kind) event would not read back (\(reason)), so it was "
                + "not written (a bug in Braid)"
        case .compactionWouldChangeState(let path):
            return "compacting the journal \(path): the compacted events would not fold to the same state, so the "
                + "journal was left as it was (a bug in Braid)"
        }
    }
}
