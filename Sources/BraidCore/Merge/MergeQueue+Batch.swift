import Foundation

extension MergeQueue {
    /// One merged candidate: the commit that lands it on top of the ones before it in the batch.
    struct Prefix {
        let candidate: MergeCandidate
        let commit: String
        let tree: String
    }

    /// Merges, gates and lands (or sends back) the candidates of one batch; returns why the queue
    /// must wait, if it must.
    func work(_ batch: [MergeCandidate], run: inout Run, report: Report) throws -> String? {
        let git = manager.git
        guard var base = try git.commit(of: landing.baseRef, context: "reading \(config.baseBranch)") else {
            throw MergeQueueError(message: "the base branch \(config.baseBranch) does not exist")
        }
        let tracking = try remoteTrackingBase()
        if let tracking, tracking != base {
            switch try catchUp(from: base, to: tracking, report: report) {
            case .caughtUp: base = tracking
            case .diverged, .behindNothing: break
            case .moved: return nil
            case .waiting(let why): return why
            }
        }
        var prefixes: [Prefix] = []
        var previous = base
        candidates: for candidate in batch {
            // Measured against a prefix of the batch (earlier candidates that have not landed, and
            // that the gate may still refuse), a conflict, a revert or work found already there may
            // be those candidates' doing: the rest of the batch waits for the next pass, merged on
            // what did land.
            let onPrefix = previous != base
            // With a remote, a task may have started from a base this branch does not hold (the
            // local and remote base branches diverged): landing it would carry commits that are
            // not the task's. That is for a person to sort out, not the agent.
            if tracking != nil, !(try plumbing.isAncestor(candidate.startCommit, of: base)) {
                throw MergeQueueError(message: "#\(candidate.task) started from \(candidate.startCommit.prefix(10)), which is not on \(config.baseBranch): \(config.baseBranch) and its remote branch have diverged. Reconcile them (git pull), then run `braid merge`.")
            }
            let merged: MergePlumbing.MergeTree
            do {
                merged = try plumbing.mergeTree(previous, candidate.tip)
            } catch {
                // Only a tip that is gone is the candidate's own problem; anything else stops the queue.
                guard !plumbing.exists(candidate.tip) else { throw error }
                try decide(.refused, candidate, reason: .unmergeable, detail: "its queued tip \(candidate.tip.prefix(10)) is gone",
                           run: &run, report: report)
                continue
            }
            switch merged {
            case .conflicted(let paths):
                if onPrefix { break candidates }
                if try closeIfLanded(candidate, onto: base, run: &run, report: report) { continue }
                let list = paths.isEmpty ? "(git named no path)" : paths.joined(separator: ", ")
                try decide(.refused, candidate, reason: .conflict,
                           detail: "Your branch conflicts with \(config.baseBranch) in: \(list). Bring the current \(config.baseBranch) into your branch (git merge \(config.baseBranch)), resolve the conflicts keeping the work already on \(config.baseBranch), and commit.",
                           run: &run, report: report)
            case .clean(let tree):
                let parents = config.mergeQueue.strategy == .squash ? [previous] : [previous, candidate.tip]
                let commit = try plumbing.commitTree(tree, parents: parents, message: message(for: candidate))
                // One process: what the merge changes, and what landed since the task started
                // (nothing, when it started from here: then its merge cannot revert anything).
                let since = candidate.startCommit == previous ? nil : candidate.startCommit
                let patches: MergePlumbing.GuardPatches
                do {
                    patches = try plumbing.guardPatches(merge: commit, onto: previous, since: since)
                } catch {
                    guard let since, !plumbing.exists(since) else { throw error }
                    try decide(.refused, candidate, reason: .unmergeable, detail: "its start commit \(since.prefix(10)) is gone",
                               run: &run, report: report)
                    continue
                }
                if patches.merged.isEmpty {
                    if onPrefix { break candidates }
                    try decide(.alreadyLanded, candidate, commit: previous, detail: "its changes are already on \(config.baseBranch)",
                               run: &run, report: report)
                    continue
                }
                let reverted = patches.gained.map { RevertGuard.revertedLines(gained: $0, merged: patches.merged) } ?? LineRanges()
                if !reverted.isEmpty && !candidate.asksToRevert {
                    if onPrefix { break candidates }
                    if try closeIfLanded(candidate, onto: base, run: &run, report: report) { continue }
                    try decide(.refused, candidate, reason: .staleBase,
                               detail: "Merging your branch would revert work that landed on \(config.baseBranch) after your branch started: \(reverted.summary) (line numbers of \(config.baseBranch)). Your branch has a stale copy of these lines. Bring the current \(config.baseBranch) into your branch and keep its version of them; change them only where your task requires it.",
                               run: &run, report: report)
                    continue
                }
                prefixes.append(Prefix(candidate: candidate, commit: commit, tree: tree))
                previous = commit
            }
        }
        guard !prefixes.isEmpty else { return nil }
        let batchPins = prefixes.count > 1 ? prefixes.indices.map { "refs/braid/batch/\($0 + 1)" } : []
        if !batchPins.isEmpty {
            try plumbing.updateRefs(zip(batchPins, prefixes).map { .update(ref: $0, new: $1.commit, old: nil) }, context: "pinning the batch")
        }
        defer {
            if !batchPins.isEmpty { _ = try? plumbing.updateRefs(batchPins.map { .delete(ref: $0) }, context: "unpinning the batch") }
        }
        let tasks = prefixes.map(\.candidate.task)
        try log.append([MergeEvent(kind: .step, tasks: tasks, step: "built", commit: previous, onto: base)], durable: false)
        MergeFault.crash(at: "built")

        let (landCount, culprit, output) = try gateAndBisect(prefixes, run: &run, report: report)
        try log.append([MergeEvent(kind: .step, tasks: tasks, step: "gated", commit: previous)], durable: false)
        // The culprit goes back whatever becomes of the prefix before it.
        if let culprit {
            let prefix = prefixes[culprit]
            try decide(.refused, prefix.candidate, reason: .gateFailed,
                       detail: "The gate failed on your branch merged with the current \(config.baseBranch) (it passed on your branch alone). Make it pass together with the work now on \(config.baseBranch).\n\n\(output[prefix.tree] ?? "the gate failed")",
                       run: &run, report: report)
        }

        if landCount > 0 {
            let landed = Array(prefixes.prefix(landCount))
            // Queued again with a new tip, or taken out, while this batch was gated: it is not
            // landed as it was; the next pass builds the queue as it is now.
            let pending = try log.read()
            guard landed.allSatisfy({ prefix in pending.candidate(prefix.candidate.task)?.tip == prefix.candidate.tip }) else {
                report("the queue changed while \(describe(tasks)) was gated: merging again")
                return nil
            }
            let commit = landed[landCount - 1].commit
            try log.append([MergeEvent(kind: .landing, tasks: landed.map(\.candidate.task), commits: landed.map(\.commit),
                                       commit: commit, onto: base)], durable: true)
            MergeFault.crash(at: "gated")
            // The landed tips' pins go with the landing, and so do their branches when their
            // worktrees go too: each only at the landed tip, so that nothing committed after is lost.
            let dropsBranches = config.mergeQueue.removeWorktree && config.mergeQueue.deleteBranch
            let refs: [MergePlumbing.RefChange] = landed.flatMap { prefix -> [MergePlumbing.RefChange] in
                [.delete(ref: prefix.candidate.pinRef, old: prefix.candidate.tip)]
                    + (dropsBranches ? [.delete(ref: "refs/heads/\(prefix.candidate.branch)", old: prefix.candidate.tip)] : [])
            }
            switch try landing.land(commit, over: base, along: refs) {
            case .landed(let refsDone):
                MergeFault.crash(at: "landed")
                try finishLanding(landed.map { ($0.candidate, $0.commit) }, refsDone: refsDone, run: &run, report: report)
            case .moved:
                try log.append([MergeEvent(kind: .settled, commit: commit, passed: false, detail: "\(config.baseBranch) moved")], durable: false)
                report("\(config.baseBranch) moved while \(describe(tasks)) was being gated: merging again on the new \(config.baseBranch)")
                return nil
            case .blockedByLocalChanges(let checkout, let paths):
                try log.append([MergeEvent(kind: .settled, commit: commit, passed: false, detail: "local changes")], durable: false)
                let waiting = "\(describe(landed.map(\.candidate.task))) passed the gate but cannot land: the checkout at \(checkout) has local changes to \(paths.joined(separator: ", ")), which landing would touch. Commit or stash them, then run `braid merge`."
                report(waiting)
                return waiting
            }
        }
        return nil
    }

