import Foundation

/// A review under way: its session, the flag that stops it, and the task that runs it.
struct ReviewRun {
    let session: String
    let stop: ReviewStop
    let task: Task<Void, Never>
}

/// The review that follows a passed gate: the diff's risk always, and, with `review.agent`, a
/// fresh-context reviewer whose findings a person adjudicates before the task may land.
extension Supervisor {
    /// Tasks whose review runs now.
    public var reviewingTasks: [Int] { reviewing.keys.sorted() }

    /// Measures the task's risk and runs its reviewer (if any), off the actor.
    func startReview(_ task: BoardTask, id: Int, worktree: TaskWorktree) {
        let session = "review-\(id)-" + String(UInt32.random(in: 0...UInt32.max), radix: 16)
        reviewing[id] = session
        // From now on the record says a review runs: no older one is trusted meanwhile, nor after a crash.
        if config.review.isOn {
            try? reviews.save(ReviewRecord(task: id, status: .running, reviewer: config.review.agent, session: session))
        }
        let runner = reviewRunner, sink = resultSinkForReviews
        let stop = ReviewStop()
        let run = Task {
            let record = await runner.run(task: task, id: id, worktree: worktree, session: session, stop: stop) { record in
                await self.reviewStarted(record)
            }
            sink(record)
        }
        reviewRuns[id] = ReviewRun(session: session, stop: stop, task: run)
    }

    /// Ends the task's review, if one runs, before newer work starts in its worktree: returns once
    /// its reviewer is gone and what it left is undone. Its result, when it comes, is dropped.
    func stopReview(_ id: Int) async {
        guard let session = reviewing[id] else { return }
        reviewing[id] = nil
        let run = reviewRuns.removeValue(forKey: id)
        report("#\(id) its review (session \(session)) is stopped: newer work starts")
        run?.stop.set()
        AgentIdentity.kill(session: session)
        await run?.task.value
    }

    private func reviewStarted(_ record: ReviewRecord) {
        guard reviewing[record.task] == record.session else { return }
        try? reviews.save(record)
        report("#\(record.task) reviewing with \(record.reviewer ?? "?") (session \(record.session ?? "?"))")
        emit(.stateChanged)
    }

    /// A review is in: recorded, then the task is queued when nothing stops it, or waits for a person.
    func reviewed(_ record: ReviewRecord) throws {
        let id = record.task
        // A review that newer work stopped decides nothing.
        guard record.session == nil || reviewing[id] == record.session else {
            report("#\(id) a review of older work ended (session \(record.session ?? "?")): its result is dropped")
            return
        }
        reviewing[id] = nil
        reviewRuns[id] = nil
        try reviews.save(record)
        emit(.stateChanged)
        guard let task = try store.read().task(id: id), task.section == .review else { return }
        switch record.status {
        case .failed:
            report("#\(id) review failed: \(record.error ?? "unknown error"); it waits in Review (review/run tries again)")
        case .ready where !reviewLetsThrough(id):
            let worst = record.findings.map(\.severity).max()?.rawValue ?? "none"
            report("#\(id) reviewed: \(record.findings.count) finding\(record.findings.count == 1 ? "" : "s") (worst \(worst)) wait for a person (`braid review #\(id)`)")
        default:
            if record.status == .ready { report("#\(id) reviewed: nothing that needs a person") }
            if config.mergeQueue.auto || record.status == .ready { enqueueForMerge(task, id: id) }
        }
    }

    /// Whether the task may go to the merge queue without a person: no reviewer; or `review.auto`
    /// and no finding above the threshold; or every finding has been adjudicated and none kept.
    func reviewLetsThrough(_ id: Int) -> Bool {
        guard config.review.isOn else { return true }
        guard let record = reviews.record(id) else { return false }
        switch record.status {
        case .adjudicated: return record.kept.isEmpty
        case .ready: return config.review.auto && record.findings.allSatisfy { $0.severity <= config.review.threshold }
        case .none, .running, .failed: return false
        }
    }

