#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// The supervisor's append-only journal, `.braid/state/journal.jsonl`: one JSON event per line
/// (`JournalEvent+JSON`), folded into a `SupervisorState` as it is read and as it grows.
///
/// **Durability.** `append` returns once the line is written and flushed to the disk
/// (`fdatasync`, which for an append also flushes the new length). An event on which a caller
/// acted is therefore never lost. An event whose `append` did not return may still be there after
/// a crash, which is why events record facts that have already happened.
///
/// **Crashes.** An event is in the journal when its line ends with a newline. Bytes after the
/// last newline are an append that a crash cut short, never acknowledged: reading ignores them
/// and reports them (`Contents.tornTail`), and `open` cuts them off, so the next append starts on
/// a fresh line. A complete line that is not a valid event anywhere in the file is an error naming
/// its line number, never skipped. Compaction replaces the file atomically (`AtomicFile`), so a
/// crash leaves either the old journal or the compacted one, which fold to the same state; a
/// temporary file it leaves behind is removed by the next `open`.
///
/// **One writer.** Only one process writes a repository's journal: `open` takes an exclusive
/// `flock` on `.braid/state/journal.lock` for the journal's lifetime (a separate file, because
/// compaction renames a new journal into place), and fails with the holder's pid, which the holder
/// records in the lock file. Within the process, one lock (a `Mutex`) serializes appends,
/// compaction and reads: each append, flush included, happens entirely before or after another,
/// and the folded state always matches the file. Appends block their thread for the flush (a few
/// milliseconds on a disk); that is the price of a state that survives `kill -9` and power loss.
public final class Journal: Sendable {
    public static let fileName = "journal.jsonl"
    public static let lockFileName = "journal.lock"

    /// When `compactIfNeeded` rewrites the journal: when it holds more bytes or events than these,
    /// and has at least doubled since it was last compacted (so that a state that is large by
    /// itself is not rewritten on every check).
    public struct CompactionPolicy: Sendable, Equatable {
        public var maxBytes: Int
        public var maxEvents: Int

        public init(maxBytes: Int = 1 << 20, maxEvents: Int = 10_000) {
            self.maxBytes = maxBytes
            self.maxEvents = maxEvents
        }
    }

    /// A journal file's events, read from its complete lines.
    public struct Contents: Sendable, Equatable {
        public var events: [JournalEvent]
        public var tornTail: TornTail?
        /// The length of the complete lines: where the next append belongs.
        public var validByteCount: Int
    }

    /// The bytes after the last newline: an append that a crash cut short.
    public struct TornTail: Sendable, Equatable, CustomStringConvertible {
        /// The line number it would have had.
        public var line: Int
        /// The byte offset where it starts.
        public var offset: Int
        public var bytes: [UInt8]

        public var description: String {
            "an unfinished line \(line) (\(bytes.count) bytes at offset \(offset)), left by a crash while appending; ignored"
        }
    }

    /// What `open` found and repaired, for the supervisor to log.
    public struct Recovery: Sendable, Equatable {
        /// Cut off the end of the file.
        public var tornTail: TornTail?
        /// Temporary files of a compaction that did not finish, removed.
        public var removedTemporaryFiles: [String]

        public var isClean: Bool { tornTail == nil && removedTemporaryFiles.isEmpty }
    }

    public struct CompactionReport: Sendable, Equatable {
        public var eventsBefore: Int
        public var eventsAfter: Int
        public var bytesBefore: Int
        public var bytesAfter: Int
    }

    public let url: URL
    public let lockURL: URL
    public let policy: CompactionPolicy
    public let recovery: Recovery
    private let guarded: Mutex<Guarded>

    private struct Guarded {
        /// The journal, opened for appending; -1 once closed.
        var fd: Int32
        var lockFD: Int32
        var state: SupervisorState
        var eventCount: Int
        var byteCount: Int
        var eventsAfterCompaction = 0
        var bytesAfterCompaction = 0
        /// Set when a failed write or flush left the file's end uncertain.
        var failure: String?
    }

