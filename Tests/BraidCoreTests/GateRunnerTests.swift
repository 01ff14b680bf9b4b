import Foundation
import Testing
@testable import BraidCore

@Suite struct GateRunnerTests {
    /// A git checkout to run the gate in, as a task's worktree is; deleted with the fixture.
    final class Folder {
        let fixture: GitFixture
        let url: URL
        init() throws {
            fixture = try GitFixture()
            url = try fixture.repository()
        }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: url.appendingPathComponent(name).path) }
    }

    @Test func passingStepsAllRunInTheWorktree() async throws {
        let folder = try Folder()
        let gate = GateRunner(steps: [
            GateStepConfig(name: "build", command: .argv(["touch", "built"])),
            GateStepConfig(name: "test", command: .argv(["test", "-e", "built"])),
        ])
        let result = await gate.run(in: folder.url)
        #expect(result.passed)
        #expect(result.steps.map(\.name) == ["build", "test"])
        #expect(result.steps.map(\.outcome) == [.exited(0), .exited(0)])
        #expect(result.failedStep == nil && result.skipped.isEmpty)
        #expect(result.summary.hasPrefix("The gate passed: build, test (2 steps"))
    }

    @Test func theFirstFailingStepStopsTheRunWithItsStatusAndOutput() async throws {
        let folder = try Folder()
        let gate = GateRunner(steps: [
            GateStepConfig(name: "build", command: .argv(["true"])),
            GateStepConfig(name: "test", command: .argv(["sh", "-c", "echo 'compiling'; echo 'error: x is not defined' >&2; echo 'done'; exit 4"])),
            GateStepConfig(name: "lint", command: .argv(["touch", "linted"])),
        ])
        let result = await gate.run(in: folder.url)
        #expect(!result.passed)
        #expect(result.steps.map(\.name) == ["build", "test"])
        #expect(result.skipped == ["lint"])
        #expect(!folder.exists("linted"))
        let failed = try #require(result.failedStep)
        #expect(failed.name == "test" && failed.outcome == .exited(4))
        // Standard output and error interleaved as written.
        #expect(failed.output == OutputTail(text: "compiling\nerror: x is not defined\ndone\n", droppedBytes: 0))
        #expect(result.summary == """
            The gate failed at step "test" (2 of 3): exited with status 4 after \(String(format: "%.1f s", failed.seconds)).
            Command: sh -c 'echo '\\''compiling'\\''; echo '\\''error: x is not defined'\\'' >&2; echo '\\''done'\\''; exit 4'
            Passed before it: build.
            Not run: lint.
            Its output:
            compiling
            error: x is not defined
            done
            """)
    }

    @Test func aStepPastItsTimeLimitIsStoppedAndReportedTimedOut() async throws {
        let folder = try Folder()
        let gate = GateRunner(steps: [
            GateStepConfig(name: "hang", command: .argv(["sh", "-c", "echo waiting; sleep 300 & sleep 300"]), timeoutSeconds: 1),
            GateStepConfig(name: "after", command: .argv(["touch", "after"])),
        ], defaultTimeLimit: .seconds(600))
        let result = await gate.run(in: folder.url)
        #expect(!result.passed)
        let failed = try #require(result.failedStep)
        #expect(failed.outcome == .timedOut)
        #expect(failed.timeLimitSeconds == 1)
        #expect(failed.output.text == "waiting\n")
        #expect(result.skipped == ["after"] && !folder.exists("after"))
        #expect(result.summary.contains("ran past its time limit and was stopped"))
        #expect(result.summary.contains("(limit 1.0 s)"))
    }

    @Test func theDefaultTimeLimitAppliesToAStepWithoutItsOwn() async throws {
        let folder = try Folder()
        let gate = GateRunner(steps: [GateStepConfig(name: "hang", command: .argv(["sleep", "300"]))],
                              defaultTimeLimit: .milliseconds(300))
        let result = await gate.run(in: folder.url)
        #expect(result.failedStep?.outcome == .timedOut)
        #expect(result.failedStep?.timeLimitSeconds == 0.3)
    }

    @Test func aShellStepRunsThroughTheShell() async throws {
        let folder = try Folder()
        let script = "echo one && echo two > made; test -e made"
        let result = await GateRunner(steps: [GateStepConfig(name: "shell", command: .shell(script))]).run(in: folder.url)
        #expect(result.passed)
        #expect(result.steps.first?.command == ["/bin/sh", "-c", script])
        #expect(result.steps.first?.output.text == "one\n")
        #expect(folder.exists("made"))
    }

    @Test func anArgvStepWithShellSyntaxRunsNothingElse() async throws {
        let folder = try Folder()
        let gate = GateRunner(steps: [
            GateStepConfig(name: "echo", command: .argv(["echo", "; touch pwned", "$(touch pwned)", "`touch pwned`"])),
            GateStepConfig(name: "joined", command: .argv(["true; touch pwned"])),
        ])
        let result = await gate.run(in: folder.url)
        #expect(result.steps.first?.output.text == "; touch pwned $(touch pwned) `touch pwned`\n")
        #expect(result.steps.last?.outcome == .couldNotStart(CommandError.executableNotFound("true; touch pwned").description))
        #expect(!folder.exists("pwned"))
    }

    @Test func hugeOutputKeepsOnlyABoundedTailFromALineStart() async throws {
        let folder = try Folder()
        // 500,000 lines of 23 bytes, then a last line: 11.5 MB in all.
        let script = "yes 'a line of gate output' | head -n 500000; echo 'last line'; exit 1"
        let result = await GateRunner(steps: [GateStepConfig(name: "noisy", command: .argv(["sh", "-c", script]))])
            .run(in: folder.url)
        let failed = try #require(result.failedStep)
        #expect(failed.outcome == .exited(1))
        let tail = failed.output
        #expect(tail.text.utf8.count <= OutputTail.defaultLimit)
        #expect(tail.text.utf8.count > OutputTail.defaultLimit - 100)
        #expect(tail.text.hasPrefix("a line of gate output\n"))
        #expect(tail.text.hasSuffix("a line of gate output\nlast line\n"))
        #expect(tail.droppedBytes + tail.text.utf8.count == 500_000 * 22 + 10)
        #expect(result.summary.contains("End of its output (\(tail.droppedBytes) earlier bytes left out):"))
        #expect(result.summary.utf8.count < OutputTail.defaultLimit + 1000)
    }

    @Test func aMissingProgramFailsTheStepWithTheReason() async throws {
        let folder = try Folder()
        let result = await GateRunner(steps: [
            GateStepConfig(name: "lint", command: .argv(["braid-no-such-linter", "--strict"])),
            GateStepConfig(name: "empty", command: .argv([])),
        ]).run(in: folder.url)
        #expect(!result.passed)
        #expect(result.failedStep?.outcome == .couldNotStart("braid-no-such-linter: no such executable on PATH; install it or put it on PATH"))
        #expect(result.summary.contains("could not start: braid-no-such-linter: no such executable on PATH"))
        #expect(result.skipped == ["empty"])

        let empty = await GateRunner(steps: [GateStepConfig(name: "empty", command: .argv([]))]).run(in: folder.url)
        #expect(empty.failedStep?.outcome == .couldNotStart("the step's command is empty"))
    }

    @Test func aGateWithNoStepsPasses() async throws {
        let folder = try Folder()
        let result = await GateRunner(steps: []).run(in: folder.url)
        #expect(result.passed && result.steps.isEmpty)
        #expect(result.summary == "The gate passed (it has no steps).")
    }

    @Test func takesStepsAndDefaultTimeLimitFromTheConfig() {
        var config = BraidConfig()
        config.gate = [GateStepConfig(name: "test", command: .argv(["swift", "test"]))]
        config.stepTimeoutSeconds = 42
        let gate = GateRunner(config: config)
        #expect(gate.steps == config.gate)
        #expect(gate.defaultTimeLimit == .seconds(42))
    }

    @Test func resultsRoundTripThroughJSON() throws {
        let tail = OutputTail(text: "boom\n", droppedBytes: 12)
        let result = GateResult(steps: [
            GateStepResult(name: "a", command: ["true"], outcome: .exited(0), seconds: 0.5, timeLimitSeconds: 60, output: tail),
            GateStepResult(name: "b", command: ["x"], outcome: .signaled(9), seconds: 1, timeLimitSeconds: 60, output: tail),
            GateStepResult(name: "c", command: ["y"], outcome: .timedOut, seconds: 60, timeLimitSeconds: 60, output: tail),
            GateStepResult(name: "d", command: ["z"], outcome: .couldNotStart("no z"), seconds: 0, timeLimitSeconds: 60, output: tail),
        ], skipped: ["e"])
        let data = try JSONEncoder().encode(result)
        #expect(try JSONDecoder().decode(GateResult.self, from: data) == result)
        let json = String(decoding: data, as: UTF8.self)
        #expect(json.contains(#"{"kind":"exited","status":0}"#) || json.contains(#"{"status":0,"kind":"exited"}"#))
    }
}