    /// Gates the whole batch; on a failure, bisects over the pinned prefixes for the first failing
    /// one. Nobody is blamed on one sighting: the batch's failure must be seen again, on the
    /// culprit's own prefix (bisection gated it), or, when the culprit is the last candidate, on
    /// the batch gated a second time; a batch that passes then was a flake, and lands whole.
    /// Returns how many prefixes land, the culprit's index, and each failing tree's gate output.
    func gateAndBisect(_ prefixes: [Prefix], run: inout Run, report: Report) throws -> (Int, Int?, [String: String]) {
        var output: [String: String] = [:]
        let count = prefixes.count
        guard !(try gatePasses(prefixes[count - 1], run: &run, output: &output, report: report)) else { return (count, nil, output) }
        var good = 0, bad = count
        while bad - good > 1 {
            let middle = (good + bad) / 2
            if try gatePasses(prefixes[middle - 1], run: &run, output: &output, report: report) { good = middle } else { bad = middle }
        }
        if bad == count, run.failures[prefixes[count - 1].tree, default: 0] < 2 {
            report("the gate failed on the merged result of \(describe(prefixes.map(\.candidate.task))); running it again to rule out a flake")
            if try gatePasses(prefixes[count - 1], run: &run, output: &output, report: report) {
                return (count, nil, output)
            }
        }
        return (bad - 1, bad - 1, output)
    }