    private init(url: URL, lockURL: URL, policy: CompactionPolicy, recovery: Recovery, guarded: Guarded) {
        self.url = url
        self.lockURL = lockURL
        self.policy = policy
        self.recovery = recovery
        self.guarded = Mutex(guarded)
    }

    deinit { close() }

    /// Opens the journal in `directory` (a repository's `.braid/state`), creating it if needed:
    /// takes the lock, removes what a crashed compaction left, cuts off a torn final line, and
    /// folds the events into `state`.
    public static func open(in directory: URL, policy: CompactionPolicy = CompactionPolicy()) throws(JournalError) -> Journal {
        let url = directory.appendingPathComponent(fileName)
        let lockURL = directory.appendingPathComponent(lockFileName)
        let acquired: Int32?
        do throws(FileLock.LockError) {
            acquired = try FileLock.tryAcquire(lockURL)
        } catch {
            throw .io(path: lockURL.path, doing: "locking", reason: error.reason)
        }
        guard let lockFD = acquired else { throw .locked(lockFile: lockURL.path, pid: recordedHolder(lockURL)) }
        var fd: Int32 = -1
        var opened = false
        defer {
            if !opened {
                if fd >= 0 { Glibc.close(fd) }
                _ = ftruncate(lockFD, 0)
                FileLock.release(lockFD)
            }
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(lockFD, 0)
        _ = pid.withUnsafeBytes { pwrite(lockFD, $0.baseAddress, $0.count, 0) }

        let removed = removeTemporaryFiles(in: directory)
        let existed = access(url.path, F_OK) == 0
        fd = Glibc.open(url.path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw .io(path: url.path, doing: "opening", reason: lastError()) }
        if !existed { syncDirectory(directory) }

        let contents = try parse(try readAll(fd, path: url.path), path: url.path)
        if contents.tornTail != nil {
            guard ftruncate(fd, off_t(contents.validByteCount)) == 0, fsync(fd) == 0 else {
                throw .io(path: url.path, doing: "cutting an unfinished line off", reason: lastError())
            }
        }
        let guarded = Guarded(fd: fd, lockFD: lockFD, state: SupervisorState(folding: contents.events),
                              eventCount: contents.events.count, byteCount: contents.validByteCount)
        opened = true
        return Journal(url: url, lockURL: lockURL, policy: policy,
                       recovery: Recovery(tornTail: contents.tornTail, removedTemporaryFiles: removed), guarded: guarded)
    }

    /// Reads a journal file without opening it for writing (no lock): a torn final line, which
    /// may be an append in progress, is ignored and reported. A missing file reads as empty.
    public static func read(at url: URL) throws(JournalError) -> Contents {
        let fd = Glibc.open(url.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return Contents(events: [], tornTail: nil, validByteCount: 0) }
            throw .io(path: url.path, doing: "opening", reason: lastError())
        }
        defer { Glibc.close(fd) }
        return try parse(try readAll(fd, path: url.path), path: url.path)
    }

    /// The fold of every event in the journal: a snapshot, unaffected by later appends.
    public var state: SupervisorState { guarded.withLock { $0.state } }
    /// Events in the file (complete lines).
    public var eventCount: Int { guarded.withLock { $0.eventCount } }
    public var byteCount: Int { guarded.withLock { $0.byteCount } }

