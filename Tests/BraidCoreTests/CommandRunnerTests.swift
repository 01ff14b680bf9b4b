import Foundation
import Synchronization
import Testing
@testable import BraidCore

@Suite struct CommandRunnerTests {
    @Test func aRelativeProgramIsFoundInTheCommandsFolderNotThisProcesss() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-relative-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let script = folder.appendingPathComponent("check.sh")
        try Data("#!/bin/sh\necho checked in \"$PWD\"\n".utf8).write(to: script)
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: script.path)
        #expect(FileManager.default.currentDirectoryPath != folder.path)
        let result = try CommandRunner.run(Command("./check.sh", [], workingDirectory: folder))
        #expect(result.status == 0)
        #expect(String(decoding: result.stdout, as: UTF8.self).contains("checked in"))
    }

    @Test func drainsStdoutAndStderrTogetherSoFullPipesCannotDeadlock() throws {
        // stderr gets 300 kB before stdout gets any: a reader of stdout alone would wait forever.
        let script = "head -c 300000 /dev/zero >&2; head -c 300000 /dev/zero; head -c 300000 /dev/zero >&2"
        let result = try CommandRunner.run(Command("sh", ["-c", script], timeLimit: .seconds(30)))
        #expect(result.succeeded)
        #expect(result.stdout.count == 300_000)
        #expect(result.stderr.count == 600_000)
    }

    @Test func standardErrorCanJoinStandardOutputInWrittenOrder() throws {
        let result = try CommandRunner.run(Command("sh", ["-c", "echo 1; echo 2 >&2; echo 3; echo 4 >&2"],
                                                  timeLimit: .seconds(30), standardErrorToOutput: true))
        #expect(result.output == "1\n2\n3\n4\n")
        #expect(result.stderr.isEmpty)
    }

    @Test func outputTailLimitKeepsTheEndOfEachStreamAndCountsTheRest() throws {
        let script = "head -c 1000000 /dev/zero; printf END; head -c 300000 /dev/zero >&2; printf ERR >&2"
        let result = try CommandRunner.run(Command("sh", ["-c", script], timeLimit: .seconds(30), outputTailLimit: 1000))
        #expect(result.stdout.count == 1000 && result.output.hasSuffix("END"))
        #expect(result.stderr.count == 1000 && result.errorOutput.hasSuffix("ERR"))
        #expect(result.droppedOutputBytes == 1_000_003 + 300_003 - 2000)
    }

    @Test func feedsStandardInputLargerThanAPipe() throws {
        let input = Data((0..<1_000_000).map { UInt8($0 % 251) })
        let result = try CommandRunner.run(Command("cat", standardInput: input, timeLimit: .seconds(30)))
        #expect(result.succeeded)
        #expect(result.stdout == input)
    }

    @Test func childThatExitsWithoutReadingItsInputDoesNotHangTheRunner() throws {
        let input = Data(count: 1_000_000)
        let result = try CommandRunner.run(Command("true", standardInput: input, timeLimit: .seconds(30)))
        #expect(result.succeeded)
        #expect(!result.timedOut)
    }

    @Test func childWithoutInputReadsNothingFromOurStandardInput() throws {
        let result = try CommandRunner.run(Command("cat", timeLimit: .seconds(10)))
        #expect(result.succeeded)
        #expect(result.stdout.isEmpty)
    }

    @Test func argumentsReachTheProgramVerbatimAndNothingIsRunByAShell() throws {
        let canary = FileManager.default.temporaryDirectory.appendingPathComponent("braid-canary-\(UUID().uuidString)")
        let arguments = ["; touch \(canary.path)", "$(touch \(canary.path))", "`touch \(canary.path)`",
                         "a b\nc", "--upload-pack=x", "*", "~"]
        let result = try CommandRunner.run(Command("printf", ["%s\\0"] + arguments))
        #expect(result.succeeded)
        #expect(result.output.split(separator: "\0", omittingEmptySubsequences: false).dropLast().map(String.init) == arguments)
        #expect(!FileManager.default.fileExists(atPath: canary.path))
    }

    @Test func workingDirectoryAndEnvironmentAreApplied() throws {
        let folder = FileManager.default.temporaryDirectory.resolvingSymlinksInPath()
        let pwd = try CommandRunner.run(Command("pwd", ["-P"], workingDirectory: folder))
        #expect(pwd.output == folder.path + "\n")

        let env = try CommandRunner.run(Command("env", environment: ["BRAID_TEST_ADDED": "yes", "PATH": "/usr/bin:/bin"],
                                                unsetEnvironment: ["HOME"]))
        let lines = Set(env.output.split(separator: "\n").map(String.init))
        #expect(lines.contains("BRAID_TEST_ADDED=yes"))
        #expect(lines.contains("PATH=/usr/bin:/bin"))
        #expect(!lines.contains { $0.hasPrefix("HOME=") })
    }

    @Test func exitStatusAndFatalSignalAreReported() throws {
        let failed = try CommandRunner.run(Command("sh", ["-c", "echo oops >&2; exit 3"]))
        #expect(failed.status == 3 && !failed.terminatedBySignal && !failed.succeeded)
        #expect(failed.errorOutput == "oops\n")
        let killed = try CommandRunner.run(Command("sh", ["-c", "kill -KILL $$"]))
        #expect(killed.terminatedBySignal && killed.status == SIGKILL)
    }

    @Test func timeLimitStopsTheChildAndWhatItStarted() throws {
        // The background sleep holds stdout open: only stopping the whole group ends the read.
        let started = ContinuousClock.now
        let result = try CommandRunner.run(Command("sh", ["-c", "sleep 30 & sleep 30"], timeLimit: .milliseconds(300)))
        #expect(result.timedOut)
        #expect(!result.succeeded)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func timeLimitStopsWhatAnExitedChildLeftHoldingItsOutput() throws {
        // The shell exits at once; the sleep it left keeps stdout open, so reading would last 300 s.
        let started = ContinuousClock.now
        let result = try CommandRunner.run(Command("sh", ["-c", "sleep 300 & echo started"], timeLimit: .milliseconds(300)))
        #expect(result.timedOut)
        #expect(result.output == "started\n")
        #expect(ContinuousClock.now - started < .seconds(60))
    }

    @Test func childIgnoringSIGTERMIsKilledAfterTheGracePeriod() throws {
        let started = ContinuousClock.now
        let result = try CommandRunner.run(Command("sh", ["-c", "trap '' TERM; sleep 30"],
                                                  timeLimit: .milliseconds(200),
                                                  terminationGracePeriod: .milliseconds(300)))
        #expect(result.timedOut && result.terminatedBySignal)
        #expect(ContinuousClock.now - started < .seconds(10))
    }

    @Test func timeLimitAsksWithSIGTERMFirst() throws {
        // Run from Swift's cooperative pool, whose threads block SIGTERM: the child must not inherit that.
        let result = try CommandRunner.run(Command("sleep", ["30"], timeLimit: .milliseconds(200),
                                                  terminationGracePeriod: .seconds(20)))
        #expect(result.timedOut && result.terminatedBySignal && result.status == SIGTERM)
    }

    @Test func childrenStartWithNoSignalBlockedOrIgnored() throws {
        // Feeding stdin first: the runner's own SIGPIPE handling must not leak into later children.
        _ = try CommandRunner.run(Command("true", standardInput: Data(count: 200_000)))
        let status = try CommandRunner.run(Command("grep", ["-E", "^Sig(Blk|Ign):", "/proc/self/status"])).output
        let masks = Dictionary(uniqueKeysWithValues: status.split(separator: "\n").compactMap { line -> (String, UInt64)? in
            let parts = line.split(separator: ":")
            guard parts.count == 2, let mask = UInt64(parts[1].trimmingCharacters(in: .whitespaces), radix: 16) else { return nil }
            return (String(parts[0]), mask)
        })
        let watched: [Int32] = [SIGTERM, SIGINT, SIGPIPE, SIGHUP]
        for signal in watched {
            #expect(masks["SigBlk"].map { $0 & (1 << UInt64(signal - 1)) == 0 } == true, "signal \(signal) blocked")
            #expect(masks["SigIgn"].map { $0 & (1 << UInt64(signal - 1)) == 0 } == true, "signal \(signal) ignored")
        }
    }

    @Test func unknownProgramIsATypedError() {
        #expect(throws: CommandError.executableNotFound("braid-no-such-program")) {
            try CommandRunner.run(Command("braid-no-such-program"))
        }
        #expect(throws: CommandError.executableNotFound("/nonexistent/git")) {
            try CommandRunner.run(Command("/nonexistent/git"))
        }
    }

    @Test func missingWorkingDirectoryIsALaunchFailure() {
        #expect {
            try CommandRunner.run(Command("true", workingDirectory: URL(fileURLWithPath: "/nonexistent/braid")))
        } throws: { error in
            if case .launchFailed(let executable, _) = error as? CommandError { return executable == "true" }
            return false
        }
    }

    @Test func manyThreadsCanRunCommandsAtOnce() throws {
        let outputs = Mutex<[Int: String]>([:])
        DispatchQueue.concurrentPerform(iterations: 32) { i in
            let result = try? CommandRunner.run(Command("printf", ["%s", "run-\(i)"], standardInput: Data("x".utf8)))
            outputs.withLock { $0[i] = result?.output }
        }
        let collected = outputs.withLock { $0 }
        for i in 0..<32 { #expect(collected[i] == "run-\(i)") }
    }

    @Test func slowCommandsStartedAlongsideDoNotHoldUpAFastOnesOutput() throws {
        // Were a fast command's pipe inherited by a slow child spawned at the same moment, its read
        // would last as long as the slow child.
        // Ordering, not timing: every fast command must be done while the slow ones still run.
        let slowEnded = Mutex(0)
        let slow = (0..<8).map { _ in
            ThreadJob(name: "slow") {
                _ = try? CommandRunner.run(Command("sleep", ["60"], timeLimit: .seconds(5)))
                slowEnded.withLock { $0 += 1 }
            }
        }
        DispatchQueue.concurrentPerform(iterations: 4) { _ in
            for _ in 0..<10 {
                let result = try? CommandRunner.run(Command("printf", ["fast"]))
                #expect(result?.output == "fast")
            }
        }
        #expect(slowEnded.withLock { $0 } == 0)
        for job in slow { _ = job.wait() }
    }
}
