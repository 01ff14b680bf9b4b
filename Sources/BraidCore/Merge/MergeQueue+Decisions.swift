#if canImport(Glibc)
import Glibc
#endif
import Foundation

extension MergeQueue {
    /// Closes a candidate whose work a commit on the base branch already holds (by patch-id).
    func closeIfLanded(_ candidate: MergeCandidate, onto base: String, run: inout Run, report: Report) throws -> Bool {
        guard let commit = try? plumbing.commitWithSamePatch(branchStart: candidate.startCommit, tip: candidate.tip, onto: base,
                                                             since: candidate.startCommit) else { return false }
        try decide(.alreadyLanded, candidate, commit: commit,
                   detail: "its work is already on \(config.baseBranch) as \(commit.prefix(10)) (same patch-id)", run: &run, report: report)
        return true
    }

    /// Records a decision (fsynced), then carries out its effects on the board, refs and worktree,
    /// then records that they are done: a crash in between is finished by the next recovery.
    func decide(_ kind: MergeDecision.Kind, _ candidate: MergeCandidate, reason: MergeDecision.Reason? = nil,
                commit: String? = nil, detail: String, refsDone: Bool = false, run: inout Run, report: Report) throws {
        let decision: MergeDecision = try log.update(durable: true) { state in
            let decision = MergeDecision(seq: state.lastSeq + 1, task: candidate.task, tip: candidate.tip, kind: kind, reason: reason,
                                         commit: commit, detail: detail, agent: candidate.agent)
            return ([MergeEvent(kind: .decided, candidate: candidate, decision: decision)], decision)
        }
        run.decisions.append(decision)
        switch kind {
        case .refused:
            report("#\(candidate.task) refused by the merge queue (\(reason?.rawValue ?? "refused")): \(Self.firstLine(detail))")
        case .landed:
            report("#\(candidate.task) landed on \(config.baseBranch) as \(commit?.prefix(10) ?? "?")")
        case .alreadyLanded:
            report("#\(candidate.task) closed as done: \(detail)")
        }
        try carryOut(decision, candidate, refsDone: refsDone, report: report)
    }

    /// A decision's effects, each safe to repeat: unpin the tip (unless the landing did, `refsDone`);
    /// for a landing, the card to Done with its commit, and the worktree and branch removed (unless
    /// the branch moved on after it was queued: then both are kept, and so is its newer work); for
    /// a refusal, the card back to Todo when it waits in Review or Todo (an escalation decided
    /// meanwhile is not undone).
    func carryOut(_ decision: MergeDecision, _ candidate: MergeCandidate, refsDone: Bool = false, report: Report) throws {
        let tip = decision.tip ?? candidate.tip
        let store = workspace.boardStore(config)
        if decision.isDone {
            try store.update { board in
                guard board.task(id: candidate.task) != nil else { return }
                try board.move(id: candidate.task, to: .done)
                try board.setOwner(id: candidate.task, nil)
                try board.setField(id: candidate.task, key: .blocked, value: nil)
                if let commit = decision.commit { try board.setField(id: candidate.task, key: .landed, value: String(commit.prefix(12))) }
            }
            if refsDone && config.mergeQueue.removeWorktree && config.mergeQueue.deleteBranch {
                // The landing deleted the branch, at the landed tip: nothing newer was on it.
                discardWorktree(of: candidate, report: report)
            } else {
                // The worktree goes only if its branch has nothing newer than the landed tip.
                let branchGone = config.mergeQueue.removeWorktree && removeWorktree(of: candidate, tip: tip, report: report)
                // The pin (unless the landing removed it), and the branch once its worktree is
                // gone, in one transaction; each only at the landed tip.
                var changes: [MergePlumbing.RefChange] = refsDone ? [] : [.delete(ref: candidate.pinRef, old: tip)]
                if branchGone && config.mergeQueue.deleteBranch && !candidate.branch.isEmpty {
                    changes.append(.delete(ref: "refs/heads/\(candidate.branch)", old: tip))
                }
                if !changes.isEmpty, (try? plumbing.updateRefs(changes, context: "unpinning #\(candidate.task)")) != true {
                    report("#\(candidate.task) landed, but its pin or branch could not be removed; `braid worktree prune` and the next pass retry")
                    if !refsDone { _ = try? plumbing.updateRefs([.delete(ref: candidate.pinRef, old: tip)], context: "unpinning #\(candidate.task)") }
                }
            }
        } else {
            _ = try? plumbing.updateRefs([.delete(ref: candidate.pinRef, old: tip)], context: "unpinning #\(candidate.task)")
            try store.update { board in
                guard let task = board.task(id: candidate.task), task.section == .review || task.section == .todo else { return }
                try board.move(id: candidate.task, to: .todo)
                try board.setOwner(id: candidate.task, nil)
            }
        }
        try log.append([MergeEvent(kind: .applied, seq: decision.seq)], durable: false)
    }