    /// Writes the event as one line and flushes it to the disk before returning; then folds it into
    /// `state`. The state folds the line as it reads back (times keep about a microsecond), so it
    /// always equals what a replay would give.
    public func append(_ event: JournalEvent) throws(JournalError) {
        let line = event.encodedLine()
        let recorded: JournalEvent
        do throws(JournalEvent.DecodeError) {
            recorded = try JournalEvent(line: line.dropLast())
        } catch {
            throw .unreadableEvent(path: url.path, kind: event.kind, reason: error.description)
        }
        let path = url.path
        try guarded.withLock { (g: inout Guarded) throws(JournalError) in
            guard g.fd >= 0 else { throw .closed(path: path) }
            if let failure = g.failure { throw .unusable(path: path, reason: failure) }
            var written = 0
            while written < line.count {
                let n = line[written...].withUnsafeBytes { Glibc.write(g.fd, $0.baseAddress, $0.count) }
                if n > 0 {
                    written += n
                    continue
                }
                if n < 0 && errno == EINTR { continue }
                let reason = n < 0 ? lastError() : "the write made no progress"
                // Cut a partial line back off, so that the file still ends with a whole line.
                if written > 0, ftruncate(g.fd, off_t(g.byteCount)) != 0 {
                    g.failure = "appending: \(reason); then cutting the partial line off: \(lastError())"
                    throw .unusable(path: path, reason: g.failure ?? reason)
                }
                throw .io(path: path, doing: "appending to", reason: reason)
            }
            if fdatasync(g.fd) != 0 {
                // After a failed flush the kernel may have dropped the written pages: whether the
                // line is on the disk is unknown, so nothing more is appended after it.
                g.failure = "flushing to the disk: \(lastError())"
                throw .unusable(path: path, reason: g.failure ?? "")
            }
            g.byteCount += line.count
            g.eventCount += 1
            g.state.apply(recorded)
        }
    }

    /// Reads the journal back from the file: every event, in order.
    public func replay() throws(JournalError) -> [JournalEvent] {
        let path = url.path
        return try guarded.withLock { (g: inout Guarded) throws(JournalError) -> [JournalEvent] in
            guard g.fd >= 0 else { throw .closed(path: path) }
            return try Self.parse(try Self.readAll(g.fd, path: path), path: path).events
        }
    }

    /// Whether `compactIfNeeded` would compact now.
    public var needsCompaction: Bool {
        guarded.withLock { Self.isCompactionDue($0, policy) }
    }

    /// Compacts when the policy says the journal has grown enough; nil when it has not.
    @discardableResult
    public func compactIfNeeded() throws(JournalError) -> CompactionReport? {
        let policy = self.policy
        return try guarded.withLock { (g: inout Guarded) throws(JournalError) -> CompactionReport? in
            guard Self.isCompactionDue(g, policy) else { return nil }
            return try compact(&g)
        }
    }

    /// Rewrites the journal as the fewest events that fold to the current state
    /// (`SupervisorState.compactedEvents`), atomically. Before replacing anything it reads the new
    /// text back and checks that it folds to the same state.
    @discardableResult
    public func compact() throws(JournalError) -> CompactionReport {
        try guarded.withLock { (g: inout Guarded) throws(JournalError) -> CompactionReport in try compact(&g) }
    }

    /// Releases the file and the lock. Appends then fail with `closed`. Also done on deinit.
    public func close() {
        guarded.withLock { g in
            guard g.fd >= 0 else { return }
            Glibc.close(g.fd)
            g.fd = -1
            // No pid is better than a stale one in the next holder's error message.
            _ = ftruncate(g.lockFD, 0)
            FileLock.release(g.lockFD)
        }
    }

    // MARK: - Inside the lock

