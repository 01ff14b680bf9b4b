import Foundation
import Testing
@testable import BraidCore

@Suite struct AgentProcessWatchdogTests {
    private func watch(_ agent: AgentProcess, _ fixture: AgentProcessFixture, wallTime: Duration?,
                       stallAfter: Duration?) -> SessionWatchdog {
        SessionWatchdog(process: agent, logFile: fixture.logFile, worktree: fixture.worktree,
                        wallTime: wallTime, stallAfter: stallAfter, terminationGrace: .seconds(10))
    }

    @Test func wallTimeLimitEndsTheSession() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        let watchdog = watch(agent, fixture, wallTime: .milliseconds(300), stallAfter: nil)
        #expect(await watchdog.stopReason() == .wallTimeExceeded)
        #expect(agent.exit == .signaled(SIGTERM))
    }

    @Test func aSilentAgentIsEndedAsStalled() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        let watchdog = watch(agent, fixture, wallTime: nil, stallAfter: .milliseconds(500))
        #expect(await watchdog.stopReason() == .stalled)
        #expect(agent.exit == .signaled(SIGTERM))
    }

    @Test(arguments: [
        "while :; do echo tick; sleep 0.05; done",
        "while :; do date +%N > progress.txt; sleep 0.05; done",
        "mkdir -p deep/er; while :; do date +%N > deep/er/progress.txt; sleep 0.05; done",
    ])
    func anAgentThatKeepsWorkingIsNotStalled(script: String) async throws {
        // Activity every 50 ms against a three-second stall period (wide, for a loaded machine):
        // only the wall time can end it.
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell(script)
        let watchdog = watch(agent, fixture, wallTime: .seconds(7), stallAfter: .seconds(3))
        #expect(await watchdog.stopReason() == .wallTimeExceeded)
    }

    @Test func aSessionThatEndsByItselfHasNoStopReason() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("exit 0")
        let watchdog = watch(agent, fixture, wallTime: .seconds(600), stallAfter: .seconds(600))
        #expect(await watchdog.stopReason() == nil)
        #expect(agent.exit == .exited(0))
    }

    @Test func cancellingTheWatchdogLeavesTheSessionRunning() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        let watchdog = watch(agent, fixture, wallTime: .seconds(600), stallAfter: .seconds(600))
        watchdog.cancel()
        #expect(await watchdog.stopReason() == nil)
        #expect(agent.exit == nil && AgentProcess.isAlive(pid: agent.pid))
        await agent.terminate(grace: .seconds(10))
    }

    @Test func latestActivityIsTheNewestModificationInTheLogOrTheTree() throws {
        let fixture = try AgentProcessFixture()
        let nested = fixture.worktree.appendingPathComponent("a/b")
        try FileManager.default.createDirectory(at: nested, withIntermediateDirectories: true)
        let old = Date(timeIntervalSince1970: 1_000_000_000)
        let recent = Date(timeIntervalSince1970: 1_500_000_000)
        let file = nested.appendingPathComponent("notes.txt")
        try Data("x".utf8).write(to: file)
        try Data().write(to: fixture.logFile)
        for url in [fixture.worktree, fixture.worktree.appendingPathComponent("a"), nested, fixture.logFile] {
            try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: url.path)
        }
        try FileManager.default.setAttributes([.modificationDate: recent], ofItemAtPath: file.path)
        #expect(LatestActivity.newest(logFile: fixture.logFile, worktree: fixture.worktree) == recent)

        // A symbolic link is not followed: a linked folder full of new files is not the agent's work.
        let outside = fixture.folder.appendingPathComponent("shared-cache")
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try Data("y".utf8).write(to: outside.appendingPathComponent("new.txt"))
        let link = fixture.worktree.appendingPathComponent("node_modules")
        try FileManager.default.createSymbolicLink(at: link, withDestinationURL: outside)
        var linkTime = [timeval(tv_sec: 1_000_000_000, tv_usec: 0), timeval(tv_sec: 1_000_000_000, tv_usec: 0)]
        #expect(lutimes(link.path, &linkTime) == 0)
        try FileManager.default.setAttributes([.modificationDate: old], ofItemAtPath: fixture.worktree.path)
        #expect(LatestActivity.newest(logFile: fixture.logFile, worktree: fixture.worktree) == recent)
    }
}