    /// After a landing whose transaction already handled the refs: the worktree goes at once, its
    /// files deleted in the background.
    private func discardWorktree(of candidate: MergeCandidate, report: Report) {
        let registry = workspace.worktreeRegistry
        guard let worktree = try? registry.worktree(forTask: candidate.task), worktree.branch == candidate.branch else { return }
        do {
            try manager.discard(worktree, trash: workspace.trashDirectory)
            try registry.forget(taskID: candidate.task)
        } catch {
            report("#\(candidate.task) landed, but its worktree could not be removed: \(error)")
        }
    }

    /// Removes a landed task's worktree, unless its branch has moved past the landed tip (then the
    /// newer work stays where it is). Whether it was removed; the work is landed whatever happens
    /// here: a failure is told, not thrown.
    private func removeWorktree(of candidate: MergeCandidate, tip: String, report: Report) -> Bool {
        let registry = workspace.worktreeRegistry
        guard let worktree = try? registry.worktree(forTask: candidate.task), worktree.branch == candidate.branch else {
            return true
        }
        do {
            let branchRef = "refs/heads/\(worktree.branch)"
            if let now = try manager.git.commit(of: branchRef, context: "reading #\(candidate.task)'s branch"), now != tip {
                report("#\(candidate.task) landed, but its branch has commits made after it was queued: its branch and worktree are kept")
                return false
            }
            try manager.discard(worktree, trash: workspace.trashDirectory)
            try registry.forget(taskID: candidate.task)
            return true
        } catch {
            report("#\(candidate.task) landed, but its worktree could not be removed: \(error)")
            return false
        }
    }

    /// Records each landed `(candidate, commit)`; the landing intent is settled after them, so that
    /// a crash in between finds the intent open and finishes it.
    func finishLanding(_ landed: [(MergeCandidate, String)], refsDone: Bool, run: inout Run, report: Report) throws {
        let decided = Set(try log.read().decisions.filter { $0.isDone }.map { "\($0.task):\($0.tip ?? "")" })
        for (candidate, commit) in landed where !decided.contains("\(candidate.task):\(candidate.tip)") {
            try decide(.landed, candidate, commit: commit, detail: "landed as \(commit)", refsDone: refsDone, run: &run, report: report)
        }
        try log.append([MergeEvent(kind: .settled, commit: landed.last?.1, passed: true)], durable: false)
    }

    // MARK: Recovery