    private func compact(_ g: inout Guarded) throws(JournalError) -> CompactionReport {
        let path = url.path
        guard g.fd >= 0 else { throw .closed(path: path) }
        if let failure = g.failure { throw .unusable(path: path, reason: failure) }
        var bytes: [UInt8] = []
        let events = g.state.compactedEvents
        for event in events { bytes.append(contentsOf: event.encodedLine()) }
        guard let reread = try? Self.parse(bytes, path: path), reread.tornTail == nil,
              SupervisorState(folding: reread.events) == g.state else {
            throw .compactionWouldChangeState(path: path)
        }
        do {
            try AtomicFile.write(bytes, to: url)
        } catch {
            throw .io(path: path, doing: "compacting", reason: (error as? AtomicFile.WriteError)?.reason ?? "\(error)")
        }
        // The open descriptor still writes to the old file, which the rename unlinked.
        let fd = Glibc.open(path, O_RDWR | O_APPEND | O_CLOEXEC)
        guard fd >= 0 else {
            g.failure = "reopening after compaction: \(lastError())"
            throw .unusable(path: path, reason: g.failure ?? "")
        }
        Glibc.close(g.fd)
        g.fd = fd
        let report = CompactionReport(eventsBefore: g.eventCount, eventsAfter: events.count,
                                      bytesBefore: g.byteCount, bytesAfter: bytes.count)
        g.eventCount = events.count
        g.byteCount = bytes.count
        g.eventsAfterCompaction = events.count
        g.bytesAfterCompaction = bytes.count
        return report
    }

    private static func isCompactionDue(_ g: Guarded, _ policy: CompactionPolicy) -> Bool {
        g.byteCount > max(policy.maxBytes, 2 * g.bytesAfterCompaction)
            || g.eventCount > max(policy.maxEvents, 2 * g.eventsAfterCompaction)
    }

    // MARK: - Files

    /// Splits the text into lines and reads each as an event; see the type's notes on crashes.
    static func parse(_ bytes: [UInt8], path: String) throws(JournalError) -> Contents {
        var events: [JournalEvent] = []
        var start = 0
        var line = 0
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            line += 1
            do throws(JournalEvent.DecodeError) {
                events.append(try JournalEvent(line: bytes[start..<newline]))
            } catch {
                switch error {
                case .invalid(let reason): throw .corruptLine(path: path, line: line, reason: reason)
                case .unknownKind(let kind): throw .unknownEventKind(path: path, line: line, kind: kind)
                case .newerFormat(let version): throw .newerFormat(path: path, line: line, version: version)
                }
            }
            start = newline + 1
        }
        let torn = start < bytes.count ? TornTail(line: line + 1, offset: start, bytes: Array(bytes[start...])) : nil
        return Contents(events: events, tornTail: torn, validByteCount: start)
    }

    private static func readAll(_ fd: Int32, path: String) throws(JournalError) -> [UInt8] {
        var out: [UInt8] = []
        var status = stat()
        if fstat(fd, &status) == 0 { out.reserveCapacity(Int(status.st_size)) }
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(out.count)) }
            if n == 0 { return out }
            if n < 0 {
                if errno == EINTR { continue }
                throw .io(path: path, doing: "reading", reason: lastError())
            }
            out.append(contentsOf: chunk[0..<n])
        }
    }

    /// The pid a holder wrote into the lock file, if it got that far.
    private static func recordedHolder(_ lockURL: URL) -> Int32? {
        guard let text = try? String(contentsOf: lockURL, encoding: .utf8) else { return nil }
        return Int32(text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    /// `AtomicFile` names its temporary files `.<name>.<pid>.<random>.tmp`. Under the lock no one
    /// else is compacting, so any such file is left over from a crash.
    private static func removeTemporaryFiles(in directory: URL) -> [String] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return [] }
        var removed: [String] = []
        for name in names.sorted() where name.hasPrefix(".\(fileName).") && name.hasSuffix(".tmp") {
            if unlink(directory.appendingPathComponent(name).path) == 0 { removed.append(name) }
        }
        return removed
    }

    /// Makes a new directory entry durable; some file systems refuse, and the entry exists either way.
    private static func syncDirectory(_ directory: URL) {
        let fd = Glibc.open(directory.path, O_RDONLY | O_CLOEXEC)
        if fd >= 0 {
            _ = fsync(fd)
            Glibc.close(fd)
        }
    }
}

private func lastError() -> String { String(cString: strerror(errno)) }
