#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
import TestSupport

/// The fresh-context reviewer and risk triage through the real binary. The reviewer is a small
/// executable committed in the test repository (`agents.rev = {command: ["./reviewer.sh"]}`): it
/// prints what the test wrote for it, so each test decides what the reviewer says: findings with
/// prose around them or without, output Braid cannot read, edits to the worktree, a long wait.
///
/// Every wait is a poll for a condition; the timeouts only guard against hangs.
@Suite(.serialized) struct ReviewTests {
    typealias Run = RunCommandTests

    // MARK: Fixtures

    /// A project whose `review.agent` is `rev`, a script that reads its prompt from stdin, then
    /// prints `findings-<task>.txt` (or else `findings.txt`) from the control folder
    /// `.braid/reviewer/`, where it also leaves what it read and a line per run (session and pid).
    /// Its Nth run prints `findings-run-N.txt` instead, if there is one. While `hold` (or, for its
    /// Nth run, `hold-N`) exists there it waits (at most a minute); `edit.sh` there, if any, it runs
    /// in the worktree before answering.
    final class ReviewProject: @unchecked Sendable {
        let fixture: ProjectFixture
        let control: URL

        init(review: String? = #"{"agent": "rev"}"#, gate: String = "exit 0", config: [String: String] = [:]) throws {
            var members = config
            if let review {
                members["agents"] = #"{"rev": {"command": ["./reviewer.sh"]}}"#
                members["review"] = review
            }
            fixture = try ProjectFixture(gate: gate, config: members)
            control = fixture.root.appendingPathComponent(".braid/reviewer")
            try FileManager.default.createDirectory(at: control, withIntermediateDirectories: true)
            try fixture.write("reviewer.sh", """
                #!/bin/sh
                control='\(control.path)'
                cat > "$control/stdin-$BRAID_TASK_ID.txt"
                echo "$BRAID_SESSION $$" >> "$control/runs"
                n=$(wc -l < "$control/runs" | tr -d ' ')
                i=0
                while { [ -f "$control/hold" ] || [ -f "$control/hold-$n" ]; } && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
                if [ -f "$control/edit.sh" ]; then sh "$control/edit.sh"; fi
                for answer in "findings-run-$n.txt" "findings-$BRAID_TASK_ID.txt" findings.txt; do
                  if [ -f "$control/$answer" ]; then cat "$control/$answer"; break; fi
                done

                """, executable: true)
            try fixture.git("add", "reviewer.sh")
            try fixture.git("commit", "-q", "-m", "a reviewer")
        }

        deinit { _ = try? fixture.braid(["daemon", "stop"]) }

        var root: URL { fixture.root }

        /// What the reviewer prints (for `task`, or for every task).
        func say(_ output: String, task: Int? = nil) throws {
            try Data(output.utf8).write(to: control.appendingPathComponent(task.map { "findings-\($0).txt" } ?? "findings.txt"))
        }

        /// What the reviewer's Nth run prints.
        func say(_ output: String, run: Int) throws {
            try Data(output.utf8).write(to: control.appendingPathComponent("findings-run-\(run).txt"))
        }

        /// Makes every run of the reviewer (or only its Nth) wait until released.
        func hold(run: Int? = nil) throws { try Data().write(to: control.appendingPathComponent(run.map { "hold-\($0)" } ?? "hold")) }
        func release(run: Int? = nil) { try? FileManager.default.removeItem(at: control.appendingPathComponent(run.map { "hold-\($0)" } ?? "hold")) }

        func touch(_ name: String) throws { try Data().write(to: control.appendingPathComponent(name)) }
        func exists(_ name: String) -> Bool { FileManager.default.fileExists(atPath: control.appendingPathComponent(name).path) }

        func edit(_ script: String) throws { try Data(script.utf8).write(to: control.appendingPathComponent("edit.sh")) }

