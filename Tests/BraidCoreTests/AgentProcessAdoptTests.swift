import Foundation
import Testing
@testable import BraidCore

/// Re-adopting agents after a restart: the processes here are not children of the test process.
@Suite struct AgentProcessAdoptTests {
    /// Starts a `sleep 300` that the test process did not start: its parent shell exits at once and
    /// leaves it to init. `setsid` makes it lead its own group, as an agent Braid started does.
    private func orphan(_ fixture: AgentProcessFixture) async throws -> Int32 {
        let parent = try fixture.shell("setsid sleep 300 & echo $!")
        #expect(await parent.waitForExit(timeout: hangGuard) == .exited(0))
        let pid = try #require(fixture.log.split(separator: "\n").first.flatMap { Int32($0) })
        fixture.remember(group: pid)
        // setsid execs sleep once it has made the new session; the pid leads it from then on.
        #expect(await eventually { getpgid(pid) == pid })
        return pid
    }

    @Test func seesTheEndOfAProcessThatIsNotOurChild() async throws {
        let fixture = try AgentProcessFixture()
        let pid = try await orphan(fixture)
        let adopted = try #require(AgentProcess.adopt(pid: pid))
        #expect(!adopted.isChild)
        #expect(adopted.exit == nil)
        kill(pid, SIGTERM)
        #expect(await adopted.waitForExit(timeout: hangGuard) == .unknown)
        #expect(!AgentProcess.isAlive(pid: pid))
    }

    @Test func terminatesAnAdoptedAgentAndItsGroup() async throws {
        let fixture = try AgentProcessFixture()
        let pid = try await orphan(fixture)
        let adopted = try #require(AgentProcess.adopt(pid: pid))
        #expect(await adopted.terminate(grace: .seconds(10)) == .unknown)
        #expect(!AgentProcess.isAlive(pid: pid))
        #expect(ProcessSnapshot.livingMembers(ofGroup: pid).isEmpty)
    }

    @Test func adoptsOnlyTheProcessItStartedWhenGivenItsStartTime() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        let recorded = agent.startTime
        let reused = ProcessStartTime(date: recorded.date, bootTicks: recorded.bootTicks.map { $0 + 1 })
        #expect(AgentProcess.adopt(pid: agent.pid, startTime: reused) == nil)
        #expect(AgentProcess.adopt(pid: agent.pid, startTime: recorded)?.startTime == recorded)
        await agent.terminate(grace: .seconds(10))
    }

    @Test func aProcessThatHasEndedCannotBeAdopted() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("exit 0")
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        #expect(AgentProcess.adopt(pid: agent.pid) == nil)
    }

    @Test func startTimesEncodeForTheJournal() throws {
        let start = ProcessStartTime(date: Date(timeIntervalSince1970: 1_700_000_000), bootTicks: 123_456)
        let decoded = try JSONDecoder().decode(ProcessStartTime.self, from: JSONEncoder().encode(start))
        #expect(decoded == start)
    }
}
