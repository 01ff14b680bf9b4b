#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Synchronization

/// One line of the merge queue's log (`.braid/state/merge-queue.jsonl`).
struct MergeEvent: Codable, Sendable, Equatable {
    enum Kind: String, Codable, Sendable {
        /// A candidate joined the queue (or its queued tip was replaced).
        case enqueued
        /// A person took a candidate out of the queue.
        case removed
        /// A step of the work on a batch, for recovery and for people: `built`, `gating`, `gated`;
        /// `idle` when a pass ended with nothing left to do.
        case step
        /// About to move the base branch to `commit` (from `onto`) for `tasks`: written, fsynced,
        /// before the compare-and-swap, so that a restart can tell whether it happened.
        case landing
        /// The landing intent is settled (landed or not); decisions follow.
        case settled
        case decided
        /// A gate verdict on a merged tree, cached by tree id and the gate's steps.
        case gate
        /// The board and worktree effects of decisions up to `seq` are done.
        case applied
    }

    var kind: Kind
    var candidate: MergeCandidate?
    var decision: MergeDecision?
    var task: Int?
    var tasks: [Int]?
    /// For `landing`: the commit that lands each of `tasks`, in order.
    var commits: [String]?
    var step: String?
    var commit: String?
    var onto: String?
    var tree: String?
    var passed: Bool?
    var seq: Int?
    var detail: String?
    var at: Date

    init(kind: Kind, candidate: MergeCandidate? = nil, decision: MergeDecision? = nil, task: Int? = nil, tasks: [Int]? = nil,
         commits: [String]? = nil, step: String? = nil, commit: String? = nil, onto: String? = nil, tree: String? = nil, passed: Bool? = nil,
         seq: Int? = nil, detail: String? = nil, at: Date = Date()) {
        self.kind = kind
        self.candidate = candidate
        self.decision = decision
        self.task = task
        self.tasks = tasks
        self.commits = commits
        self.step = step
        self.commit = commit
        self.onto = onto
        self.tree = tree
        self.passed = passed
        self.seq = seq
        self.detail = detail
        self.at = at
    }
}

/// The merge queue as the fold of its log: who waits, in order; what was decided; a landing
/// that was started and not settled; gate verdicts by tree.
public struct MergeQueueState: Sendable, Equatable {
    /// Waiting candidates, first in first out.
    public private(set) var pending: [MergeCandidate] = []
    /// Every decision, oldest first.
    public private(set) var decisions: [MergeDecision] = []
    /// A landing whose outcome the log does not know: a crash came between its intent and the
    /// record of what happened.
    public private(set) var openLanding: (tasks: [Int], commits: [String], commit: String, onto: String)?
    /// The last step recorded, for `braid merge --list`.
    public private(set) var lastStep: String?
    /// Whether the last process that worked the queue finished its pass (wrote `idle`): then a
    /// new pass needs no recovery beyond a look for lock files.
    public private(set) var endedCleanly = true
    /// Merged trees (keyed with the gate's steps, see `MergeQueue.gateKey`) on which the gate passed.
    public private(set) var passedGates: Set<String> = []
    /// Decisions whose board and worktree effects are known to be done.
    public private(set) var appliedSeq = 0
    /// The candidate each decision was about, by `seq` (for effects a crash cut short).
    private(set) var decidedCandidates: [Int: MergeCandidate] = [:]

    public var lastSeq: Int { decisions.last?.seq ?? 0 }

    public static func == (a: MergeQueueState, b: MergeQueueState) -> Bool {
        a.pending == b.pending && a.decisions == b.decisions && a.lastStep == b.lastStep
            && a.openLanding?.commit == b.openLanding?.commit && a.openLanding?.tasks == b.openLanding?.tasks
            && a.passedGates == b.passedGates && a.appliedSeq == b.appliedSeq && a.decidedCandidates == b.decidedCandidates
    }

