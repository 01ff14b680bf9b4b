#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
import TestSupport

/// The merge queue through the real binary on real repositories: `braid run` with the queue on,
/// and `braid merge` by hand, concurrently, and after crashes at each of its steps.
@Suite(.serialized) struct MergeCommandTests {
    typealias Run = RunCommandTests

    static let autoMerge = ["mergeQueue": #"{"auto": true}"#]

    // MARK: Helpers

    /// A commit of the base branch with its trailers.
    struct Commit {
        let hash: String
        let parents: [String]
        let subject: String
        let trailers: [String: String]
    }

    /// `main`'s first-parent history, newest first.
    static func history(_ project: ProjectFixture, _ ref: String = "main") throws -> [Commit] {
        let text = try project.git("log", "--first-parent", "--format=%H%x1f%P%x1f%s%x1f%(trailers:only,unfold)%x1e", ref)
        return text.split(separator: "\u{1e}").compactMap { record in
            let fields = record.trimmingCharacters(in: .whitespacesAndNewlines).split(separator: "\u{1f}", omittingEmptySubsequences: false)
            guard fields.count == 4 else { return nil }
            var trailers: [String: String] = [:]
            for line in fields[3].split(separator: "\n") {
                guard let colon = line.firstIndex(of: ":") else { continue }
                trailers[String(line[..<colon])] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            return Commit(hash: String(fields[0]), parents: fields[1].split(separator: " ").map(String.init),
                          subject: String(fields[2]), trailers: trailers)
        }
    }

    /// How many commits on `main` land task `id` (carry `Braid-Task: id`).
    static func landings(_ project: ProjectFixture, task id: Int) throws -> Int {
        try history(project).filter { $0.trailers["Braid-Task"] == "\(id)" }.count
    }

    static func rev(_ project: ProjectFixture, _ ref: String) throws -> String {
        try project.git("rev-parse", "--verify", "--quiet", ref).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `braid run` with the merge queue off: every task ends in Review, on a branch of its own.
    static func runToReview(_ project: ProjectFixture, tasks: ClosedRange<Int>) throws {
        let run = try project.braid(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let status = try Run.status(project)
        for id in tasks { #expect(status[id]?["section"] == "review", "\(run.stdout)") }
    }

    /// The task's worktree folder and branch.
    static func worktree(_ project: ProjectFixture, task id: Int) throws -> (path: String, branch: String) {
        let list = try JSONParser.parse(try project.braid(["worktree", "list", "--json"]).stdout).arrayValue ?? []
        guard let entry = list.first(where: { $0["task"]?.intValue == id }),
              let path = entry["path"]?.stringValue, let branch = entry["branch"]?.stringValue else {
            throw TestFailure( "#\(id) has no worktree")
        }
        return (path, branch)
    }

    /// Runs git in a task's worktree, as its agent would.
    @discardableResult
    static func git(in folder: String, _ arguments: String...) throws -> String {
        let outcome = try ProgramRun.run("/usr/bin/env", ["git", "-C", folder, "-c", "user.name=Agent", "-c", "user.email=agent@example.invalid"] + arguments)
        guard outcome.status == 0 else {
            throw TestFailure( "git \(arguments.joined(separator: " ")): \(outcome.stderr)")
        }
        return outcome.stdout
    }

    /// `braid merge ... --json`: its exit status, its decisions, and the whole output.
    static func mergeJSON(_ project: ProjectFixture, _ ids: [Int], environment: [String: String] = [:]) throws
        -> (status: Int32, decisions: [JSONValue], json: JSONValue, stderr: String) {
        let outcome = try project.braid(["merge"] + ids.map { "#\($0)" } + ["--json"], environment: environment)
        let json = (try? JSONParser.parse(outcome.stdout)) ?? .null
        return (outcome.status, json["decisions"]?.arrayValue ?? [], json, outcome.stderr)
    }

    static func pending(_ project: ProjectFixture) throws -> [JSONValue] {
        try JSONParser.parse(try project.braid(["merge", "--list", "--json"]).stdout)["pending"]?.arrayValue ?? []
    }

    /// git's lock files anywhere under `.git`.
    static func gitLocks(_ project: ProjectFixture) -> [String] {
        let git = project.root.appendingPathComponent(".git")
        let files = FileManager.default.enumerator(atPath: git.path)?.compactMap { $0 as? String } ?? []
        return files.filter { $0.hasSuffix(".lock") }
    }

    struct TestFailure: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: 1. braid run lands by itself

    @Test func runLandsTwoTasksOnMainWithTheirTrailers() throws {
        let project = try ProjectFixture(config: Self.autoMerge)
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Write one", "echo one > one.txt"),
                                                       Run.scriptTask(2, "Write two", "echo two > two.txt")]))
        let start = try Self.rev(project, "main")
        let run = try project.braid(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let status = try Run.status(project)
        #expect(status[1]?["section"] == "done", "\(run.stdout)")
        #expect(status[2]?["section"] == "done", "\(run.stdout)")

        // Two squash commits on top of the start, in a line: main only moved by fast-forward.
        let history = try Self.history(project)
        #expect(history.count == 3, "\(run.stdout)")
        #expect(history.last?.hash == start)
        let landed = history.dropLast()
        #expect(Set(landed.compactMap { $0.trailers["Braid-Task"] }) == ["1", "2"])
        let board = try project.read("BOARD.md")
        for (index, commit) in landed.enumerated() {
            #expect(commit.parents == [history[index + 1].hash])
            guard let task = commit.trailers["Braid-Task"].flatMap(Int.init) else { continue }
            #expect(commit.subject == (task == 1 ? "Write one" : "Write two"))
            #expect(commit.trailers["Braid-Agent"] == "script")
            #expect(commit.trailers["Braid-Gate"] == "check")
            // The session named is the task's own, in the journal and in the logs folder.
            let session = commit.trailers["Braid-Session"] ?? "(none)"
            let sessions = try Run.sessions(project, task: task)
            #expect(sessions.count == 1)
            #expect(sessions.first?.hasPrefix("== #\(task) session \(session):") == true, "\(sessions) vs \(session)")
            #expect(FileManager.default.fileExists(atPath: project.root.appendingPathComponent(".braid/logs/\(session)/prompt.txt").path))
            #expect(board.contains("landed: \(commit.hash.prefix(12))"), "\(board)")
        }
        #expect(try project.git("show", "main:one.txt") == "one\n")
        #expect(try project.git("show", "main:two.txt") == "two\n")
        // The user's checkout of main was moved along, with nothing left modified.
        #expect(try project.read("one.txt") == "one\n")
        #expect(try project.git("status", "--porcelain", "--untracked-files=no").isEmpty)
        #expect(try Self.pending(project).isEmpty)
    }

    // MARK: 2. A conflict goes back to the agent

    @Test func aConflictGoesBackToItsAgentAndLandsOnceResolved() throws {
        let project = try ProjectFixture(config: Self.autoMerge)
        try project.write("notes.txt", "# Notes\n")
        try project.git("add", "notes.txt")
        try project.git("commit", "-q", "-m", "notes")
        let tried = project.root.appendingPathComponent(".braid/tried-2").path
        let identity = "-c user.name=Agent -c user.email=agent@example.invalid"
        // #2's first try waits until #1 has landed, then writes its own line where #1 wrote: a
        // conflict. Its second try brings main in and keeps both lines.
        let second = """
            if [ -f \(tried) ]; then
              if ! git \(identity) merge --no-edit main; then
                printf '# Notes\\nline from 1\\nline from 2\\n' > notes.txt
                git add notes.txt
                git \(identity) commit -q --no-edit
              fi
            else
              i=0
              until git log main --format=%B | grep -qx 'Braid-Task: 1'; do i=$((i+1)); [ $i -lt 600 ]; sleep 0.05; done
              echo "line from 2" >> notes.txt
              touch \(tried)
            fi
            """
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "First line", "echo 'line from 1' >> notes.txt"),
                                                       Run.scriptTask(2, "Second line", second)]))
        let run = try project.braid(["run"])
        #expect(run.status == 0, "\(run.stderr)")
        let status = try Run.status(project)
        #expect(status[1]?["section"] == "done", "\(run.stdout)")
        #expect(status[2]?["section"] == "done", "\(run.stdout)")
        #expect(run.stdout.contains("#2 refused by the merge queue (conflict)"), "\(run.stdout)")