    /// What a crash may have left, looked for only when the last pass did not end cleanly: git's
    /// lock files, dead worktrees, a landing whose outcome was not recorded, decisions whose
    /// effects were not carried out, pinned tips already on the base branch, stray pins.
    func recover(_ run: inout Run, report: Report) throws {
        var state = try log.read()
        guard !state.endedCleanly || state.openLanding != nil else { return }
        removeStaleLocks()
        let git = manager.git
        try git.run(["worktree", "prune"], context: "pruning dead worktrees")
        guard let base = try git.commit(of: landing.baseRef, context: "reading \(config.baseBranch)") else { return }
        if let open = state.openLanding {
            if open.commit == base || (try? plumbing.isAncestor(open.commit, of: base)) == true {
                report("a landing of \(describe(open.tasks)) was interrupted after it happened: recording it")
                let commits = open.commits.count == open.tasks.count ? open.commits : open.tasks.map { _ in open.commit }
                let landed = zip(open.tasks, commits).compactMap { task, commit in state.candidate(task).map { ($0, commit) } }
                try finishLanding(landed, refsDone: false, run: &run, report: report)
            } else {
                report("a landing of \(describe(open.tasks)) was interrupted before it happened: merging again")
                try log.append([MergeEvent(kind: .settled, commit: open.commit, passed: false, detail: "interrupted")], durable: false)
            }
            state = try log.read()
        }
        // Decisions whose effects a crash cut short.
        for decision in state.decisions where decision.seq > state.appliedSeq {
            let candidate = MergeCandidate(task: decision.task, title: "", text: "", tip: decision.tip ?? "", branch: "",
                                           startCommit: "", worktree: nil, agent: decision.agent, session: nil)
            try carryOut(decision, state.decidedCandidates[decision.seq] ?? candidate, report: report)
        }
        for candidate in try log.read().pending where candidate.tip == base || (try? plumbing.isAncestor(candidate.tip, of: base)) == true {
            try decide(.alreadyLanded, candidate, commit: base, detail: "its tip is already on \(config.baseBranch)", run: &run, report: report)
        }
        try sweepPins()
    }

    /// Deletes pins a crash left for tasks no longer waiting, under the log's lock (so that a pin
    /// being queued right now is not taken for stray) and each only at the value it was read at.
    private func sweepPins() throws {
        try log.update(durable: false) { state -> (events: [MergeEvent], result: Void) in
            let waiting = Set(state.pending.map(\.pinRef))
            let listing = try manager.git.output(["for-each-ref", "--format=%(refname) %(objectname)", "refs/braid/"], context: "listing pins")
            let stale: [MergePlumbing.RefChange] = listing.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ")
                guard parts.count == 2 else { return nil }
                let ref = String(parts[0])
                guard ref.hasPrefix("refs/braid/batch/") || (ref.hasPrefix("refs/braid/queue/") && !waiting.contains(ref)) else { return nil }
                return .delete(ref: ref, old: String(parts[1]))
            }
            if !stale.isEmpty { _ = try? plumbing.updateRefs(stale, context: "removing stale pins") }
            return ([], ())
        }
    }

    /// Lock files git leaves when it is killed mid-command: the integration worktree's index lock
    /// (only the queue uses that worktree, and it holds the queue's lock), and lock files of the
    /// base branch and of Braid's pins old enough that no live command holds them.
    private func removeStaleLocks() {
        if let lock = integration.indexLock() { unlink(lock.path) }
        guard let common = try? manager.commonDirectory(context: "finding git's directory") else { return }
        let candidates = [common.appendingPathComponent("refs/heads/\(config.baseBranch).lock"),
                          common.appendingPathComponent("packed-refs.lock")]
            + (Self.files(under: common.appendingPathComponent("refs/braid"))
               + Self.files(under: common.appendingPathComponent("refs/heads/braid"))).filter { $0.pathExtension == "lock" }
        for file in candidates {
            guard let attributes = try? FileManager.default.attributesOfItem(atPath: file.path),
                  let modified = attributes[.modificationDate] as? Date, Date().timeIntervalSince(modified) > 10 else { continue }
            unlink(file.path)
        }
    }

    private static func files(under folder: URL) -> [URL] {
        guard let enumerator = FileManager.default.enumerator(at: folder, includingPropertiesForKeys: nil) else { return [] }
        return enumerator.compactMap { $0 as? URL }
    }
}
