import Foundation

/// What teams running several agents measure, overall and per agent, folded from the journal:
/// tasks completed, failed and reassigned, gate catches, merge conflicts, retries, escalations,
/// stale-base catches, lines changed, wall time per task, and agent cost where agents report it.
public struct Metrics: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        /// An agent's name, or nil for the row of all agents.
        public var agent: String?
        /// Tasks landed on the base branch (with this agent's work).
        public var tasksCompleted = 0
        /// Tasks escalated or abandoned, and not landed since.
        public var tasksFailed = 0
        /// Tasks taken from this agent and given to another.
        public var tasksReassigned = 0
        public var sessions = 0
        /// Times a gate stopped work: on the task's branch, or on the branch merged with the base.
        public var gateCatches = 0
        public var mergeConflicts = 0
        public var staleBaseCatches = 0
        public var retries = 0
        public var escalations = 0
        /// Lines added and removed by the landed commits.
        public var linesAdded = 0
        public var linesRemoved = 0
        /// From a task's first session to its landing, over the landed tasks.
        public var wallTimeMedianSeconds: Double?
        public var wallTimeP90Seconds: Double?
        /// Nil when no session reported a cost.
        public var costUSD: Double?

        public init(agent: String?) { self.agent = agent }
    }

    public var overall: Row
    /// One row per agent, by name.
    public var agents: [Row]

    /// - Parameter lines: lines added and removed per landed commit (see `LineCount`).
    public init(state: SupervisorState, lines: [String: (added: Int, removed: Int)]) {
        var overall = Row(agent: nil)
        var rows: [String: Row] = [:]
        var wallTimes: [String?: [Double]] = [:]
        for record in state.tasks.values {
            let failed = record.doneAt == nil && (record.outcome == .escalated || record.outcome == .abandoned)
            if failed {
                overall.tasksFailed += 1
                if let agent = record.agent { rows[agent, default: Row(agent: agent)].tasksFailed += 1 }
            }
            if record.tallies.values.contains(where: { $0.reassignedAway > 0 }) { overall.tasksReassigned += 1 }
            let landedLines = record.landedCommit.flatMap { lines[$0] }
            if record.doneAt != nil {
                overall.tasksCompleted += 1
                overall.linesAdded += landedLines?.added ?? 0
                overall.linesRemoved += landedLines?.removed ?? 0
            }
            let wall = record.doneAt.flatMap { done in record.firstStartedAt.map { done.timeIntervalSince($0) } }
            if let wall { wallTimes[nil, default: []].append(wall) }
            for (agent, tally) in record.tallies {
                var row = rows[agent] ?? Row(agent: agent)
                row.add(tally)
                overall.add(tally)
                if tally.reassignedAway > 0 { row.tasksReassigned += 1 }
                if tally.completed > 0 {
                    row.tasksCompleted += 1
                    row.linesAdded += landedLines?.added ?? 0
                    row.linesRemoved += landedLines?.removed ?? 0
                    if let wall { wallTimes[agent, default: []].append(wall) }
                }
                rows[agent] = row
            }
        }
        overall.setWallTimes(wallTimes[nil] ?? [])
        for agent in Array(rows.keys) { rows[agent]?.setWallTimes(wallTimes[agent] ?? []) }
        self.overall = overall
        agents = rows.values.sorted { ($0.agent ?? "") < ($1.agent ?? "") }
    }

    /// The median and 90th percentile (nearest rank) of `values`.
    static func percentile(_ values: [Double], _ p: Double) -> Double? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}

extension Metrics.Row {
    mutating func add(_ tally: TaskRecord.Tally) {
        sessions += tally.sessions
        gateCatches += tally.gateCatches + tally.mergeGateCatches
        mergeConflicts += tally.mergeConflicts
        staleBaseCatches += tally.staleBaseCatches
        retries += tally.retries
        escalations += tally.escalations
        if tally.costUSD != 0 { costUSD = (costUSD ?? 0) + tally.costUSD }
    }

    mutating func setWallTimes(_ values: [Double]) {
        wallTimeMedianSeconds = Metrics.percentile(values, 0.5)
        wallTimeP90Seconds = Metrics.percentile(values, 0.9)
    }
}

/// Lines added and removed by commits, each against its first parent, in one git process.
public enum LineCount {
    /// A commit that is no longer in the repository (history rewritten, collected) counts nothing.
    public static func of(_ commits: [String], git: Git) throws(GitError) -> [String: (added: Int, removed: Int)] {
        let ids = commits.filter(WorktreeManager.isObjectID)
        guard !ids.isEmpty else { return [:] }
        let arguments = ["show", "--no-color", "--no-renames", "--first-parent", "--shortstat", "--format=%x01%H"]
        let output: String
        do {
            output = try git.output(arguments + ids, context: "counting changed lines")
        } catch {
            guard case .commandFailed = error, ids.count > 1 else { return [:] }
            var each: [String: (added: Int, removed: Int)] = [:]
            for id in ids { each.merge((try? of([id], git: git)) ?? [:]) { first, _ in first } }
            return each
        }
        var result: [String: (added: Int, removed: Int)] = [:]
        var current: String?
        for line in output.split(separator: "\n") {
            if line.hasPrefix("\u{01}") {
                current = String(line.dropFirst())
                if let current { result[current] = (0, 0) }
            } else if let current, line.contains("changed") {
                let parts = line.split(separator: ",")
                func number(_ word: String) -> Int {
                    parts.first { $0.contains(word) }.flatMap { Int($0.split(separator: " ").first ?? "") } ?? 0
                }
                result[current] = (number("insertion"), number("deletion"))
            }
        }
        return result
    }
}