        let sessions = try Run.sessions(project, task: 2)
        #expect(sessions.count == 2, "\(run.stdout)")
        if sessions.count == 2 {
            #expect(!(try Run.promptOf(project, sessionLine: sessions[0])).contains("conflicts with main"))
            let retry = try Run.promptOf(project, sessionLine: sessions[1])
            #expect(retry.contains("Your branch conflicts with main in: notes.txt."), "\(retry)")
        }
        #expect(try project.git("show", "main:notes.txt") == "# Notes\nline from 1\nline from 2\n")
        #expect(try Self.landings(project, task: 1) == 1)
        #expect(try Self.landings(project, task: 2) == 1)
        let decisions = try JSONParser.parse(try project.braid(["merge", "--list", "--json"]).stdout)["decisions"]?.arrayValue ?? []
        let ofTwo = decisions.filter { $0["task"] == 2 }
        #expect(ofTwo.map { $0["kind"]?.stringValue ?? "" } == ["refused", "landed"])
        #expect(ofTwo.first?["reason"] == "conflict")
    }

    // MARK: 3. Fine alone, broken together

    @Test func twoBranchesThatBreakTogetherLandOnlyTheFirst() throws {
        let project = try ProjectFixture(gate: #"if [ -f a.txt ] && [ -f b.txt ]; then echo "GATE: a.txt and b.txt clash" >&2; exit 1; fi"#)
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Add a", "echo a > a.txt"),
                                                       Run.scriptTask(2, "Add b", "echo b > b.txt")]))
        try Self.runToReview(project, tasks: 1...2)
        let start = try Self.rev(project, "main")
        let merge = try Self.mergeJSON(project, [1, 2])
        #expect(merge.status == 1, "\(merge.json) \(merge.stderr)")
        #expect(merge.decisions.count == 2, "\(merge.json)")
        guard merge.decisions.count == 2 else { return }
        #expect(merge.decisions[0]["task"] == 1)
        #expect(merge.decisions[0]["kind"] == "landed")
        #expect(merge.decisions[1]["task"] == 2)
        #expect(merge.decisions[1]["kind"] == "refused")
        #expect(merge.decisions[1]["reason"] == "gateFailed")
        #expect(merge.decisions[1]["detail"]?.stringValue?.contains("GATE: a.txt and b.txt clash") == true, "\(merge.json)")
        // One gate run for #1's merged result; #2's failure is seen twice (a flake ruled out).
        #expect(merge.json["gateRuns"] == 3)
        #expect(merge.json["waiting"] == .null)

        let main = try Self.rev(project, "main")
        #expect(merge.decisions[0]["commit"]?.stringValue == main)
        #expect(try Self.rev(project, "main^") == start)
        #expect(try project.git("ls-tree", "--name-only", "main").split(separator: "\n").contains("a.txt"))
        #expect(!(try project.git("ls-tree", "--name-only", "main")).split(separator: "\n").contains("b.txt"))
        let status = try Run.status(project)
        #expect(status[1]?["section"] == "done")
        #expect(status[2]?["section"] == "todo")
        #expect(try Self.pending(project).isEmpty)
    }

    // MARK: 4. A stale copy of landed work

    @Test func aBranchWithAStaleCopyOfLandedLinesIsRefused() throws {
        let project = try ProjectFixture()
        let original = "l1\nl2\nl3\nl4\nl5\nl6\n"
        try project.write("lib.txt", original)
        try project.git("add", "lib.txt")
        try project.git("commit", "-q", "-m", "lib")
        try project.write("BOARD.md", Run.board(todo: [
            Run.scriptTask(1, "Change lines 3 and 4", #"printf 'l1\nl2\nA3\nA4\nl5\nl6\n' > lib.txt"#),
            Run.scriptTask(2, "Add b", "echo b > b.txt"),
        ]))
        try Self.runToReview(project, tasks: 1...2)
        let (path, _) = try Self.worktree(project, task: 2)
        let first = try project.braid(["merge", "#1"])
        #expect(first.status == 0, "\(first.stdout)\(first.stderr)")
        let landedA = try Self.rev(project, "main")

        // #2, forked before #1 landed, brings main in, then writes back its old copy of lib.txt.
        try Self.git(in: path, "merge", "--no-edit", "-q", "main")
        try Data(original.utf8).write(to: URL(fileURLWithPath: path).appendingPathComponent("lib.txt"))
        try Self.git(in: path, "commit", "-q", "-am", "stale copy")

        let merge = try Self.mergeJSON(project, [2])
        #expect(merge.status == 1, "\(merge.json) \(merge.stderr)")
        #expect(merge.decisions.count == 1)
        #expect(merge.decisions.first?["kind"] == "refused")
        #expect(merge.decisions.first?["reason"] == "staleBase")
        let detail = merge.decisions.first?["detail"]?.stringValue ?? ""
        #expect(detail.contains("lib.txt lines 3-4"), "\(detail)")
        #expect(try Self.rev(project, "main") == landedA)
        #expect(try project.git("show", "main:lib.txt") == "l1\nl2\nA3\nA4\nl5\nl6\n")
        #expect(try Run.status(project)[2]?["section"] == "todo")
    }

    // MARK: 5. Already landed

    @Test func workAlreadyOnMainIsClosedWithoutANewCommit() throws {
        let project = try ProjectFixture()
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "One", "echo one > one.txt"),
                                                       Run.scriptTask(2, "Two", "echo two > two.txt")]))
        try Self.runToReview(project, tasks: 1...2)
        // A person merged #1 by hand, and squash-merged #2, then edited its file further (so that
        // #2's branch no longer merges cleanly: only its patch-id tells it is there).
        try project.git("merge", "--no-ff", "--no-edit", "-q", try Self.worktree(project, task: 1).branch)
        try project.git("merge", "--squash", "-q", try Self.worktree(project, task: 2).branch)
        try project.git("commit", "-q", "-m", "two, by hand")
        let squash = try Self.rev(project, "main")
        try project.write("two.txt", "two, edited\n")
        try project.git("commit", "-q", "-am", "edit two")
        let before = try Self.rev(project, "main")

        let merge = try Self.mergeJSON(project, [1, 2])
        #expect(merge.status == 0, "\(merge.json) \(merge.stderr)")
        #expect(merge.decisions.map { $0["kind"]?.stringValue ?? "" } == ["alreadyLanded", "alreadyLanded"], "\(merge.json)")
        #expect(merge.decisions.last?["commit"]?.stringValue == squash)
        #expect(merge.json["gateRuns"] == 0)
        #expect(try Self.rev(project, "main") == before)
        let status = try Run.status(project)
        #expect(status[1]?["section"] == "done")
        #expect(status[2]?["section"] == "done")
        #expect(try project.git("for-each-ref", "refs/braid/").isEmpty)
        #expect(try Self.pending(project).isEmpty)
    }

    // MARK: 6. Two processes at once

    @Test func twoMergeProcessesAtOnceLandEachTaskExactlyOnce() throws {
        let events = try EventPipe()
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("braid-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: probe) }
        // Only under the `braid merge` processes below (PROBE set): each gate run tells it started,
        // waits for the test's go, and takes a lock folder that only overlapping runs could find taken.
        let project = try ProjectFixture(gate: """
            if [ -n "$PROBE" ]; then
              echo gating > "$PROBE_EVENTS"
              i=0; while [ ! -f "$PROBE/go" ]; do i=$((i+1)); [ $i -lt 1500 ] || exit 1; sleep 0.02; done
              mkdir "$PROBE/busy" 2>/dev/null || { echo overlap >> "$PROBE/overlap"; exit 1; }
              sleep 0.1
              rmdir "$PROBE/busy"
            fi
            exit 0
            """)
        try project.write("BOARD.md", Run.board(todo: (1...4).map { Run.scriptTask($0, "Part \($0)", "echo \($0) > f\($0).txt") }))
        try Self.runToReview(project, tasks: 1...4)
        let environment = ["PROBE": probe.path, "PROBE_EVENTS": events.url.path]
        // The daemon works the queue (and runs its gates): it gets the probe.
        try Self.restartDaemon(project, environment: environment)
        let first = try BackgroundProgram(BraidBinary.path, ["merge", "#1", "#2"], directory: project.root, environment: environment)
        // The first holds the queue (it is gating) when the second one starts.
        #expect(events.readLine() == "gating", "\(first.output)")
        let second = try BackgroundProgram(BraidBinary.path, ["merge", "#3", "#4"], directory: project.root, environment: environment)
        #expect(second.waitForOutput(containing: "#4 queued at"), "\(second.output)")
        try Data().write(to: probe.appendingPathComponent("go"))
        #expect(first.waitForExit() == 0, "\(first.output)")
        #expect(second.waitForExit() == 0, "\(second.output)")

        #expect(!FileManager.default.fileExists(atPath: probe.appendingPathComponent("overlap").path), "gate runs overlapped")
        let output = first.output + second.output
        for id in 1...4 {
            #expect(try Self.landings(project, task: id) == 1)
            #expect(output.split(separator: "\n").filter { $0.hasPrefix("#\(id) landed on main") }.count == 1, "\(output)")
        }
        #expect(try Self.history(project).count == 5)
        let status = try Run.status(project)
        for id in 1...4 { #expect(status[id]?["section"] == "done") }
        #expect(try Self.pending(project).isEmpty)
        for id in 1...4 { #expect(try project.git("show", "main:f\(id).txt") == "\(id)\n") }
    }

    /// Stops the project's daemon and starts a new one with `environment` (what the queue, its
    /// gates and its crash points see).
    static func restartDaemon(_ project: ProjectFixture, environment: [String: String]) throws {
        #expect(try project.braid(["daemon", "stop"]).status == 0)
        let started = try project.braid(["daemon", "start"], environment: environment)
        #expect(started.status == 0, "\(started.stderr)")
    }

    // MARK: 7. Crashes

    /// Where the first `braid merge` dies: a fault point of the queue, or inside the gate.
    static let crashPoints = ["built", "gating", "during the gate", "gated", "landed"]

    @Test(arguments: crashPoints)
    func aCrashedMergeIsRecoveredByTheNext(point: String) throws {
        // The gate passes unless data.txt says "broken"; with KILL_BRAID_IN_GATE it kills Braid.
        let project = try ProjectFixture(gate: """
            if [ -n "$KILL_BRAID_IN_GATE" ]; then kill -9 $PPID; exit 1; fi
            [ "$(cat data.txt)" != broken ]
            """)
        try project.write("data.txt", "start\n")
        try project.git("add", "data.txt")
        try project.git("commit", "-q", "-m", "data")
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(1, "Work", "echo work > data.txt")]))
        try Self.runToReview(project, tasks: 1...1)
        let start = try Self.rev(project, "main")
        let tip = try Self.rev(project, try Self.worktree(project, task: 1).branch)

        let environment = point == "during the gate" ? ["KILL_BRAID_IN_GATE": "1"] : ["BRAID_MERGE_CRASH_AT": point]
        // The daemon works the queue: it is what crashes.
        try Self.restartDaemon(project, environment: environment)
        let daemon = try #require(project.daemonPID)
        let crashed = try project.braid(["merge", "#1"], environment: environment)
        #expect(crashed.status == 1, "\(crashed.stdout)\(crashed.stderr)")
        #expect(crashed.stderr.contains("closed"), "\(crashed.stderr)")
        #expect(kill(daemon, 0) != 0 || (try? String(contentsOfFile: "/proc/\(daemon)/stat", encoding: .utf8))?.contains(") Z ") == true,
                "the daemon survived its crash point")
        #expect(crashed.stdout.contains("#1 queued at"))
        #expect(!crashed.stdout.contains("landed on main"))

        // After the crash: main is where it was, or (crashed after moving it) at the gated landing;
        // the task's work is on some ref or on main, never lost.
        let main = try Self.rev(project, "main")
        if point == "landed" {
            #expect(try Self.rev(project, "main^") == start)
            #expect(try Self.landings(project, task: 1) == 1)
            #expect(try project.git("show", "main:data.txt") == "work\n")
        } else {
            #expect(main == start)
            #expect(!(try project.git("for-each-ref", "--contains", tip)).isEmpty, "the task's tip is on no ref")
        }
        // As a power cut in the middle of a ref update would leave it: git's lock on main, old.
        let lock = project.root.appendingPathComponent(".git/refs/heads/main.lock")
        try Data().write(to: lock)
        try FileManager.default.setAttributes([.modificationDate: Date().addingTimeInterval(-60)], ofItemAtPath: lock.path)

        let recovered = try Self.mergeJSON(project, [])
        #expect(recovered.status == 0, "\(recovered.json) \(recovered.stderr)")
        #expect(recovered.decisions.map { $0["kind"]?.stringValue ?? "" } == ["landed"], "\(recovered.json)")
        #expect(try Self.landings(project, task: 1) == 1)
        let history = try Self.history(project)
        #expect(history.first?.parents == [start])
        #expect(history.first?.trailers["Braid-Task"] == "1")
        #expect(recovered.decisions.first?["commit"]?.stringValue == history.first?.hash)
        // main's tree passes the gate: the user's checkout was moved to it.
        #expect(try project.git("show", "main:data.txt") == "work\n")
        #expect(try project.read("data.txt") == "work\n")
        let gate = try ProgramRun.run("/bin/sh", ["./check.sh"], directory: project.root, environment: ["KILL_BRAID_IN_GATE": ""])
        #expect(gate.status == 0)
        #expect(try Self.pending(project).isEmpty)
        #expect(try project.git("for-each-ref", "refs/braid/").isEmpty)
        #expect(Self.gitLocks(project).isEmpty, "\(Self.gitLocks(project))")
        #expect(try Run.status(project)[1]?["section"] == "done")
        // And a third pass finds nothing to do.
        let again = try Self.mergeJSON(project, [])
        #expect(again.status == 0)
        #expect(again.decisions.isEmpty)
        #expect(try Self.rev(project, "main") == history.first?.hash)
    }

    // MARK: 8. The user's uncommitted change

    @Test func aDirtyCheckoutIsLeftUntouchedAndTheQueueWaits() throws {
        let project = try ProjectFixture()
        try project.write("notes.txt", "line 1\nline 2\nline 3\nline 4\nline 5\nline 6\n")
        try project.git("add", "notes.txt")
        try project.git("commit", "-q", "-m", "notes")
        try project.write("BOARD.md", Run.board(todo: [
            Run.scriptTask(1, "Edit line 2", #"printf 'line 1\ntask line 2\nline 3\nline 4\nline 5\nline 6\n' > notes.txt"#),
        ]))
        try Self.runToReview(project, tasks: 1...1)
        let before = try Self.rev(project, "main")
        let dirty = "line 1\nline 2\nline 3\nline 4\nline 5\nuser line 6\n"
        try project.write("notes.txt", dirty)

        let blocked = try project.braid(["merge", "#1"])
        #expect(blocked.status == 1)
        #expect(blocked.stdout.contains("local changes to notes.txt"), "\(blocked.stdout)\(blocked.stderr)")
        #expect(try Data(contentsOf: project.root.appendingPathComponent("notes.txt")) == Data(dirty.utf8))
        #expect(try Self.rev(project, "main") == before)
        #expect(try Self.pending(project).map { $0["task"] } == [1])
        #expect(try Run.status(project)[1]?["section"] == "review")

        try project.git("stash", "-q")
        let landed = try project.braid(["merge"])
        #expect(landed.status == 0, "\(landed.stdout)\(landed.stderr)")
        #expect(try Self.landings(project, task: 1) == 1)
        #expect(try Self.rev(project, "main^") == before)
        try project.git("stash", "pop", "-q")
        #expect(try project.read("notes.txt") == "line 1\ntask line 2\nline 3\nline 4\nline 5\nuser line 6\n")
        #expect(try Run.status(project)[1]?["section"] == "done")
    }

    // MARK: 9. Usage errors

    @Test func usageErrorsAndUnknownTasks() throws {
        let project = try ProjectFixture()
        try project.write("BOARD.md", Run.board(todo: [Run.scriptTask(5, "Five", "echo 5 > five.txt")]))
        let main = try Self.rev(project, "main")

        let notAnID = try project.braid(["merge", "foo"])
        #expect(notAnID.status == 2)
        #expect(notAnID.stdout.isEmpty)
        #expect(notAnID.stderr.hasPrefix("braid: merge: ") && notAnID.stderr.contains("'foo'"), "\(notAnID.stderr)")
        #expect(notAnID.stderr.split(separator: "\n").count == 1 && notAnID.stderr.hasSuffix("\n"))

        let unknown = try project.braid(["merge", "#99"])
        #expect(unknown.status == 1)
        #expect(unknown.stderr.contains("#99"), "\(unknown.stderr)")

        let notQueued = try project.braid(["merge", "--abort", "#5"])
        #expect(notQueued.status == 1)
        #expect(notQueued.stderr.contains("#5 is not in the merge queue"), "\(notQueued.stderr)")

        #expect(try Self.rev(project, "main") == main)
        #expect(try Self.pending(project).isEmpty)
        #expect(try Run.status(project)[5]?["section"] == "todo")
    }
}
