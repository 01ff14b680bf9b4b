import Foundation
import JSON
import Synchronization

/// One repository's Braid, shared by every client connected to its daemon: the supervisor (which
/// alone holds the journal), the board, and the fan-out of what happens to every subscriber.
///
/// What clients are told is derived from the files, not from scattered call sites: after each
/// supervisor event and a few times a second, the board, the journal and the merge log are
/// compared with what was last told, so a person's edit of the board in their editor is told
/// like Braid's own moves, and the order per task is the order of the changes.
public actor Service {
    public nonisolated let workspace: Workspace
    public nonisolated let config: BraidConfig
    public nonisolated let supervisor: Supervisor
    nonisolated let store: BoardStore
    nonisolated let journal: Journal
    nonisolated let mergeLog: MergeLog
    private var subscribers: [Int: AsyncStream<ServiceEvent>.Continuation] = [:]
    private var nextSubscriber = 0
    private var clients: Set<Int> = []
    /// Per task, what clients were last told.
    private var told: [Int: TaskSnapshot] = [:]
    /// Each told task as encoded JSON, made once per change of the task.
    private var encoded: [Int: [UInt8]] = [:]
    /// `task/list`'s answer, encoded: made again only after `told` changes, so that asking for a
    /// large board costs neither sorting nor encoding while it does not change.
    private var listed: [UInt8]?
    /// What the files looked like when an answer was built: it stays the answer while they match.
    struct ListStamp: Equatable, Sendable {
        let board: FileStamp?
        let journalEvents: Int
        let mergeLog: FileStamp?
        let reviews: Int
    }
    private nonisolated let publishedList = Mutex<(bytes: [UInt8], stamp: ListStamp)?>(nil)
    private var boardStamp: FileStamp?
    private var journalEvents = -1
    private var reviewsVersion = -1
    private var mergeSeq = 0
    private var mergeStamp: FileStamp?
    /// Something told in snapshots changed outside the files (a session started or ended).
    private var dirty = true
    /// The board as last read (at `boardStamp`), and the tasks the journal, the running sessions
    /// and the merge queue named then: while the board does not change, only those can.
    private var lastBoard: Board?
    private var namedLastTime: Set<Int> = []
    private var pendingMerges: Set<Int> = []
    var tails: [String: SessionTail] = [:]
    private var runningSessions: [Int: String] = [:]
    private var loops: [Task<Void, Never>] = []
    /// Tasks escalated and not yet decided: a client connecting later is asked too.
    public private(set) var openEscalations: [Int: (agent: String, reason: String)] = [:]
    private let supervisorEvents: AsyncStream<SupervisorEvent>

    /// Opens the repository's journal (refused while another process holds it: one daemon per
    /// repository) and recovers what a crash left once `start()` runs.
    public init(workspace: Workspace, config: BraidConfig) throws {
        self.workspace = workspace
        self.config = config
        let journal = try Journal.open(in: workspace.stateDirectory)
        self.journal = journal
        store = workspace.boardStore(config)
        mergeLog = MergeQueue.log(in: workspace)
        let (events, sink) = AsyncStream<SupervisorEvent>.makeStream()
        supervisorEvents = events
        do {
            supervisor = try Supervisor(workspace: workspace, config: config, journal: journal) { event in sink.yield(event) }
        } catch {
            journal.close()
            throw error
        }
    }

    /// Starts the supervisor's loop and the watch of the files; returns at once.
    public func start() {
        guard loops.isEmpty else { return }
        mergeSeq = (try? mergeLog.read().lastSeq) ?? 0
        refresh()
        let supervisor = self.supervisor, events = supervisorEvents
        loops.append(Task { [weak self] in
            do {
                try await supervisor.serve()
            } catch {
                await self?.broadcast(.log("the supervisor stopped: \(error)"))
            }
        })
        loops.append(Task { [weak self] in
            for await event in events { await self?.handle(event) }
        })
        loops.append(Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: .milliseconds(Self.pollMilliseconds))
                await self?.poll()
            }
        })
    }

    /// How often session logs, the board and the merge log are looked at: output is told in
    /// slices at most this far apart.
    public static let pollMilliseconds = 100

    /// Stops the loops and releases the journal. Agents keep running: the next start re-adopts them.
    public func close() async {
        await supervisor.stop()
        for loop in loops { loop.cancel() }
        loops = []
        for subscriber in subscribers.values { subscriber.finish() }
        subscribers = [:]
        journal.close()
    }

    /// Nothing runs, nothing is queued, and no run is asked for: the daemon may exit when no
    /// client is connected either.
    public func isQuiet() async -> Bool {
        let busy = await supervisor.busyTasks
        let merging = await supervisor.isMerging
        let mode = await supervisor.mode
        let reviewing = await supervisor.reviewingTasks
        return busy.isEmpty && !merging && mode != .running && reviewing.isEmpty
    }

    // MARK: Subscribers

    /// Every event from now on, in order, until `unsubscribe`.
    /// - Parameter client: false for the daemon's own listeners (its log), which are not clients.
    public func subscribe(client: Bool = true) -> (Int, AsyncStream<ServiceEvent>) {
        let (stream, sink) = AsyncStream<ServiceEvent>.makeStream()
        nextSubscriber += 1
        subscribers[nextSubscriber] = sink
        if client { clients.insert(nextSubscriber) }
        return (nextSubscriber, stream)
    }

    public func unsubscribe(_ id: Int) {
        subscribers.removeValue(forKey: id)?.finish()
        clients.remove(id)
    }

    /// Clients listening now.
    public var subscriberCount: Int { clients.count }

    /// Tells every client something they should act on.
    public func announce(_ message: String) {
        broadcast(.notice(message))
    }

    func broadcast(_ event: ServiceEvent) {
        for subscriber in subscribers.values { subscriber.yield(event) }
    }

    // MARK: What happened

    private func handle(_ event: SupervisorEvent) {
        switch event {
        case .line(let line):
            broadcast(.log(line))
        case .sessionStarted(let task, let session, let agent, let attempt, let pid, let log):
            runningSessions[task] = session
            dirty = true
            tails[session] = SessionTail(task: task, session: session, path: log)
            broadcast(.sessionStarted(task: task, session: session, agent: agent, attempt: attempt, pid: pid))
            refresh()
        case .sessionExited(let task, let session, let exitCode, let signal, let reason):
            // Its log is complete: tell the rest of its output before its end.
            if var tail = tails.removeValue(forKey: session) {
                for slice in tail.read(final: true) { broadcast(.sessionOutput(task: task, session: session, offset: slice.offset, text: slice.text)) }
            }
            if runningSessions[task] == session {
                runningSessions[task] = nil
                dirty = true
            }
            broadcast(.sessionExited(task: task, session: session, exitCode: exitCode, signal: signal, reason: reason))
        case .gateStarted(let task, let session, let steps):
            broadcast(.gateStarted(task: task, session: session, steps: steps))
        case .gateFinished(let task, let session, let result):
            broadcast(.gateResult(task: task, session: session, result: result))
        case .escalated(let task, let agent, let reason):
            refresh()
            openEscalations[task] = (agent, reason)
            broadcast(.escalated(task: task, agent: agent, reason: reason))
        case .mergeStarted:
            broadcast(.mergeStarted)
        case .mergeFinished(let landed, let refused, let waiting):
            refresh()
            broadcast(.mergeFinished(landed: landed, refused: refused, waiting: waiting))
        case .runStarted:
            broadcast(.runStarted)
        case .runEnded:
            refresh()
            broadcast(.runEnded)
        case .stateChanged:
            refresh()
        }
    }

    private func poll() {
        for (session, var tail) in tails {
            let slices = tail.read(final: false)
            tails[session] = tail
            for slice in slices { broadcast(.sessionOutput(task: tail.task, session: session, offset: slice.offset, text: slice.text)) }
        }
        refresh()
    }

    /// Tells what changed since the last look: merge decisions first (they explain the moves),
    /// then each task whose card or record changed; and publishes `task/list`'s answer.
    func refresh() {
        defer { publishTaskList() }
        lookAtFiles()
    }

    private func lookAtFiles() {
        let mergeStampNow = FileStamp(of: mergeLog.url)
        if mergeStampNow != mergeStamp, let state = try? mergeLog.read() {
            mergeStamp = mergeStampNow
            if state.lastSeq < mergeSeq { mergeSeq = 0 }
            for decision in state.decisions where decision.seq > mergeSeq { broadcast(.mergeDecided(decision)) }
            mergeSeq = state.lastSeq
            let pending = Set(state.pending.map(\.task))
            if pending != pendingMerges {
                pendingMerges = pending
                dirty = true
            }
        }
        let stamp = FileStamp(of: store.path)
        let events = journal.eventCount
        let reviewsNow = supervisor.reviews.version
        guard dirty || stamp != boardStamp || events != journalEvents || reviewsNow != reviewsVersion else { return }
        let state = journal.state
        if stamp == boardStamp, reviewsNow == reviewsVersion, let board = lastBoard {
            // The board is as last read: only what the journal records, what runs and what waits
            // to merge changed, so only the tasks these name (now or at the last look) are told
            // again, not the whole board.
            journalEvents = events
            dirty = false
            var named = Set(state.tasks.keys)
            named.formUnion(runningSessions.keys)
            named.formUnion(pendingMerges)
            for id in named.union(namedLastTime).sorted() {
                if let task = board.task(id: id) { tell(task, id: id, state: state) }
            }
            namedLastTime = named
            return
        }
        reviewsVersion = reviewsNow
        guard var board = try? store.read() else { return }
        if board.tasks.contains(where: { $0.id == nil }) {
            // A task written by hand: numbered now, so that clients can name it.
            guard let numbered = try? store.update({ $0 }) else { return }
            board = numbered
        }
        // The stamp taken before reading: a board saved meanwhile is read again at the next look.
        boardStamp = stamp
        journalEvents = events
        dirty = false
        lastBoard = board
        namedLastTime = Set(state.tasks.keys).union(runningSessions.keys).union(pendingMerges)
        let tasks = board.tasks
        var seen = Set<Int>(minimumCapacity: tasks.count)
        for index in tasks.indices {
            guard let id = tasks[index].id else { continue }
            seen.insert(id)
            tell(tasks[index], id: id, state: state)
        }
        for id in told.keys where !seen.contains(id) {
            told[id] = nil
            encoded[id] = nil
            listed = nil
            openEscalations[id] = nil
            broadcast(.taskRemoved(id))
        }
    }

    /// Tells the task if its snapshot changed since it was last told.
    private func tell(_ task: BoardTask, id: Int, state: SupervisorState) {
        // Open while the task waits in Blocked with its escalation as its last outcome: a decision
        // (abandoned stays Blocked too), a move or a removal closes it, and a restarted daemon
        // finds the open ones in the journal.
        if task.section == .blocked, let record = state.task(id), record.outcome == .escalated {
            if openEscalations[id] == nil {
                openEscalations[id] = (record.agent ?? task.agent ?? config.defaultAgent,
                                       record.outcomeDetail ?? task.blockedReason ?? "escalated")
            }
        } else {
            openEscalations[id] = nil
        }
        let snapshot = TaskSnapshot(task, id: id, record: state.task(id), runningSession: runningSessions[id],
                                    queued: pendingMerges.contains(id), review: supervisor.reviews.record(id))
        guard told[id] != snapshot else { return }
        told[id] = snapshot
        encoded[id] = nil
        listed = nil
        broadcast(.taskChanged(snapshot))
    }

    // MARK: Reading

    /// Every task on the board, in board order, as last told (fresh: the files are looked at first).
    public func tasks() -> [TaskSnapshot] {
        refresh()
        return told.keys.sorted().compactMap { told[$0] }
    }

    /// `tasks()` as `task/list` answers it, encoded: `{"tasks":[...]}`.
    public func encodedTaskList() -> [UInt8] {
        refresh()
        return buildTaskList()
    }

    /// `task/list`'s answer without waiting for the actor, when it is known to be current: nothing
    /// in the files changed since it was built (most looks at them, ten a second, find nothing
    /// new). Nil: ask `encodedTaskList()`, which looks first.
    public nonisolated func currentTaskList() -> [UInt8]? {
        guard let published = publishedList.withLock({ $0 }) else { return nil }
        let now = ListStamp(board: FileStamp(of: store.path), journalEvents: journal.eventCount,
                            mergeLog: FileStamp(of: mergeLog.url), reviews: supervisor.reviews.version)
        return now == published.stamp ? published.bytes : nil
    }

    /// Keeps the answer of the state just looked at where `currentTaskList()` finds it.
    private func publishTaskList() {
        let bytes = buildTaskList()
        let stamp = ListStamp(board: boardStamp, journalEvents: journalEvents, mergeLog: mergeStamp, reviews: reviewsVersion)
        publishedList.withLock { $0 = (bytes, stamp) }
    }

    private func buildTaskList() -> [UInt8] {
        if let listed { return listed }
        var json = Array(#"{"tasks":["#.utf8)
        for (i, id) in told.keys.sorted().enumerated() {
            if i > 0 { json.append(UInt8(ascii: ",")) }
            if let bytes = encoded[id] {
                json.append(contentsOf: bytes)
            } else if let task = told[id] {
                let bytes = JSONWriter.encode(task.json)
                encoded[id] = bytes
                json.append(contentsOf: bytes)
            }
        }
        json.append(contentsOf: "]}".utf8)
        listed = json
        return json
    }

    public func task(_ id: Int) throws -> TaskSnapshot {
        refresh()
        guard let snapshot = told[id] else { throw RequestError.noSuchTask(id) }
        return snapshot
    }
}