    mutating func apply(_ event: MergeEvent) {
        switch event.kind {
        case .enqueued:
            guard let candidate = event.candidate else { return }
            if let index = pending.firstIndex(where: { $0.task == candidate.task }) {
                pending[index] = candidate
            } else {
                pending.append(candidate)
            }
        case .removed:
            pending.removeAll { $0.task == event.task }
        case .step:
            endedCleanly = event.step == "idle"
            lastStep = event.step.map { step in "\(step) \((event.tasks ?? []).map { "#\($0)" }.joined(separator: " "))" }
        case .landing:
            endedCleanly = false
            if let commit = event.commit, let onto = event.onto { openLanding = (event.tasks ?? [], event.commits ?? [], commit, onto) }
        case .settled:
            openLanding = nil
        case .decided:
            guard let decision = event.decision else { return }
            endedCleanly = false
            // A task queued again with a new tip meanwhile stays queued.
            pending.removeAll { $0.task == decision.task && (decision.tip == nil || $0.tip == decision.tip) }
            decisions.append(decision)
            if let candidate = event.candidate { decidedCandidates[decision.seq] = candidate }
        case .gate:
            if let key = event.tree, event.passed == true { passedGates.insert(key) }
        case .applied:
            if let seq = event.seq { appliedSeq = max(appliedSeq, seq) }
        }
    }

    public func candidate(_ task: Int) -> MergeCandidate? { pending.first { $0.task == task } }

    /// The latest decision about `task`, if any.
    public func lastDecision(for task: Int) -> MergeDecision? { decisions.last { $0.task == task } }
}

/// The merge queue's log: JSON lines appended under a short lock that any Braid process may take
/// (the queue's long lock, held while merging, is another file: enqueueing never waits for a gate).
///
/// A line is written whole with one `write`; a torn last line (a crash mid-write) is ignored when
/// reading and cut off before the next append. Appends that record a decision or an intent are
/// fsynced; the others (progress steps, gate verdicts) reach the disk with the next fsync, since
/// losing them only repeats work.
public final class MergeLog: Sendable {
    public let url: URL
    public let lockURL: URL
    /// The state as of `offset` bytes of the file `inode`: each read parses only what was appended
    /// since (by any process); a compaction (a new file) is read whole.
    private let cache = Mutex<(state: MergeQueueState, offset: Int, inode: UInt64, head: [UInt8])?>(nil)

    public init(url: URL, lockURL: URL) {
        self.url = url
        self.lockURL = lockURL
    }

    public struct WriteError: Error, CustomStringConvertible {
        public let path: String
        public let reason: String
        public var description: String { "\(path): the merge queue's log cannot be written (\(reason))" }
    }

    public struct CorruptLog: Error, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let reason: String
        public var description: String { "\(path):\(line): the merge queue's log cannot be read (\(reason))" }
    }

    public func read() throws -> MergeQueueState {
        try FileLock.withExclusiveLock(at: lockURL) { try readUnlocked() }
    }

    /// Appends `events`.
    func append(_ events: [MergeEvent], durable: Bool) throws {
        try FileLock.withExclusiveLock(at: lockURL) { try appendUnlocked(events, durable: durable) }
    }

    /// Reads, decides and appends in one hold of the lock, so that decisions get unique numbers
    /// and no two processes enqueue the same task twice.
    func update<T>(durable: Bool, _ body: (MergeQueueState) throws -> (events: [MergeEvent], result: T)) throws -> T {
        try FileLock.withExclusiveLock(at: lockURL) {
            let state = try readUnlocked()
            let (events, result) = try body(state)
            try appendUnlocked(events, durable: durable)
            return result
        }
    }

    /// Rewrites the log (atomically) to what the queue needs once the file has grown past
    /// `maxBytes`: the waiting candidates, the last `keepDecisions` decisions (so that a supervisor
    /// that was not running can still apply them), and recent gate verdicts.
    ///
    /// Small, because every Braid process reads the log whole once: a new `braid merge` should not
    /// parse the history of every landing before its own. A supervisor that did not run while more
    /// than `keepDecisions` decisions were made misses the older ones (a refusal among them does
    /// not count as a try).
    func compactIfNeeded(maxBytes: Int = 16 << 10, keepDecisions: Int = 30, keepGates: Int = 32) throws {
        var info = stat()
        guard stat(url.path, &info) == 0, Int(info.st_size) > maxBytes else { return }
        try FileLock.withExclusiveLock(at: lockURL) {
            guard let size = (try? FileManager.default.attributesOfItem(atPath: url.path))?[.size] as? Int, size > maxBytes else { return }
            var pending: [MergeEvent] = []
            var decided: [MergeEvent] = []
            var gates: [MergeEvent] = []
            var state = MergeQueueState()
            try forEachEvent { event in
                state.apply(event)
                switch event.kind {
                case .decided:
                    // Gate output is the bulk of a decision: half a kilobyte of it is kept, and the
                    // candidate only for decisions whose effects are not known to be done.
                    var kept = event
                    if let detail = kept.decision?.detail, detail.utf8.count > 512 {
                        kept.decision?.detail = String(decoding: Array(detail.utf8.prefix(512)), as: UTF8.self) + "…"
                    }
                    decided.append(kept)
                case .gate where event.passed == true: gates.append(event)
                default: break
                }
            }
            guard state.openLanding == nil else { return }
            // The candidate is kept only with decisions whose effects are not known to be done.
            for index in decided.indices where (decided[index].decision?.seq ?? 0) <= state.appliedSeq { decided[index].candidate = nil }
            for candidate in state.pending { pending.append(MergeEvent(kind: .enqueued, candidate: candidate, at: candidate.enqueuedAt)) }
            let kept: [MergeEvent] = Array(decided.suffix(keepDecisions)) + Array(gates.suffix(keepGates)) + pending
                + [MergeEvent(kind: .applied, seq: state.appliedSeq), MergeEvent(kind: .step, step: "idle")]
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            var bytes: [UInt8] = []
            for event in kept {
                bytes += try encoder.encode(event)
                bytes.append(0x0A)
            }
            try AtomicFile.write(bytes, to: url)
        }
    }