    /// With `review.veto`, a finding blocks the merge until a person overrules it.
    func vetoBlocks(_ id: Int) -> String? {
        guard config.review.isOn, config.review.veto, !reviewLetsThrough(id) else { return nil }
        guard let record = reviews.record(id) else { return "#\(id) has not been reviewed yet, and its reviewer has a veto" }
        switch record.status {
        case .running: return "#\(id)'s review is still running, and its reviewer has a veto"
        case .failed: return "#\(id)'s review failed (\(record.error ?? "?")), and its reviewer has a veto: `review/run` tries again"
        default:
            let standing = record.findings.filter { $0.decision?.keep != false }.count
            // A review without findings (or with every one overruled) has nothing to veto.
            guard standing > 0 else { return nil }
            return "#\(id)'s reviewer has a veto and \(standing) finding\(standing == 1 ? "" : "s") not overruled: adjudicate them (`braid review #\(id)`)"
        }
    }

    /// A person's decisions about findings (keep, or overrule, each with a reason). Once every
    /// finding is decided: none kept → the task is queued for merging; some kept → it goes back to
    /// its builder with them in its next prompt (not a failed try).
    public func adjudicate(task id: Int, decisions: [(finding: Int, keep: Bool, reason: String)]) throws -> ReviewRecord {
        guard let task = try store.read().task(id: id) else { throw RequestError.noSuchTask(id) }
        guard task.section == .review else { throw RequestError.wrongState("#\(id) is in \(task.section.heading); findings are decided while it is in Review") }
        guard var record = reviews.record(id), record.status == .ready || record.status == .adjudicated else {
            throw RequestError.wrongState("#\(id) has no review findings to decide" + (reviews.record(id).map { " (its review is \($0.status.rawValue))" } ?? ""))
        }
        for decision in decisions {
            guard let index = record.findings.firstIndex(where: { $0.id == decision.finding }) else {
                throw RequestError.invalid("#\(id)'s review has no finding \(decision.finding) (it has 1 to \(record.findings.count))")
            }
            guard !decision.reason.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw RequestError.invalid("finding \(decision.finding) needs a reason")
            }
            record.findings[index].decision = .init(keep: decision.keep, reason: decision.reason)
        }
        if record.undecided.isEmpty { record.status = .adjudicated }
        try reviews.save(record)
        emit(.stateChanged)
        guard record.status == .adjudicated else { return record }
        if record.kept.isEmpty {
            report("#\(id): every finding overruled; queued for merging")
            enqueueForMerge(task, id: id)
        } else {
            // Queued by an earlier decision (or by hand), it must not land meanwhile.
            _ = try mergeQueue.remove(task: id, reason: "a reviewer's finding was kept")
            let text = record.kept.map(\.promptText).joined(separator: "\n")
            try journal.append(.taskOutcome(task: id, outcome: .reviewChanges, detail: text, agent: nil, at: Date()))
            try backToTodo(id, "#\(id): \(record.kept.count) finding\(record.kept.count == 1 ? "" : "s") kept; back to its agent")
            wake()
        }
        return record
    }

    /// Runs the task's review again (after a failed one, or to look at newer work).
    public func reviewAgain(task id: Int) throws {
        guard let task = try store.read().task(id: id) else { throw RequestError.noSuchTask(id) }
        guard task.section == .review else { throw RequestError.wrongState("#\(id) is in \(task.section.heading); only a task in Review is reviewed") }
        guard reviewing[id] == nil else { throw RequestError.wrongState("#\(id)'s review is already running") }
        guard !isBusy(id) else { throw RequestError.wrongState("#\(id) has a gate running") }
        guard config.review.isOn else { throw RequestError.wrongState("no reviewer is configured (review.agent)") }
        guard let worktree = try registry.worktree(forTask: id) else { throw RequestError.wrongState("#\(id) has no worktree") }
        startReview(task, id: id, worktree: worktree)
    }
}