    /// Gates a merged tree in the integration worktree. A tree that passed under the same gate
    /// steps counts as passed; one that failed twice in this pass counts as failed.
    func gatePasses(_ prefix: Prefix, run: inout Run, output: inout [String: String], report: Report) throws -> Bool {
        // No step: nothing to run, so nothing to check out.
        guard !config.gate.isEmpty else { return true }
        let key = "\(prefix.tree):\(gateKey)"
        if try log.read().passedGates.contains(key) { return true }
        if run.failures[prefix.tree, default: 0] >= 2 { return false }
        try log.append([MergeEvent(kind: .step, tasks: [prefix.candidate.task], step: "gating", commit: prefix.commit)], durable: false)
        try integration.checkOut(prefix.commit)
        MergeFault.crash(at: "gating")
        let result = gate.runBlocking(in: integration.path)
        run.gateRuns += 1
        if result.passed {
            try log.append([MergeEvent(kind: .gate, tree: key, passed: true)], durable: false)
        } else {
            run.failures[prefix.tree, default: 0] += 1
            output[prefix.tree] = result.summary
        }
        report("gate \(result.passed ? "passed" : "failed") on the merged result up to #\(prefix.candidate.task)")
        return result.passed
    }

    /// The squash (or merge) commit's message: the task's title, then Braid's trailers.
    func message(for candidate: MergeCandidate) -> String {
        let steps = config.gate.map(\.name)
        var lines = [candidate.title.isEmpty ? "Task #\(candidate.task)" : candidate.title, "",
                     "Braid-Task: \(candidate.task)", "Braid-Agent: \(candidate.agent)"]
        if let session = candidate.session { lines.append("Braid-Session: \(session)") }
        lines.append("Braid-Gate: \(steps.isEmpty ? "none configured" : steps.joined(separator: ", "))")
        return lines.joined(separator: "\n") + "\n"
    }

    // MARK: The remote

    /// `refs/remotes/<remote>/<base>` as last fetched (task worktrees start from it), read from
    /// git's files; nil without one.
    func remoteTrackingBase() throws -> String? {
        guard let remote = try manager.baseRemote(context: "finding the remote base branch") else { return nil }
        return try manager.git.commit(of: "refs/remotes/\(remote)/\(config.baseBranch)", context: "reading the remote base branch")
    }

    enum CatchUp { case caughtUp, diverged, behindNothing, moved, waiting(String) }

    /// Tasks start from the fetched remote base branch; before landing on the local one, bring it
    /// up to that by a fast-forward (the same way a landing moves it), so that a squash never
    /// carries someone else's commits and the revert guard compares like with like.
    func catchUp(from base: String, to tracking: String, report: Report) throws -> CatchUp {
        if try plumbing.isAncestor(tracking, of: base) { return .behindNothing }
        guard try plumbing.isAncestor(base, of: tracking) else { return .diverged }
        switch try landing.land(tracking, over: base, along: []) {
        case .landed:
            report("brought \(config.baseBranch) up to its remote branch (\(tracking.prefix(10))) before landing")
            return .caughtUp
        case .moved:
            // Moved meanwhile: the next pass looks again.
            return .moved
        case .blockedByLocalChanges(let checkout, let paths):
            return .waiting("\(config.baseBranch) is behind its remote branch and cannot be fast-forwarded: the checkout at \(checkout) has local changes to \(paths.joined(separator: ", ")). Commit or stash them, then run `braid merge`.")
        }
    }

    func describe(_ tasks: [Int]) -> String { tasks.map { "#\($0)" }.joined(separator: ", ") }

    static func firstLine(_ text: String) -> String {
        String(text.split(separator: "\n", maxSplits: 1).first ?? "")
    }
}
