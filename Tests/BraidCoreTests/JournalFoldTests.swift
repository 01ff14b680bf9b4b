import Foundation
import Testing
@testable import BraidCore

@Suite struct JournalFoldTests {
    typealias F = JournalFixtures

    private func fold(_ events: [JournalEvent]) -> SupervisorState { SupervisorState(folding: events) }

    @Test func twoFailedGatesAreTwoTriesAndEscalationRecordsItsReason() {
        let state = fold([
            F.started(1, "a"), F.ended("a"), F.gate(1, "a", passed: false, step: "test"), F.outcome(1, .retry),
            F.started(1, "b", attempt: 2), F.ended("b"), F.gate(1, "b", passed: false, step: "lint"),
            F.outcome(1, .escalated, detail: "failed 2 tries: lint"),
        ])
        let task = state.task(1)
        #expect(task?.attempts == 2)
        #expect(task?.escalation == "failed 2 tries: lint")
        #expect(task?.outcome == .escalated)
        #expect(task?.lastGate?.passed == false)
        #expect(task?.lastGate?.failedStep == "lint")
        #expect(task?.lastGate?.session == "b")
        #expect(task?.sessions == ["a", "b"])
        #expect(state.session("a")?.verdict == .failed)
    }

    @Test func aSessionAwaitingItsGateIsNotYetATry() {
        let state = fold([F.started(1, "a"), F.ended("a")])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.sessionsAwaitingGate.map(\.id) == ["a"])
        #expect(state.runningSessions.isEmpty)
    }

    @Test func aPassingGateIsNotAFailedTry() {
        let state = fold([F.started(1, "a"), F.ended("a"), F.gate(1, "a", passed: true), F.outcome(1, .review)])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.task(1)?.lastGate?.passed == true)
        #expect(state.task(1)?.lastGate?.failedStep == nil)
        #expect(state.session("a")?.verdict == .passed)
        #expect(state.sessionsAwaitingGate.isEmpty)
    }

    @Test func aQuotaFallbackIsNotATryAndSwitchesTheAgent() {
        var state = fold([
            F.started(1, "a", agent: "claude"), F.ended("a", exitCode: 1, changedFiles: false),
            F.outcome(1, .quotaFallback, detail: "usage limit", agent: "codex"),
        ])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.task(1)?.agent == "codex")
        #expect(state.session("a")?.verdict == .excused)
        // The fallback agent's failures do count.
        for event in [F.started(1, "b", agent: "codex"), F.ended("b"), F.gate(1, "b", passed: false)] { state.apply(event) }
        #expect(state.task(1)?.attempts == 1)
        // An excused session stays excused whatever comes after it.
        state.apply(F.gate(1, "a", passed: false))
        #expect(state.task(1)?.attempts == 1)
    }

    @Test func aQuotaFallbackAfterAStallTakesTheTryBack() {
        let state = fold([F.started(1, "a"), F.ended("a", .stalled), F.outcome(1, .quotaFallback, agent: "gemini")])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.task(1)?.agent == "gemini")
    }

    @Test func wallTimeStallsAndUnknownReasonsAreTriesButCancelAndDaemonDeathAreNot() {
        let state = fold([
            F.started(1, "a"), F.ended("a", .wallTime, exitCode: nil, signal: 9),
            F.started(1, "b"), F.ended("b", .stalled, exitCode: nil, signal: 15),
            F.started(1, "c"), F.ended("c", "someFutureReason"),
            F.started(1, "d"), F.ended("d", .cancelled, exitCode: nil, signal: 15),
            F.started(1, "e"), F.ended("e", .daemonDied, exitCode: nil),
        ])
        #expect(state.task(1)?.attempts == 3)
        #expect(["a", "b", "c", "d", "e"].map { state.session($0)?.verdict }
                == [.failed, .failed, .failed, .interrupted, .interrupted])
    }

    @Test func aRetryWithoutAGateCountsTheSessionThatExited() {
        // The agent exited without changing anything: no gate runs, the supervisor retries.
        let state = fold([F.started(1, "a"), F.ended("a", changedFiles: false), F.outcome(1, .retry, detail: "no changes")])
        #expect(state.task(1)?.attempts == 1)
        #expect(state.session("a")?.verdict == .failed)
    }

    @Test func reassigningGivesTheNewAgentAFreshCount() {
        let state = fold([
            F.started(1, "a"), F.ended("a"), F.gate(1, "a", passed: false), F.outcome(1, .retry),
            F.started(1, "b"), F.ended("b"), F.gate(1, "b", passed: false), F.outcome(1, .escalated, detail: "2 tries"),
            F.outcome(1, .reassigned, agent: "codex"),
        ])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.task(1)?.agent == "codex")
        #expect(state.task(1)?.escalation == nil)
        #expect(state.task(1)?.epoch == 1)
    }

    @Test func aPersonsRetryClearsTheEscalationAndTheCount() {
        var state = fold([
            F.started(1, "a"), F.ended("a"), F.gate(1, "a", passed: false), F.outcome(1, .escalated, detail: "x"),
            F.outcome(1, .retriedByUser, detail: "use the v2 API"),
        ])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.task(1)?.escalation == nil)
        #expect(state.task(1)?.outcomeDetail == "use the v2 API")
        for event in [F.started(1, "b"), F.ended("b"), F.gate(1, "b", passed: false)] { state.apply(event) }
        #expect(state.task(1)?.attempts == 1)
    }

    @Test func aSessionFromBeforeAFreshStartDoesNotCountAfterIt() {
        let state = fold([
            F.started(1, "a", agent: "claude"), F.outcome(1, .reassigned, agent: "codex"),
            F.ended("a", .wallTime), F.gate(1, "a", passed: false),
        ])
        #expect(state.task(1)?.attempts == 0)
        #expect(state.session("a")?.verdict == .failed)
    }

    @Test func runningSessionsAreThoseStartedAndNotEndedOldestFirst() {
        let state = fold([
            F.started(2, "late", pid: 30, at: 5), F.started(1, "early", pid: 10, at: 1), F.started(3, "done", at: 2),
            F.ended("done"),
        ])
        #expect(state.runningSessions.map(\.id) == ["early", "late"])
        #expect(state.runningSessions.map(\.pid) == [10, 30])
        let early = state.session("early")
        #expect(early?.log == "/repo/.braid/logs/early.log")
        #expect(early?.worktree == "/repo/.braid/worktrees/1-task")
        #expect(early?.startedAt == F.at(1))
        #expect(early?.end == nil)
        #expect(state.session("done")?.end?.exitCode == 0)
        #expect(state.session("done")?.end?.at == F.at(1))
    }

    @Test func eventsAboutUnknownSessionsChangeNothingTheyCannotDescribe() {
        let state = fold([F.ended("ghost"), F.started(1, "a")])
        #expect(state.sessions.keys.sorted() == ["a"])
        #expect(fold([F.gate(4, "ghost", passed: false)]).task(4)?.attempts == 0)
    }

    @Test func foldingIsDeterministicAndIncremental() {
        var events: [JournalEvent] = []
        for n in 0..<300 {
            let task = n % 7, session = "s\(n)"
            events += [F.started(task, session, at: Double(n))]
            switch n % 5 {
            case 0: events += [F.ended(session), F.gate(task, session, passed: false), F.outcome(task, .retry)]
            case 1: events += [F.ended(session, .stalled)]
            case 2: events += [F.ended(session), F.outcome(task, .quotaFallback, agent: "codex")]
            case 3: events += [F.ended(session), F.gate(task, session, passed: true), F.outcome(task, .review)]
            default: break
            }
            if n % 40 == 39 { events += [F.outcome(task, .retriedByUser)] }
        }
        let whole = fold(events)
        #expect(fold(events) == whole)
        var stepwise = fold(Array(events.prefix(100)))
        for event in events.dropFirst(100) { stepwise.apply(event) }
        #expect(stepwise == whole)
        // attempts always equals the failed sessions of the current epoch.
        for task in whole.tasks.values {
            let failed = task.sessions.compactMap { whole.session($0) }
                .filter { $0.epoch == task.epoch && $0.verdict == .failed }.count
            #expect(task.attempts == failed, "task \(task.id)")
        }
    }
}
