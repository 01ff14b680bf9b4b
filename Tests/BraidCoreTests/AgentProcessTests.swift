import Foundation
import Synchronization
import Testing
@testable import BraidCore

@Suite struct AgentProcessTests {
    @Test func reportsTheExitStatus() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("exit 7")
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(7))
        #expect(agent.exit == .exited(7))
    }

    @Test func reportsTheSignalThatEndedIt() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("kill -KILL $$")
        #expect(await agent.waitForExit(timeout: hangGuard) == .signaled(SIGKILL))
    }

    @Test func manyTasksAwaitingTheSameExitAllSeeIt() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("exit 5")
        let exits = await withTaskGroup(of: AgentExit.self) { group in
            for _ in 0..<10 { group.addTask { await agent.waitForExit() } }
            return await group.reduce(into: []) { $0.append($1) }
        }
        #expect(exits == Array(repeating: .exited(5), count: 10))
        #expect(await agent.waitForExit() == .exited(5))
    }

    @Test func outputOfTheAgentAndItsChildrenIsAppendedToTheLog() async throws {
        let fixture = try AgentProcessFixture()
        try Data("earlier session\n".utf8).write(to: fixture.logFile)
        let agent = try fixture.shell("echo out; echo err >&2; sh -c 'echo grandchild; echo grandchild-err >&2'")
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        #expect(fixture.log == "earlier session\nout\nerr\ngrandchild\ngrandchild-err\n")
    }

    @Test func createsTheLogFileReadableByOthersButNotWritable() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("echo hi")
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        let mode = try FileManager.default.attributesOfItem(atPath: fixture.logFile.path)[.posixPermissions] as? Int
        #expect(mode.map { $0 & 0o022 } == 0)
        #expect(mode.map { $0 & 0o600 } == 0o600)
    }

    @Test func readsTheGivenFileOnStandardInput() async throws {
        let fixture = try AgentProcessFixture()
        let input = fixture.folder.appendingPathComponent("prompt.txt")
        try Data("the prompt\n".utf8).write(to: input)
        let agent = try fixture.spawn("cat", [], standardInput: input)
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        #expect(fixture.log == "the prompt\n")
    }

    @Test func runsInTheWorktreeWithTheAddedEnvironmentAndVerbatimArguments() async throws {
        let fixture = try AgentProcessFixture()
        let canary = fixture.folder.appendingPathComponent("pwned").path
        let agent = try fixture.spawn("sh", ["-c", "pwd -P; echo \"$BRAID_TASK\"; printf '%s\\n' \"$1\"", "sh",
                                             "; touch \(canary)"],
                                      environment: ["BRAID_TASK": "#12 $(touch \(canary))"])
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        #expect(fixture.log == "\(fixture.worktree.path)\n#12 $(touch \(canary))\n; touch \(canary)\n")
        #expect(!FileManager.default.fileExists(atPath: canary))
    }

    @Test func theAgentLeadsItsOwnProcessGroup() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        #expect(getpgid(agent.pid) == agent.pid)
        #expect(getpgid(agent.pid) != getpgrp())
        #expect(await agent.terminate(grace: .seconds(10)) == .signaled(SIGTERM))
    }

    @Test func noInheritedDescriptorLeaksIntoTheAgent() async throws {
        let fixture = try AgentProcessFixture()
        // A pipe without close-on-exec, as careless code elsewhere in the daemon might make.
        var leaky: [Int32] = [0, 0]
        #expect(pipe(&leaky) == 0)
        defer { close(leaky[0]); close(leaky[1]) }
        // Checked once the agent has started up and waits: while a program loads, the dynamic
        // loader briefly holds a descriptor of its own.
        let ready = fixture.worktree.appendingPathComponent("ready.fifo")
        #expect(mkfifo(ready.path, 0o600) == 0)
        let readyFD = open(ready.path, O_RDWR | O_CLOEXEC)
        defer { close(readyFD) }
        // The redirection runs in a subshell: the shell itself would park its stdout on a spare
        // descriptor while `echo` writes to the fifo, and this test could look at that moment.
        let agent = try fixture.spawn("sh", ["-c", "(echo ready > \(ready.path)); sleep 300 & wait"])
        var entry = pollfd(fd: readyFD, events: Int16(POLLIN), revents: 0)
        #expect(poll(&entry, 1, 30_000) == 1)
        let descriptors = try FileManager.default.contentsOfDirectory(atPath: "/proc/\(agent.pid)/fd").sorted()
        #expect(descriptors == ["0", "1", "2"])
        let input = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent.pid)/fd/0")
        let output = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent.pid)/fd/1")
        let errors = try FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(agent.pid)/fd/2")
        #expect(input == "/dev/null")
        #expect(output == fixture.logFile.path && errors == fixture.logFile.path)
        await agent.terminate(grace: .seconds(10))
    }

    @Test func signalsAreDefaultAndUnblockedEvenWhenSpawnedFromAThreadIgnoringSIGPIPE() async throws {
        let fixture = try AgentProcessFixture()
        let probe = ["-E", "^Sig(Blk|Ign):", "/proc/self/status"]
        // The daemon ignores SIGPIPE process-wide, and Swift's pool threads block most signals.
        // Gate steps run through CommandRunner are checked too: they share the spawn.
        let spawned = await ThreadJob.run(name: "blocked-spawner") { () -> Result<(AgentProcess, CommandResult), CommandError> in
            var all = sigset_t()
            sigfillset(&all)
            pthread_sigmask(SIG_SETMASK, &all, nil)
            let previous = signal(SIGPIPE, SIG_IGN)
            defer { signal(SIGPIPE, previous) }
            return Result { () throws(CommandError) in
                (try fixture.spawn("grep", probe), try CommandRunner.run(Command("grep", probe)))
            }
        }
        let (agent, command) = try spawned.get()
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        for report in [fixture.log, command.output] {
            let masks = Dictionary(uniqueKeysWithValues: report.split(separator: "\n").compactMap { line -> (String, UInt64)? in
                let parts = line.split(separator: ":").map { $0.trimmingCharacters(in: .whitespaces) }
                return parts.count == 2 ? UInt64(parts[1], radix: 16).map { (parts[0], $0) } : nil
            })
            #expect(masks["SigBlk"] == 0)
            // glibc's spawn ignores its own two internal signals (32 and 33) in the child, which no
            // program can use; every other signal must have its default action.
            let glibcInternal: UInt64 = 1 << 31 | 1 << 32
            #expect(masks["SigIgn"].map { $0 & ~glibcInternal } == 0)
        }
    }

    @Test func exitIsSeenAtOnceWhileADaemonizedGrandchildHoldsTheLog() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("sleep 300 & echo $!; exit 3")
        // The guard is far shorter than the grandchild's life: only the leader's own exit can end the wait.
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(3))
        let grandchild = try #require(fixture.log.split(separator: "\n").first.flatMap { Int32($0) })
        let watch = try #require(AgentProcess.adopt(pid: grandchild))

        // The group outlives its leader; terminating it ends what was left behind.
        #expect(await agent.terminate(grace: .seconds(10)) == .exited(3))
        #expect(await watch.waitForExit(timeout: hangGuard) == .unknown)
        #expect(!AgentProcess.isAlive(pid: grandchild))
    }

    @Test func terminateStopsTheAgentAndItsGrandchildren() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.shell("sleep 300 & echo $!; sleep 300 & echo $!; wait")
        let pids = try #require(await fixture.logLines(atLeast: 2)).compactMap { Int32($0) }
        #expect(pids.count == 2)
        let watches = pids.compactMap { AgentProcess.adopt(pid: $0) }
        #expect(watches.count == 2)
        #expect(Set(ProcessSnapshot.livingMembers(ofGroup: agent.pid)) == Set(pids + [agent.pid]))

        #expect(await agent.terminate(grace: .seconds(10)) == .signaled(SIGTERM))
        for watch in watches {
            #expect(await watch.waitForExit(timeout: hangGuard) == .unknown)
        }
        #expect(pids.allSatisfy { !AgentProcess.isAlive(pid: $0) })
        #expect(ProcessSnapshot.livingMembers(ofGroup: agent.pid).isEmpty)
    }

    @Test func anAgentIgnoringSIGTERMIsKilledAfterTheGracePeriod() async throws {
        let fixture = try AgentProcessFixture()
        // The sleep inherits the ignored SIGTERM too: only the group's SIGKILL ends it.
        let agent = try fixture.shell("trap '' TERM; sleep 300 & echo $!; wait")
        let grandchild = try #require(await fixture.logLines(atLeast: 1)?.first.flatMap { Int32($0) })
        let watch = try #require(AgentProcess.adopt(pid: grandchild))
        #expect(await agent.terminate(grace: .milliseconds(300)) == .signaled(SIGKILL))
        #expect(await watch.waitForExit(timeout: hangGuard) == .unknown)
    }

    @Test func isAliveTellsARunningProcessFromAnEndedOne() async throws {
        let fixture = try AgentProcessFixture()
        #expect(AgentProcess.isAlive(pid: getpid()))
        let agent = try fixture.shell("exit 0")
        #expect(await agent.waitForExit(timeout: hangGuard) == .exited(0))
        #expect(!AgentProcess.isAlive(pid: agent.pid))
        #expect(!AgentProcess.isAlive(pid: -1) && !AgentProcess.isAlive(pid: 0))
    }

    @Test func startTimeIdentifiesTheProcess() async throws {
        let fixture = try AgentProcessFixture()
        let agent = try fixture.spawn("sleep", ["300"])
        #expect(agent.startTime.bootTicks == ProcessSnapshot.read(pid: agent.pid)?.startTicks)
        #expect(abs(agent.startTime.date.timeIntervalSinceNow) < 60)
        await agent.terminate(grace: .seconds(10))
    }

    @Test func anUnknownProgramOrMissingFolderIsATypedError() throws {
        let fixture = try AgentProcessFixture()
        #expect(throws: CommandError.executableNotFound("braid-no-such-agent")) {
            try fixture.spawn("braid-no-such-agent", [])
        }
        #expect {
            try AgentProcess.spawn(executable: "true", arguments: [], workingDirectory: fixture.folder.appendingPathComponent("gone"),
                                   logFile: fixture.logFile)
        } throws: { error in
            guard case .launchFailed(let executable, let reason) = error as? CommandError else { return false }
            return executable == "true" && reason.contains("does not exist")
        }
        #expect {
            try AgentProcess.spawn(executable: "true", arguments: [], workingDirectory: fixture.worktree,
                                   logFile: fixture.folder.appendingPathComponent("no/such/folder/log"))
        } throws: { error in
            guard case .launchFailed(_, let reason) = error as? CommandError else { return false }
            return reason.contains("log file")
        }
    }

    @Test func exitsEncodeFlatForTheJournal() throws {
        let exits: [AgentExit] = [.exited(3), .signaled(15), .unknown]
        let json = String(decoding: try JSONEncoder().encode(exits), as: UTF8.self)
        #expect(json == #"[{"status":3},{"signal":15},{}]"#)
        #expect(try JSONDecoder().decode([AgentExit].self, from: Data(json.utf8)) == exits)
    }
}