        /// The reviewer's runs so far: session and pid.
        var runs: [(session: String, pid: Int32)] {
            let text = (try? String(contentsOf: control.appendingPathComponent("runs"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").compactMap { line in
                let parts = line.split(separator: " ")
                guard parts.count == 2, let pid = Int32(parts[1]) else { return nil }
                return (String(parts[0]), pid)
            }
        }

        /// What the reviewer of `task` read on its standard input.
        func stdin(task: Int) throws -> String {
            try String(contentsOf: control.appendingPathComponent("stdin-\(task).txt"), encoding: .utf8)
        }

        func braid(_ arguments: [String]) throws -> ProgramRun.Outcome { try fixture.braid(arguments) }

        /// `braid run`, expected to succeed.
        @discardableResult
        func run() throws -> ProgramRun.Outcome {
            let run = try braid(["run"])
            #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
            return run
        }

        /// The task's review record (`braid review #N --json`).
        func review(_ id: Int) throws -> JSONValue {
            let shown = try braid(["review", "#\(id)", "--json"])
            guard shown.status == 0 else { throw Failure(description: "braid review #\(id): \(shown.stderr)") }
            return try JSONParser.parse(shown.stdout)
        }

        func task(_ id: Int) throws -> JSONValue? { try Run.status(fixture)[id] }

        /// Polls until the task is in `section` (a guard of two minutes against a hang).
        @discardableResult
        func waitForSection(_ id: Int, _ section: String) throws -> JSONValue? {
            var last: JSONValue?
            let reached = try eventually(timeout: 120, interval: 0.1) {
                last = try task(id)
                return last?["section"]?.stringValue == section
            }
            #expect(reached, "#\(id) never reached \(section): \(String(describing: last))")
            return last
        }

        /// Polls until the task's review has `status`.
        @discardableResult
        func waitForReview(_ id: Int, status: String) throws -> JSONValue? {
            var last: JSONValue?
            let reached = eventually(timeout: 120, interval: 0.1) {
                last = try? review(id)
                return last?["status"]?.stringValue == status
            }
            #expect(reached, "#\(id)'s review never became \(status): \(String(describing: last))")
            return last
        }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    static func findings(_ review: JSONValue?) -> [JSONValue] { review?["findings"]?.arrayValue ?? [] }

    static let twoFindings = """
        I read the change against the task. Two things stand out (see below).

        ```json
        {"findings": [
          {"file": "greeting.txt", "line": 1, "severity": "high", "message": "KEPT-MESSAGE: the greeting is rude",
           "suggestedFix": "KEPT-FIX: say please"},
          {"file": "greeting.txt", "severity": "low", "message": "OVERRULED-MESSAGE: prefer British spelling",
           "suggestedFix": "OVERRULED-FIX: write colour"}
        ]}
        ```

        Nothing else; the tests look fine.
        """

    static func greetTask(_ id: Int, _ file: String = "greeting.txt") -> String {
        Run.scriptTask(id, "Greet \(id)", "echo hello >> \(file)")
    }

    // MARK: Adjudication

    @Test func keptFindingsReachTheBuildersNextPromptAndOverruledOnesDoNot() throws {
        let p = try ReviewProject()
        try p.say(Self.twoFindings)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1)]))
        try p.run()

        let review = try p.review(1)
        #expect(review["status"] == "ready")
        #expect(review["reviewer"] == "rev")
        #expect(Self.findings(review).map { $0["severity"]?.stringValue } == ["high", "low"])
        #expect(Self.findings(review).first?["line"] == 1)
        let task = try p.task(1)
        #expect(task?["section"] == "review")
        #expect(task?["review"] == "review: 2 findings (worst high), 2 to decide")

        // One decision of two: nothing happens yet.
        let kept = try p.braid(["review", "#1", "--keep", "1", "--reason", "PERSON-REASON: rudeness matters"])
        #expect(kept.status == 0, "\(kept.stderr)")
        #expect(kept.stdout.contains("kept: PERSON-REASON: rudeness matters"), "\(kept.stdout)")
        #expect(kept.stdout.contains("undecided"))
        #expect(try p.task(1)?["section"] == "review")
        let overruled = try p.braid(["review", "#1", "--overrule", "2", "--reason", "we write American English"])
        #expect(overruled.status == 0, "\(overruled.stderr)")
        #expect(overruled.stdout.contains("#1 review: adjudicated"), "\(overruled.stdout)")
        #expect(overruled.stdout.contains("overruled: we write American English"))
        // A kept finding sends the task back to its builder.
        #expect(try p.task(1)?["section"] == "todo")

        // The second time the reviewer has nothing to say.
        try p.say(#"{"findings": []}"#)
        try p.run()
        let sessions = try Run.sessions(p.fixture, task: 1)
        #expect(sessions.count == 2, "\(sessions)")
        guard sessions.count == 2 else { return }
        let first = try Run.promptOf(p.fixture, sessionLine: sessions[0])
        let next = try Run.promptOf(p.fixture, sessionLine: sessions[1])
        #expect(!first.contains("KEPT-MESSAGE"))
        #expect(next.contains("KEPT-MESSAGE: the greeting is rude"), "\(next)")
        #expect(next.contains("KEPT-FIX: say please"))
        #expect(next.contains("PERSON-REASON: rudeness matters"))
        #expect(!next.contains("OVERRULED-MESSAGE"), "\(next)")
        #expect(!next.contains("OVERRULED-FIX"))
        let after = try p.task(1)
        #expect(after?["section"] == "review")
        // Sent back by a person: not a failed try.
        #expect(after?["attempts"] == 0)
        #expect(after?["review"] == "review: no findings")
        #expect(p.runs.count == 2)
    }

