import Foundation
import Synchronization

/// Set when newer work makes a review pointless: its reviewer is not started, or is ended.
final class ReviewStop: Sendable {
    private let flag = Atomic<Bool>(false)

    func set() { flag.store(true, ordering: .sequentiallyConsistent) }
    var isSet: Bool { flag.load(ordering: .sequentiallyConsistent) }
}

/// Carries out one review of a task whose gate passed: measures the diff's risk and, with a
/// reviewer configured, runs it in a fresh session (its own log, its own process group, a time
/// limit) on the task, the diff and the conventions, then reads its findings. Runs off the
/// supervisor's actor; git runs on a thread of its own.
struct ReviewRunner: Sendable {
    let workspace: Workspace
    let config: BraidConfig
    let manager: WorktreeManager

    func run(task: BoardTask, id: Int, worktree: TaskWorktree, session: String, stop: ReviewStop = ReviewStop(),
             started: @Sendable (ReviewRecord) async -> Void) async -> ReviewRecord {
        let manager = self.manager
        let measured: Result<(diff: String, files: [FileChange], commit: String?), any Error> = await ThreadJob.run(name: "braid-git") {
            Result {
                let base = try manager.mergeBase(worktree)
                return (try manager.diff(worktree, against: base), try manager.diffstat(worktree, against: base), try? manager.head(worktree))
            }
        }
        guard case .success(let (diff, files, commit)) = measured else {
            var error = "could not read the diff"
            if case .failure(let failure) = measured { error += ": \(failure)" }
            return ReviewRecord(task: id, status: config.review.isOn ? .failed : .none, reviewer: config.review.agent, error: error)
        }
        let risk = RiskScore.assess(files) { path in
            FileManager.default.fileExists(atPath: worktree.path.appendingPathComponent(path).path)
        }
        guard let reviewer = config.review.agent else {
            return ReviewRecord(task: id, status: .none, commit: commit, risk: risk)
        }
        let directory = workspace.logsDirectory.appendingPathComponent(session)
        let log = directory.appendingPathComponent("output.log")
        var record = ReviewRecord(task: id, status: .running, commit: commit, reviewer: reviewer, session: session, log: log.path, risk: risk)
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            let profile = try AgentProfile.named(reviewer, config: config, context: "reviewing #\(id)")
            let prompt = ReviewPrompt.compose(task: task, diff: diff, conventions: ConventionsFile.read(in: worktree.path),
                                              maxDiffBytes: config.review.maxDiffBytes)
            let invocation = try profile.invocation(for: AgentRequest(task: task, prompt: prompt, worktree: worktree.path,
                                                                      sessionDirectory: directory))
            let written: Result<URL?, any Error> = await ThreadJob.run(name: "braid-review") {
                Result { try invocation.writeSessionFiles(prompt: prompt, in: directory) }
            }
            let input = try written.get()
            if stop.isSet {
                record.status = .failed
                record.error = "the review was stopped before its reviewer started: newer work started"
                return record
            }
            let process = try invocation.start(session: session, standardInput: input, logFile: log)
            // Stopped while it was being started: the stop's own kill may have come too early.
            if stop.isSet { AgentIdentity.kill(session: session) }
            await started(record)
            let watchdog = SessionWatchdog(process: process, logFile: log, worktree: worktree.path,
                                           wallTime: .seconds(config.sessionTimeoutSeconds), stallAfter: .seconds(config.stallTimeoutSeconds))
            let exit = await process.waitForExit()
            // A reviewer must not change the work it reviews: anything it left, or committed, is
            // undone (also when it was stopped).
            _ = await ThreadJob.run(name: "braid-git") { try? manager.discardChanges(worktree, since: commit) }
            if let stop = await watchdog.stopReason() {
                record.status = .failed
                record.error = "the reviewer was stopped: \(stop)"
                record.at = Date()
                return record
            }
            let output = LogEnd.read(log, limit: ReviewParser.searchedBytes)
            do {
                record.findings = try ReviewParser.findings(in: output)
                record.status = .ready
            } catch {
                record.status = .failed
                record.error = "\(error) (\(exit))"
            }
        } catch {
            record.status = .failed
            record.error = "could not start the reviewer \(reviewer): \(error)"
        }
        record.at = Date()
        return record
    }
}
