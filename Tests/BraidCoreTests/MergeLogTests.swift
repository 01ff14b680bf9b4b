import Foundation
import Testing
@testable import BraidCore

/// The merge queue's log: appends from any process, incremental reads, compaction that keeps
/// what the queue and a supervisor still need.
@Suite struct MergeLogTests {
    static func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-merge-log-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    static func candidate(_ task: Int, tip: String = String(repeating: "a", count: 40)) -> MergeCandidate {
        MergeCandidate(task: task, title: "Task \(task)", text: "", tip: tip, branch: "braid/\(task)-x",
                       startCommit: String(repeating: "b", count: 40), worktree: nil, agent: "claude", session: "\(task)-1")
    }

    @Test func compactionKeepsWaitingCandidatesRecentDecisionsAndTheWatermarks() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = MergeLog(url: folder.appendingPathComponent("q.jsonl"), lockURL: folder.appendingPathComponent("q.lock"))
        let output = String(repeating: "gate output line\n", count: 200)
        for task in 1...60 {
            let decision = MergeDecision(seq: task, task: task, tip: Self.candidate(task).tip, kind: task % 3 == 0 ? .refused : .landed,
                                         reason: task % 3 == 0 ? .gateFailed : nil, commit: nil, detail: output, agent: "claude")
            try log.append([MergeEvent(kind: .enqueued, candidate: Self.candidate(task)),
                            MergeEvent(kind: .decided, candidate: Self.candidate(task), decision: decision),
                            MergeEvent(kind: .applied, seq: task)], durable: false)
        }
        try log.append([MergeEvent(kind: .enqueued, candidate: Self.candidate(61)),
                        MergeEvent(kind: .gate, tree: "t:g", passed: true)], durable: false)
        let before = try log.read()
        let sizeBefore = try #require(try FileManager.default.attributesOfItem(atPath: log.url.path)[.size] as? Int)

        try log.compactIfNeeded()

        // A reader that cached the old file sees the new one (another inode, other first bytes).
        let after = try log.read()
        let fresh = try MergeLog(url: log.url, lockURL: log.lockURL).read()
        #expect(after == fresh)
        #expect(after.pending.map(\.task) == [61])
        #expect(after.lastSeq == before.lastSeq && after.appliedSeq == 60)
        #expect(after.decisions.map(\.seq) == Array(31...60))
        #expect(after.decisions.allSatisfy { $0.detail.utf8.count <= 512 + 3 })
        #expect(after.passedGates.contains("t:g"))
        #expect(after.endedCleanly)
        let sizeAfter = try #require(try FileManager.default.attributesOfItem(atPath: log.url.path)[.size] as? Int)
        #expect(sizeAfter < sizeBefore / 4)
        // New decisions go on from the number reached.
        let next = MergeDecision(seq: after.lastSeq + 1, task: 61, tip: Self.candidate(61).tip, kind: .landed, detail: "d", agent: "claude")
        try log.append([MergeEvent(kind: .decided, decision: next)], durable: true)
        #expect(try log.read().lastSeq == 61 && log.read().pending.isEmpty)
    }

    @Test func aTornLastLineIsIgnoredThenCutBeforeTheNextAppend() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = MergeLog(url: folder.appendingPathComponent("q.jsonl"), lockURL: folder.appendingPathComponent("q.lock"))
        try log.append([MergeEvent(kind: .enqueued, candidate: Self.candidate(1))], durable: true)
        let handle = try FileHandle(forWritingTo: log.url)
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(#"{"kind":"enqueued","candidate":{"task":2"#.utf8))
        try handle.close()
        #expect(try MergeLog(url: log.url, lockURL: log.lockURL).read().pending.map(\.task) == [1])
        try log.append([MergeEvent(kind: .enqueued, candidate: Self.candidate(3))], durable: true)
        #expect(try MergeLog(url: log.url, lockURL: log.lockURL).read().pending.map(\.task) == [1, 3])
    }

    @Test func aDecisionLeavesACandidateQueuedAgainWithANewTip() throws {
        let folder = try Self.folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = MergeLog(url: folder.appendingPathComponent("q.jsonl"), lockURL: folder.appendingPathComponent("q.lock"))
        let newer = Self.candidate(1, tip: String(repeating: "c", count: 40))
        try log.append([MergeEvent(kind: .enqueued, candidate: Self.candidate(1)), MergeEvent(kind: .enqueued, candidate: newer),
                        MergeEvent(kind: .decided, decision: MergeDecision(seq: 1, task: 1, tip: Self.candidate(1).tip, kind: .landed,
                                                                          detail: "d", agent: "claude"))], durable: true)
        #expect(try log.read().pending == [newer])
    }
}
