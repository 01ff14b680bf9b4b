import BraidCore
import Foundation
import JSON

/// `braid merge [#N...]`, `braid merge --list`, `braid merge --abort #N`: the merge queue by hand.
///
/// Queuing tasks, then working the queue until it is empty, waiting first while another Braid
/// process works it. Exit status: 0 when every named task landed (or was already on the base
/// branch) and the queue did not have to wait; 1 when one was sent back, when the queue waits for
/// local changes in a checkout, or on an error; 2 on a usage error.
enum MergeCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, flags: ["--json", "--list", "--abort"])
        } catch {
            return Usage.fail("merge: \(error)")
        }
        var ids: [Int] = []
        for text in arguments.positionals {
            guard let id = Arguments.taskID(text) else { return Usage.fail("merge: '\(text)' is not a task id like #12") }
            ids.append(id)
        }
        let json = arguments.has("--json")
        // Unbuffered, as `braid run` writes: progress shows as it happens when the output is a
        // pipe or a file, and what was done before a crash is not lost in a stdio buffer.
        let out = FileDescriptorOutput(fd: 1)
        do {
            let context = try CommandContext.load()
            let queue = try MergeQueue(workspace: context.workspace, config: context.config)
            if arguments.has("--list") {
                guard ids.isEmpty else { return Usage.fail("merge: --list takes no task id") }
                return list(try queue.state(), json: json)
            }
            if arguments.has("--abort") {
                guard !ids.isEmpty else { return Usage.fail("merge: usage: braid merge --abort #N") }
                for id in ids {
                    guard try queue.remove(task: id) else { return Usage.fail("merge: #\(id) is not in the merge queue", code: 1) }
                    if !json { out.write("#\(id) taken out of the merge queue\n") }
                }
                if json { printJSON(.object(["removed": .array(ids.map { .number(JSONNumber($0)) })])) }
                return 0
            }
            let board = try context.boardStore.read()
            let state = SupervisorState(folding: try Journal.read(at: context.workspace.stateDirectory.appendingPathComponent(Journal.fileName)).events)
            for id in ids {
                guard let task = board.task(id: id) else { return Usage.fail("merge: no task #\(id) on \(context.config.board)", code: 1) }
                guard task.section != .inProgress, task.section != .done else {
                    return Usage.fail("merge: #\(id) is in \(task.section.heading); only a task whose session has ended can be merged", code: 1)
                }
                let candidate = try queue.enqueue(task, id: id, state: state)
                if !json { out.write("#\(id) queued at \(candidate.tip.prefix(10))\n") }
            }
            let quiet = json
            let run = try queue.process(report: { @Sendable line in if !quiet { out.write(line + "\n") } })
            if json {
                printJSON(.object([
                    "decisions": .array(run.decisions.map(Self.json)),
                    "waiting": run.waiting.map { JSONValue.string($0) } ?? .null,
                    "gateRuns": .number(JSONNumber(run.gateRuns)),
                ]))
            } else if run.decisions.isEmpty && run.waiting == nil {
                out.write("the merge queue is empty\n")
            }
            let named = Set(ids)
            let refused = run.decisions.contains { named.contains($0.task) && !$0.isDone }
            let stillWaiting = try queue.state().pending.contains { named.contains($0.task) }
            return refused || run.waiting != nil || stillWaiting ? 1 : 0
        } catch {
            return Usage.fail("merge: \(error)", code: 1)
        }
    }

    static func list(_ state: MergeQueueState, json: Bool) -> Int32 {
        if json {
            printJSON(.object([
                "pending": .array(state.pending.map { candidate in
                    .object(["task": .number(JSONNumber(candidate.task)), "title": .string(candidate.title),
                             "tip": .string(candidate.tip), "branch": .string(candidate.branch), "agent": .string(candidate.agent)])
                }),
                "decisions": .array(state.decisions.suffix(20).map(Self.json)),
            ]))
            return 0
        }
        if state.pending.isEmpty { print("the merge queue is empty") }
        for (index, candidate) in state.pending.enumerated() {
            print("\(index + 1). #\(candidate.task) \(candidate.title) (\(candidate.branch) at \(candidate.tip.prefix(10)), \(candidate.agent))")
        }
        for decision in state.decisions.suffix(10) {
            let what = decision.kind == .refused ? "refused (\(decision.reason?.rawValue ?? "?"))" : decision.kind.rawValue
            print("#\(decision.task) \(what): \(String(decision.detail.split(separator: "\n").first ?? ""))")
        }
        return 0
    }

    static func json(_ decision: MergeDecision) -> JSONValue {
        .object([
            "seq": .number(JSONNumber(decision.seq)),
            "task": .number(JSONNumber(decision.task)),
            "kind": .string(decision.kind.rawValue),
            "reason": decision.reason.map { JSONValue.string($0.rawValue) } ?? .null,
            "commit": decision.commit.map { JSONValue.string($0) } ?? .null,
            "detail": .string(decision.detail),
            "agent": .string(decision.agent),
        ])
    }
}