    /// Adjudication itself queues the task: it lands whether the merge queue runs by itself or not.
    @Test(arguments: [false, true])
    func withEveryFindingOverruledTheTaskLands(mergeQueueAuto: Bool) throws {
        let p = try ReviewProject(config: ["mergeQueue": #"{"auto": \#(mergeQueueAuto)}"#])
        try p.say(Self.twoFindings)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1)]))
        try p.run()
        #expect(try p.task(1)?["section"] == "review")
        let decided = try p.braid(["review", "#1", "--overrule", "1,2", "--reason", "both are matters of taste"])
        #expect(decided.status == 0, "\(decided.stderr)")
        let done = try p.waitForSection(1, "done")
        #expect(done?["landedCommit"]?.stringValue != nil)
        #expect(try p.fixture.git("show", "main:greeting.txt") == "hello\n")
        // Only the builder's session ran: overruled findings send nothing back.
        #expect(try Run.sessions(p.fixture, task: 1).count == 1)
        let review = try p.review(1)
        #expect(review["status"] == "adjudicated")
        #expect(Self.findings(review).allSatisfy { $0["decision"]?["keep"] == false })
    }

    @Test func aFindingKeptAfterAllWereOverruledTakesTheTaskOutOfTheMergeQueue() throws {
        let p = try ReviewProject()
        // The gate waits while `slowgate` exists: the merge queue's gate of the merged result is held.
        let slow = p.control.appendingPathComponent("slowgate").path, gating = p.control.appendingPathComponent("gating").path
        try p.fixture.write("check.sh", """
            #!/bin/sh
            if [ -f '\(slow)' ]; then
              touch '\(gating)'
              i=0; while [ -f '\(slow)' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
            fi

            """, executable: true)
        try p.fixture.git("commit", "-q", "-am", "a gate that can be held")
        try p.say(Self.twoFindings)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1)]))
        try p.run()
        #expect(try p.task(1)?["section"] == "review")

        try Data().write(to: URL(fileURLWithPath: slow))
        defer { try? FileManager.default.removeItem(atPath: slow) }
        #expect(try p.braid(["review", "#1", "--overrule", "1,2", "--reason", "fine as it is"]).status == 0)
        #expect(eventually(timeout: 120, interval: 0.05) { FileManager.default.fileExists(atPath: gating) }, "the merge gate never ran")
        // While the merge queue gates it, the person changes their mind.
        let changed = try p.braid(["review", "#1", "--keep", "1", "--reason", "SECOND-THOUGHT: rudeness matters after all"])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(try p.task(1)?["section"] == "todo")
        try FileManager.default.removeItem(atPath: slow)
        // The pass ends without landing it.
        #expect(eventually(timeout: 120, interval: 0.1) {
            let status = try? p.braid(["call", "workspace/status"])
            return status.flatMap { try? JSONParser.parse($0.stdout)["merging"] } == false
        })
        let task = try p.task(1)
        #expect(task?["section"] == "todo", "\(String(describing: task))")
        #expect(task?["queued"] == false)
        #expect(throws: (any Error).self) { try p.fixture.git("show", "main:greeting.txt") }
        // And its builder hears of the kept finding.
        try p.say(#"{"findings": []}"#)
        try p.run()
        let sessions = try Run.sessions(p.fixture, task: 1)
        #expect(sessions.count == 2)
        if let last = sessions.last { #expect(try Run.promptOf(p.fixture, sessionLine: last).contains("SECOND-THOUGHT")) }
    }

    // MARK: Newer work

    /// A builder whose first try writes v1, and whose second (after a person sent it back) writes
    /// v2, says so (`builder-2` in the control folder), waits for `go-2` there, then adds v2-done.
    static func twoVersions(_ p: ReviewProject) -> String {
        let builder2 = p.control.appendingPathComponent("builder-2").path, go = p.control.appendingPathComponent("go-2").path
        return """
            if [ -f .second ]; then
              echo v2 > work.txt
              touch '\(builder2)'
              i=0; while [ ! -f '\(go)' ] && [ $i -lt 1200 ]; do sleep 0.05; i=$((i+1)); done
              echo v2-done >> work.txt
            else
              touch .second
              echo v1 > work.txt
            fi
            """
    }

    /// `braid run` in the background, ended (if it still runs) when the test is done with it.
    final class BackgroundRun {
        let program: BackgroundProgram
        init(_ p: ReviewProject) throws { program = try BackgroundProgram(BraidBinary.path, ["run"], directory: p.root) }
        deinit { if program.waitForExit(timeout: 0) == nil { program.kill9() } }
    }

    @Test func aReviewOfOlderWorkDecidesNothingAboutNewerWork() throws {
        let p = try ReviewProject(review: #"{"agent": "rev", "auto": true, "threshold": "low"}"#)
        // The review of v1 would let it through; the review of v2 would not.
        try p.say(#"{"findings": [{"severity": "low", "message": "OLD-REVIEW: fine"}]}"#, run: 1)
        try p.say(#"{"findings": [{"severity": "high", "message": "NEW-REVIEW: v2 is broken"}]}"#, run: 2)
        try p.hold(run: 1)
        try p.hold(run: 2)
        try p.touch("go-2")
        defer {
            p.release(run: 1)
            p.release(run: 2)
        }
        try p.fixture.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Versions", Self.twoVersions(p))]))
        let run = try BackgroundRun(p)
        #expect(eventually(timeout: 120) { p.runs.count == 1 }, "\(run.program.output)")
        guard let old = p.runs.first else { return }
        // While v1 is reviewed, a person sends it back; v2 is built, gated, and its review starts.
        let rejected = try p.braid(["reject", "#1", "--feedback", "write v2"])
        #expect(rejected.status == 0, "\(rejected.stderr)")
        #expect(eventually(timeout: 120) { p.runs.count == 2 }, "\(run.program.output)")
        // Now the review of v1 ends (if it still ran), and has been dealt with.
        p.release(run: 1)
        #expect(eventually(timeout: 60) { !processIsRunning(old.pid) })
        #expect(eventually(timeout: 60) {
            let log = (try? p.fixture.read(".braid/logs/daemon.log")) ?? ""
            return log.contains("#1 reviewed: nothing that needs a person") || log.contains("#1 its review (session \(old.session)) is stopped")
        })
        p.release(run: 2)
        #expect(run.program.waitForExit(timeout: 120) == 0, "\(run.program.output)")

        let review = try p.waitForReview(1, status: "ready")
        #expect(review?["session"]?.stringValue == p.runs.last?.session)
        #expect(Self.findings(review).map { $0["message"]?.stringValue } == ["NEW-REVIEW: v2 is broken"])
        #expect(try p.task(1)?["section"] == "review")
        #expect(throws: (any Error).self) { try p.fixture.git("show", "main:work.txt") }
        let worktree = try MergeCommandTests.worktree(p.fixture, task: 1)
        #expect(try MergeCommandTests.git(in: worktree.path, "show", "\(worktree.branch):work.txt") == "v2\nv2-done\n")
    }

    @Test func aReviewOfOlderWorkIsStoppedBeforeNewerWorkStartsAndLeavesItAlone() throws {
        let p = try ReviewProject()
        try p.say(#"{"findings": [{"severity": "low", "message": "about v1"}]}"#, run: 1)
        try p.say(#"{"findings": []}"#, run: 2)
        try p.hold(run: 1)
        defer {
            p.release(run: 1)
            try? p.touch("go-2")
        }
        try p.fixture.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Versions", Self.twoVersions(p))]))
        let run = try BackgroundRun(p)
        #expect(eventually(timeout: 120) { p.runs.count == 1 }, "\(run.program.output)")
        guard let old = p.runs.first else { return }
        #expect(try p.braid(["reject", "#1", "--feedback", "write v2"]).status == 0)
        // The second try has written v2 (not committed yet) and waits.
        #expect(eventually(timeout: 120) { p.exists("builder-2") }, "\(run.program.output)")
        let worktree = try MergeCommandTests.worktree(p.fixture, task: 1)
        // The review of v1 ends now if it still ran: its reviewer's clean-up must not undo v2.
        p.release(run: 1)
        #expect(eventually(timeout: 60) { !processIsRunning(old.pid) })
        #expect(eventually(timeout: 60) {
            let log = (try? p.fixture.read(".braid/logs/daemon.log")) ?? ""
            let status = (try? MergeCommandTests.git(in: worktree.path, "status", "--porcelain")) ?? "?"
            return log.contains("#1 its review (session \(old.session)) is stopped") || status.isEmpty
        })
        try p.touch("go-2")
        #expect(run.program.waitForExit(timeout: 120) == 0, "\(run.program.output)")
        #expect(try MergeCommandTests.git(in: worktree.path, "show", "\(worktree.branch):work.txt") == "v2\nv2-done\n")
        #expect(try p.task(1)?["section"] == "review")
        #expect(p.runs.count == 2)
    }

    // MARK: Output Braid cannot read

    @Test func unreadableReviewerOutputFailsTheReviewUntilItIsRunAgain() throws {
        let p = try ReviewProject()
        try p.say("Here is my review:\n```json\n{\"findings\": [{\"severity\": \"high\", \"message\": \"the loop never ends", task: 1)
        try p.say("Looks fine to me, ship it.\n", task: 2)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1, "one.txt"), Self.greetTask(2, "two.txt")]))
        try p.run()

        for id in [1, 2] {
            let task = try p.task(id)
            #expect(task?["section"] == "review")
            #expect(task?["review"] == "review failed")
        }
        let cut = try p.review(1)
        #expect(cut["status"] == "failed")
        #expect(cut["error"]?.stringValue?.contains("cut off") == true, "\(cut)")
        let prose = try p.review(2)
        #expect(prose["status"] == "failed")
        #expect(prose["error"]?.stringValue?.contains("no findings JSON") == true, "\(prose)")
        // The CLI says so, in words.
        let shown = try p.braid(["review", "#1"])
        #expect(shown.status == 0)
        #expect(shown.stdout.hasPrefix("#1 review: failed (rev)"), "\(shown.stdout)")
        #expect(shown.stdout.contains("  error: the reviewer's findings JSON is cut off"))
        // There is nothing to decide.
        let decide = try p.braid(["review", "#1", "--keep", "1", "--reason", "x"])
        #expect(decide.status == 1)
        #expect(decide.stderr.contains("has no review findings to decide (its review is failed)"), "\(decide.stderr)")

        // Fixed, the review runs again (through the CLI for #1, the method for #2).
        try p.say(#"{"findings": [{"file": "one.txt", "line": "1", "severity": "warning", "message": "say more than hello"}]}"#, task: 1)
        try p.say(#"{"findings": []}"#, task: 2)
        let again = try p.braid(["review", "#1", "--again"])
        #expect(again.status == 0, "\(again.stderr)")
        #expect(again.stdout == "#1: reviewing again\n")
        let called = try p.braid(["call", "review/run", #"{"task": 2}"#])
        #expect(called.status == 0, "\(called.stderr)")
        let fixed = try p.waitForReview(1, status: "ready")
        #expect(fixed?["error"] == .null)
        #expect(Self.findings(fixed).map { $0["message"]?.stringValue } == ["say more than hello"])
        #expect(Self.findings(fixed).first?["severity"] == "medium")
        #expect(Self.findings(fixed).first?["line"] == 1)
        let clean = try p.waitForReview(2, status: "ready")
        #expect(Self.findings(clean).isEmpty)
        #expect(try p.task(1)?["section"] == "review")
        #expect(p.runs.count == 4)
    }

    // MARK: Veto

    @Test func aVetoBlocksApproveAndMergeUntilEveryFindingIsOverruled() throws {
        let p = try ReviewProject(review: #"{"agent": "rev", "veto": true}"#)
        try p.say(Self.twoFindings, task: 1)
        try p.say("Nothing to report.\n{\"findings\": []}\n", task: 2)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1), Self.greetTask(2, "other.txt")]))
        try p.run()
        #expect(try p.task(1)?["section"] == "review")

        for command in ["approve", "merge"] {
            let refused = try p.braid([command, "#1"])
            #expect(refused.status == 1, "\(command): \(refused.stdout)")
            #expect(refused.stderr.contains("#1's reviewer has a veto and 2 findings not overruled"), "\(command): \(refused.stderr)")
        }
        // Still waiting, and nothing queued.
        #expect(try p.task(1)?["section"] == "review")
        #expect(try p.task(1)?["queued"] == false)

        // A review without findings vetoes nothing.
        let approved = try p.braid(["approve", "#2"])
        #expect(approved.status == 0, "\(approved.stderr)")
        try p.waitForSection(2, "done")

        _ = try p.braid(["review", "#1", "--overrule", "1", "--reason", "rudeness is our brand"])
        let stillRefused = try p.braid(["approve", "#1"])
        #expect(stillRefused.status == 1)
        #expect(stillRefused.stderr.contains("1 finding not overruled"), "\(stillRefused.stderr)")
        #expect(try p.task(1)?["section"] == "review")

        let last = try p.braid(["review", "#1", "--overrule", "2", "--reason", "spelling is fine"])
        #expect(last.status == 0, "\(last.stderr)")
        try p.waitForSection(1, "done")
        #expect(try p.fixture.git("show", "main:greeting.txt") == "hello\n")
    }

    // MARK: Auto

    @Test func autoLetsAReviewWithOnlyMinorFindingsThroughAndHoldsAHighOne() throws {
        let p = try ReviewProject(review: #"{"agent": "rev", "auto": true, "threshold": "low"}"#)
        try p.say(#"{"findings": [{"severity": "low", "message": "a typo"}, {"severity": "info", "message": "consider a test"}]}"#, task: 1)
        try p.say(#"{"findings": [{"severity": "info", "message": "nit"}, {"severity": "high", "message": "data loss on error"}]}"#, task: 2)
        try p.say(#"{"findings": [{"severity": "medium", "message": "an unhandled case"}]}"#, task: 3)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1, "one.txt"), Self.greetTask(2, "two.txt"),
                                                         Self.greetTask(3, "three.txt")]))
        try p.run()
        // No person decided anything: #1 landed on its own, with the merge queue off.
        try p.waitForSection(1, "done")
        #expect(try p.fixture.git("show", "main:one.txt") == "hello\n")
        #expect(Self.findings(try p.review(1)).allSatisfy { $0["decision"] == .null })
        // Above the threshold (high, and medium over low): a person decides.
        for id in [2, 3] {
            #expect(try p.task(id)?["section"] == "review")
            #expect(try p.review(id)["status"] == "ready")
        }
        #expect(try p.task(2)?["review"] == "review: 2 findings (worst high), 2 to decide")
        #expect(throws: (any Error).self) { try p.fixture.git("show", "main:two.txt") }
    }

    // MARK: What the reviewer sees and may do

    @Test func theReviewerSeesTheTaskTheDiffAndTheConventionsButNeverTheBuildersLog() throws {
        let p = try ReviewProject()
        try p.fixture.write("AGENTS.md", "# Conventions\nCONVENTION-MARK: keep lines short.\n")
        try p.fixture.git("add", "AGENTS.md")
        try p.fixture.git("commit", "-q", "-m", "conventions")
        try p.say(#"{"findings": []}"#)
        // The builder prints a marker the task's text does not contain (the shell computes it).
        let script = "echo \"BUILDER-LOG-$((6*7))-MARK\"\necho 'FEATURE-LINE from the builder' > feature.txt"
        try p.fixture.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Add a feature", script,
                                                                         fields: ["DESCRIPTION-MARK: the feature file says hello."])]))
        try p.run()

        let sessions = try Run.sessions(p.fixture, task: 1)
        let builder = try #require(sessions.first?.split(separator: " ")[3].dropLast())
        #expect(try p.fixture.read(".braid/logs/\(builder)/output.log").contains("BUILDER-LOG-42-MARK"))

        let review = try p.review(1)
        let session = try #require(review["session"]?.stringValue)
        #expect(session.hasPrefix("review-1-"))
        let prompt = try p.fixture.read(".braid/logs/\(session)/prompt.txt")
        #expect(prompt.contains("Add a feature"))
        #expect(prompt.contains("DESCRIPTION-MARK: the feature file says hello."))
        #expect(prompt.contains("+FEATURE-LINE from the builder"), "\(prompt)")
        #expect(prompt.contains("CONVENTION-MARK: keep lines short."))
        #expect(prompt.contains(#"{"findings": []}"#))
        #expect(!prompt.contains("BUILDER-LOG-42-MARK"), "\(prompt)")
        // That is what the reviewer read.
        #expect(try p.stdin(task: 1) == prompt)
        // Its own log is where the record says.
        #expect(review["log"]?.stringValue?.hasSuffix("/\(session)/output.log") == true)
    }

    @Test func whatTheReviewerChangesInTheWorktreeIsUndone() throws {
        let p = try ReviewProject()
        try p.say(#"{"findings": [{"severity": "low", "message": "fine"}]}"#)
        try p.edit("""
            echo committed-by-reviewer >> feature.txt
            git add feature.txt
            git -c user.name=Reviewer -c user.email=reviewer@example.invalid commit -q -m "the reviewer's own commit"
            echo uncommitted-by-reviewer >> feature.txt
            echo stray > reviewer-was-here.txt
            mkdir -p junk && echo x > junk/file
            """)
        try p.fixture.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Feature", "echo FEATURE > feature.txt")]))
        try p.run()
        let review = try p.review(1)
        #expect(review["status"] == "ready")
        #expect(Self.findings(review).count == 1)
        let worktree = try MergeCommandTests.worktree(p.fixture, task: 1)
        #expect(try String(contentsOfFile: worktree.path + "/feature.txt", encoding: .utf8) == "FEATURE\n")
        #expect(!FileManager.default.fileExists(atPath: worktree.path + "/reviewer-was-here.txt"))
        #expect(!FileManager.default.fileExists(atPath: worktree.path + "/junk"))
        #expect(try MergeCommandTests.git(in: worktree.path, "status", "--porcelain") == "")
        // Its commit is gone too: the branch is where the reviewed work left it.
        let tip = try MergeCommandTests.git(in: worktree.path, "rev-parse", "HEAD").trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(review["commit"]?.stringValue == tip)
        #expect(!(try MergeCommandTests.git(in: worktree.path, "log", "--format=%s", worktree.branch)).contains("the reviewer's own commit"))
        // And what lands is the builder's work alone.
        #expect(try p.braid(["approve", "#1"]).status == 0)
        try p.waitForSection(1, "done")
        #expect(try p.fixture.git("show", "main:feature.txt") == "FEATURE\n")
    }

    @Test func aReviewerStoppedForStallingFailsTheReviewAndItsEditsAreUndoneToo() throws {
        let p = try ReviewProject(config: ["stallTimeoutSeconds": "2"])
        try p.say(#"{"findings": []}"#)
        // It edits, then says nothing until the watchdog ends it.
        try p.edit("echo stalled-reviewer >> feature.txt\necho stray > reviewer-was-here.txt\nsleep 60")
        try p.fixture.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Feature", "echo FEATURE > feature.txt")]))
        try p.run()
        let review = try p.review(1)
        #expect(review["status"] == "failed")
        #expect(review["error"]?.stringValue?.hasPrefix("the reviewer was stopped") == true, "\(review)")
        let worktree = try MergeCommandTests.worktree(p.fixture, task: 1)
        #expect(try String(contentsOfFile: worktree.path + "/feature.txt", encoding: .utf8) == "FEATURE\n")
        #expect(!FileManager.default.fileExists(atPath: worktree.path + "/reviewer-was-here.txt"))
        #expect(try p.task(1)?["section"] == "review")
    }

    // MARK: Risk

    @Test func riskIsListedAndOrdersTheReviewQueue() throws {
        // No reviewer: the risk is measured all the same.
        let p = try ReviewProject(review: nil)
        let risky = """
            mkdir -p db/migrate .github/workflows
            seq 1 600 > big.txt
            echo 'create table users (id int);' > db/migrate/001_users.sql
            echo lock > Gemfile.lock
            echo 'on: push' > .github/workflows/ci.yml
            """
        try p.fixture.write("BOARD.md", Run.board(todo: [
            Run.scriptTask(1, "Tiny", "echo hi > hi.txt"),
            Run.scriptTask(2, "Risky", risky),
            Run.scriptTask(3, "Middling", "seq 1 250 > mid.txt\necho lock > yarn.lock"),
        ]))
        try p.run()

        let status = try Run.status(p.fixture)
        #expect(status[1]?["risk"]?["score"] == 0)
        #expect(status[1]?["risk"]?["level"] == "low")
        #expect(status[2]?["risk"]?["score"] == 75)
        #expect(status[2]?["risk"]?["level"] == "high")
        #expect(status[2]?["risk"]?["reasons"]?.arrayValue?.compactMap(\.stringValue)
            == ["603 lines changed", "migrations: db/migrate/001_users.sql", "lockfiles: Gemfile.lock", "CI configuration: .github/workflows/ci.yml"])
        #expect(status[3]?["risk"]?["score"] == 30)
        #expect(status[3]?["risk"]?["level"] == "medium")
        // No reviewer, no review summary.
        #expect(status[2]?["review"] == .null)

        let table = try p.braid(["status"])
        #expect(table.status == 0)
        let lines = table.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first?.contains("RISK") == true, "\(table.stdout)")
        #expect(lines.first { $0.hasPrefix("#2 ") }?.contains("75 high") == true, "\(table.stdout)")
        #expect(lines.first { $0.hasPrefix("#3 ") }?.contains("30 medium") == true, "\(table.stdout)")
        #expect(lines.first { $0.hasPrefix("#1 ") }?.contains("0 low") == true, "\(table.stdout)")

        let client = try ServeClient(in: p.root)
        defer { _ = client.close() }
        _ = try client.initialize()
        func ids(_ params: JSONValue?) throws -> [Int] {
            try client.call("task/list", params)["tasks"]?.arrayValue?.compactMap { $0["id"]?.intValue } ?? []
        }
        #expect(try ids(nil) == [1, 2, 3])
        #expect(try ids(["orderBy": "board"]) == [1, 2, 3])
        #expect(try ids(["orderBy": "risk"]) == [2, 3, 1])
        #expect(try ids(["section": "review", "orderBy": "risk"]) == [2, 3, 1])
        #expect(client.errorCode("task/list", ["orderBy": "size"]).code == -32602)

        // The review of one without a reviewer shows its risk and why.
        let shown = try p.braid(["review", "#2"])
        #expect(shown.status == 0, "\(shown.stderr)")
        #expect(shown.stdout.hasPrefix("#2 review: none; risk 75 high"), "\(shown.stdout)")
        #expect(shown.stdout.contains("  risk: lockfiles: Gemfile.lock"))
    }

    // MARK: Errors

    @Test func reviewMethodsAnswerTheirErrorsWithTheDocumentedCodes() throws {
        let p = try ReviewProject()
        try p.say(Self.twoFindings)
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1), Run.scriptTask(2, "Later", "echo x > x.txt", fields: ["after: #9"])]))
        try p.run()
        #expect(try p.task(1)?["section"] == "review")
        #expect(try p.task(2)?["section"] == "todo")

        let client = try ServeClient(in: p.root)
        defer { _ = client.close() }
        _ = try client.initialize()
        let decision: JSONValue = ["finding": 1, "keep": true, "reason": "because"]
        func code(_ method: String, _ params: JSONValue) -> Int? { client.errorCode(method, params).code }

        #expect(code("review/adjudicate", ["task": 99, "decisions": [decision]]) == -32010)
        #expect(code("review/adjudicate", ["task": 2, "decisions": [decision]]) == -32011)
        let unknown = client.errorCode("review/adjudicate", ["task": 1, "decisions": [["finding": 5, "keep": true, "reason": "x"]]])
        #expect(unknown.code == -32602)
        #expect(unknown.message.contains("no finding 5 (it has 1 to 2)"), "\(unknown.message)")
        #expect(code("review/adjudicate", ["task": 1, "decisions": [["finding": 1, "keep": true]]]) == -32602)
        let blank = client.errorCode("review/adjudicate", ["task": 1, "decisions": [["finding": 1, "keep": true, "reason": "  "]]])
        #expect(blank.code == -32602)
        #expect(blank.message.contains("finding 1 needs a reason"), "\(blank.message)")
        #expect(code("review/adjudicate", ["task": 1, "decisions": []]) == -32602)
        #expect(code("review/adjudicate", ["task": 1]) == -32602)
        // A request with one bad decision changes nothing, not even its good ones.
        #expect(code("review/adjudicate", ["task": 1, "decisions": [decision, ["finding": 3, "keep": false, "reason": "x"]]]) == -32602)
        #expect(try client.call("review/findings", ["task": 1])["findings"]?.arrayValue?.allSatisfy { $0["decision"] == .null } == true)

        #expect(code("review/findings", ["task": 99]) == -32010)
        #expect(code("review/findings", ["task": 2]) == -32011)
        #expect(code("review/run", ["task": 99]) == -32010)
        #expect(code("review/run", ["task": 2]) == -32011)
        #expect(code("review/run", ["task": "one"]) == -32602)
        #expect(try p.task(1)?["section"] == "review")

        // Without a reviewer there is nothing to run or decide.
        let plain = try ReviewProject(review: nil)
        try plain.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1)]))
        try plain.run()
        let other = try ServeClient(in: plain.root)
        defer { _ = other.close() }
        _ = try other.initialize()
        let run = other.errorCode("review/run", ["task": 1])
        #expect(run.code == -32011)
        #expect(run.message.contains("no reviewer is configured"), "\(run.message)")
        #expect(other.errorCode("review/adjudicate", ["task": 1, "decisions": [decision]]).code == -32011)
        #expect(try other.call("review/findings", ["task": 1])["status"] == "none")
    }

    // MARK: Recovery

    @Test func aReviewCutShortByADaemonCrashRunsAgainAndCompletes() throws {
        let p = try ReviewProject()
        try p.say(#"{"findings": [{"severity": "medium", "message": "after the crash"}]}"#)
        try p.hold()
        defer { p.release() }
        try p.fixture.write("BOARD.md", Run.board(todo: [Self.greetTask(1)]))
        let first = try BackgroundProgram(BraidBinary.path, ["run"], directory: p.root)
        defer { first.kill9() }
        #expect(eventually(timeout: 120, interval: 0.05) { p.runs.count == 1 }, "\(first.output)")
        guard let cut = p.runs.first else { return }
        #expect(try p.review(1)["status"] == "running")
        #expect(try p.task(1)?["review"] == "reviewing")

        p.fixture.killDaemon()
        first.kill9()
        // The reviewer outlived its daemon.
        #expect(processIsRunning(cut.pid))

        // Any command starts the next daemon, which ends the cut-short review and runs it again.
        let status = try p.braid(["status"])
        #expect(status.status == 0, "\(status.stderr)")
        #expect(eventually(timeout: 120, interval: 0.05) { p.runs.count == 2 }, "\(p.runs)")
        #expect(eventually(timeout: 30, interval: 0.05) { !processIsRunning(cut.pid) }, "the cut-short reviewer still runs")
        guard p.runs.count == 2 else { return }
        let again = p.runs[1]
        #expect(again.session != cut.session)
        #expect(try p.fixture.read(".braid/logs/daemon.log").contains("#1 reviewing again: its review was cut short"))

        p.release()
        let review = try p.waitForReview(1, status: "ready")
        #expect(review?["session"]?.stringValue == again.session)
        #expect(Self.findings(review).map { $0["message"]?.stringValue } == ["after the crash"])
        #expect(try p.task(1)?["section"] == "review")
        #expect(p.runs.count == 2)
    }
}