    private func readUnlocked() throws -> MergeQueueState {
        var info = stat()
        guard stat(url.path, &info) == 0 else {
            cache.withLock { $0 = nil }
            return MergeQueueState()
        }
        let inode = UInt64(info.st_ino)
        let size = Int(info.st_size)
        guard let handle = FileHandle(forReadingAtPath: url.path) else { return MergeQueueState() }
        defer { try? handle.close() }
        // The file's first bytes tell a compacted file that reused the inode from the one cached.
        let head = [UInt8](handle.readData(ofLength: 128))
        var (state, offset) = cache.withLock { cached -> (MergeQueueState, Int) in
            guard let cached, cached.inode == inode, cached.offset <= size, cached.head == head else { return (MergeQueueState(), 0) }
            return (cached.state, cached.offset)
        }
        guard offset < size else { return state }
        try handle.seek(toOffset: UInt64(offset))
        let data = handle.readDataToEndOfFile()
        do {
            offset += try Self.forEachEvent(in: data, path: url.path) { state.apply($0) }
        } catch where offset > 0 {
            // The file was replaced under a reused inode: read it whole.
            cache.withLock { $0 = nil }
            return try readUnlocked()
        }
        let result = state
        let readOffset = offset
        cache.withLock { $0 = (result, readOffset, inode, head) }
        return result
    }

    private func forEachEvent(_ body: (MergeEvent) -> Void) throws {
        guard let data = FileManager.default.contents(atPath: url.path) else { return }
        _ = try Self.forEachEvent(in: data, path: url.path, body)
    }

    /// Reads the whole lines of `data`; returns the bytes they took (a torn last line is left).
    private static func forEachEvent(in data: Data, path: String, _ body: (MergeEvent) -> Void) throws -> Int {
        let decoder = JSONDecoder()
        var lineNumber = 0
        var start = data.startIndex
        while let newline = data[start...].firstIndex(of: 0x0A) {
            lineNumber += 1
            let line = data[start..<newline]
            start = data.index(after: newline)
            guard !line.isEmpty else { continue }
            do {
                body(try decoder.decode(MergeEvent.self, from: line))
            } catch {
                throw CorruptLog(path: path, line: lineNumber, reason: "\(error)")
            }
        }
        return start - data.startIndex
    }

    private func appendUnlocked(_ events: [MergeEvent], durable: Bool) throws {
        guard !events.isEmpty else { return }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var bytes = Data()
        for event in events {
            bytes.append(try encoder.encode(event))
            bytes.append(0x0A)
        }
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let fd = open(url.path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw WriteError(path: url.path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        // Cut a torn last line (no newline) left by a crash mid-write.
        var size = lseek(fd, 0, SEEK_END)
        if size > 0 {
            var last: UInt8 = 0
            if pread(fd, &last, 1, size - 1) == 1, last != 0x0A {
                var end = size - 1
                var byte: UInt8 = 0
                while end > 0, pread(fd, &byte, 1, end - 1) == 1, byte != 0x0A { end -= 1 }
                _ = ftruncate(fd, end)
                size = lseek(fd, end, SEEK_SET)
            }
        }
        guard FileDescriptorIO.writeAll(fd, bytes) else {
            let reason = String(cString: strerror(errno))
            // No partial line is left behind for the next reader.
            _ = ftruncate(fd, size)
            throw WriteError(path: url.path, reason: "appending: \(reason)")
        }
        if durable && fsync(fd) != 0 {
            throw WriteError(path: url.path, reason: "flushing to the disk: \(String(cString: strerror(errno)))")
        }
    }
}
