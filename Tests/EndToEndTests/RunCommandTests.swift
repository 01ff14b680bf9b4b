#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
import TestSupport

/// `braid run` on real repositories with real agent processes: the script agent, and fake CLIs on
/// PATH that behave like Claude Code, Codex and the others (Tests/Fixtures/agents).
@Suite(.serialized) struct RunCommandTests {
    static let fakeAgents = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/agents").path

    /// A task whose body is a shell block, for the script agent.
    static func scriptTask(_ id: Int, _ title: String, _ script: String, fields: [String] = []) -> String {
        let body = fields.map { "  \($0)\n" }.joined()
        let indented = script.split(separator: "\n", omittingEmptySubsequences: false).map { "  \($0)" }.joined(separator: "\n")
        return "- [ ] \(title) (#\(id))\n\(body)  ```sh\n\(indented)\n  ```\n"
    }

    static func board(todo: [String], done: [String] = []) -> String {
        "# Board\n\n## Todo\n" + todo.joined() + "\n## In Progress\n\n## Review\n\n## Blocked\n\n## Done\n" + done.joined()
    }

    static func status(_ project: ProjectFixture) throws -> [Int: JSONValue] {
        let tasks = try JSONParser.parse(try project.braid(["status", "--json"]).stdout)["tasks"]?.arrayValue ?? []
        return Dictionary(uniqueKeysWithValues: tasks.compactMap { t in t["id"]?.intValue.map { ($0, t) } })
    }

    static func sessions(_ project: ProjectFixture, task: Int) throws -> [String] {
        let log = try project.braid(["log", "#\(task)"]).stdout
        return log.split(separator: "\n").filter { $0.hasPrefix("== #\(task) session ") }.map(String.init)
    }

    static func promptOf(_ project: ProjectFixture, sessionLine: String) throws -> String {
        // "== #N session ID: ..."
        let id = sessionLine.split(separator: " ")[3].dropLast()
        return try project.read(".braid/logs/\(id)/prompt.txt")
    }

    @Test func threeTasksRunSideBySideInThreeWorktrees() throws {
        let rendezvous = FileManager.default.temporaryDirectory.appendingPathComponent("braid-rv-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: rendezvous, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: rendezvous) }
        let project = try ProjectFixture(config: ["maxSessions": "3"])
        // Each agent checks in, then waits (up to 60 s) until all three have: only if they run at once
        // does each write "together".
        let script = { (n: Int) in """
            touch \(rendezvous.path)/\(n)
            i=0; while [ "$(ls \(rendezvous.path) | wc -l)" -lt 3 ] && [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done
            if [ $i -lt 600 ]; then echo together > out-\(n).txt; else echo alone > out-\(n).txt; fi
            """ }
        try project.write("BOARD.md", Self.board(todo: (1...3).map { Self.scriptTask($0, "Part \($0)", script($0)) }))
        let run = try project.braid(["run"])
        #expect(run.status == 0, "\(run.stdout)\(run.stderr)")
        let status = try Self.status(project)
        for id in 1...3 { #expect(status[id]?["section"] == "review", "\(run.stdout)") }
        let worktrees = try JSONParser.parse(try project.braid(["worktree", "list", "--json"]).stdout).arrayValue ?? []
        #expect(Set(worktrees.compactMap { $0["path"]?.stringValue }).count == 3)
        for worktree in worktrees {
            let path = worktree["path"]?.stringValue ?? ""
            let task = worktree["task"]?.intValue ?? 0
            #expect((try? String(contentsOfFile: "\(path)/out-\(task).txt", encoding: .utf8)) == "together\n")
        }
    }

    @Test func aFailedGateGoesBackWithItsOutputAndPassesOnTheSecondTry() throws {
        let project = try ProjectFixture(gate: #"if [ -f broken.txt ]; then echo "GATE: broken.txt must not exist" >&2; exit 1; fi"#)
        let script = "if [ -f .tried ]; then rm broken.txt; else touch .tried broken.txt; fi"
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Fix it", script)]))
        let run = try project.braid(["run"])
        #expect(run.status == 0)
        #expect(try Self.status(project)[1]?["section"] == "review", "\(run.stdout)")
        let sessions = try Self.sessions(project, task: 1)
        #expect(sessions.count == 2)
        if sessions.count == 2 {
            let retryPrompt = try Self.promptOf(project, sessionLine: sessions[1])
            #expect(retryPrompt.contains("GATE: broken.txt must not exist"))
            #expect(!(try Self.promptOf(project, sessionLine: sessions[0])).contains("GATE:"))
        }
    }

    @Test func aTaskThatKeepsFailingIsEscalatedAfterExactlyTwoRetries() throws {
        let project = try ProjectFixture(gate: "if [ -f broken.txt ]; then echo still broken >&2; exit 1; fi")
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Never right", "echo x >> broken.txt")]))
        let run = try project.braid(["run"])
        #expect(run.status == 0)
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "blocked")
        #expect(task?["blockedReason"]?.stringValue?.hasPrefix("escalated after 3 tries: gate step check") == true, "\(String(describing: task))")
        #expect(try Self.sessions(project, task: 1).count == 3)
        #expect(task?["attempts"] == 3)
        #expect(task?["lastGate"] == "failed at check")
    }

    @Test func aSessionThatChangesNothingIsNotDone() throws {
        let project = try ProjectFixture(config: ["maxRetries": "0"])
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Idle", "echo thinking hard")]))
        let run = try project.braid(["run"])
        #expect(run.status == 0)
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "blocked")
        #expect(task?["blockedReason"]?.stringValue?.contains("changed nothing") == true)
    }

    @Test func aQuotaFailureMovesTheTaskToTheFallbackAgentWithoutCountingATry() throws {
        let project = try ProjectFixture(config: ["maxRetries": "0", "fallback": #"["codex"]"#])
        try project.write("BOARD.md", Self.board(todo: ["- [ ] Write a note (#1)\n  agent: claude\n  WRITE note.txt hello\n"]))
        let path = Self.fakeAgents + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try project.braid(["run"], environment: ["PATH": path, "FAKE_QUOTA_EXHAUSTED": "claude"])
        #expect(run.status == 0, "\(run.stderr)")
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "review", "\(run.stdout)")
        let sessions = try Self.sessions(project, task: 1)
        #expect(sessions.count == 2)
        #expect(sessions.first?.contains("claude") == true)
        #expect(sessions.last?.contains("codex") == true)
        #expect(run.stdout.contains("moving to codex"))
    }

    @Test func theFakeCLIsRunHeadlessAndTheirCostIsRead() throws {
        let project = try ProjectFixture(config: ["maxSessions": "5"])
        let agents = ["claude", "codex", "aider", "opencode", "gemini"]
        try project.write("BOARD.md", Self.board(todo: agents.enumerated().map { i, agent in
            "- [ ] Note by \(agent) (#\(i + 1))\n  agent: \(agent)\n  WRITE \(agent).txt written by \(agent)\n"
        }))
        let path = Self.fakeAgents + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try project.braid(["run"], environment: ["PATH": path])
        #expect(run.status == 0)
        let status = try Self.status(project)
        for id in 1...5 { #expect(status[id]?["section"] == "review", "\(run.stdout)") }
        #expect(try project.braid(["log", "#1"]).stdout.contains("$0.0421"))
    }

    @Test func overlappingTouchesAreSerialized() throws {
        let trace = FileManager.default.temporaryDirectory.appendingPathComponent("braid-trace-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: trace) }
        let project = try ProjectFixture(config: ["maxSessions": "3"])
        let script = { (n: Int) in "echo start-\(n) >> \(trace.path); sleep 0.5; echo end-\(n) >> \(trace.path); echo \(n) > f\(n).txt" }
        try project.write("BOARD.md", Self.board(todo: [
            Self.scriptTask(1, "Auth", script(1), fields: ["touches: src/auth/**"]),
            Self.scriptTask(2, "Login", script(2), fields: ["touches: src/auth/login.swift"]),
        ]))
        #expect(try project.braid(["run"]).status == 0)
        let lines = try String(contentsOf: trace, encoding: .utf8).split(separator: "\n").map(String.init)
        #expect(lines == ["start-1", "end-1", "start-2", "end-2"] || lines == ["start-2", "end-2", "start-1", "end-1"])
    }

    @Test func aTaskWaitsForItsAfterTasks() throws {
        let project = try ProjectFixture()
        try project.write("BOARD.md", Self.board(todo: [
            Self.scriptTask(1, "First", "echo 1 > one.txt"),
            Self.scriptTask(2, "Second", "echo 2 > two.txt", fields: ["after: #1"]),
        ]))
        #expect(try project.braid(["run"]).status == 0)
        var status = try Self.status(project)
        #expect(status[1]?["section"] == "review")
        #expect(status[2]?["section"] == "todo")
        #expect(try Self.sessions(project, task: 2).isEmpty)
        // Once #1 is Done (a person merged it), #2 runs.
        let board = try project.read("BOARD.md").replacingOccurrences(of: "- [ ] First (#1)", with: "- [x] First (#1)")
        var lines = board.components(separatedBy: "\n")
        if let at = lines.firstIndex(of: "- [x] First (#1)") {
            lines.remove(at: at)
            lines.append("- [x] First (#1)")
        }
        try project.write("BOARD.md", lines.joined(separator: "\n") + "\n")
        #expect(try Self.status(project)[1]?["section"] == "done")
        #expect(try project.braid(["run"]).status == 0)
        status = try Self.status(project)
        #expect(status[2]?["section"] == "review")
    }

    @Test func cancelEndsTheAgentAndItsGrandchildren() throws {
        let events = try EventPipe()
        let project = try ProjectFixture()
        try project.write("BOARD.md", Self.board(todo: [
            Self.scriptTask(1, "Long", "sleep 300 &\necho $! > \(events.url.path)\nwait"),
        ]))
        let run = try BackgroundProgram(BraidBinary.path, ["run"], directory: project.root)
        guard let line = events.readLine(), let grandchild = Int32(line) else {
            Issue.record("the agent never started: \(run.output)")
            return
        }
        #expect(processIsRunning(grandchild))
        #expect(run.waitForOutput(containing: "#1 started"))
        let cancel = try project.braid(["cancel", "#1"])
        #expect(cancel.status == 0, "\(cancel.stderr)")
        #expect(run.waitForExit() == 0, "\(run.output)")
        #expect(!processIsRunning(grandchild))
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "blocked")
        #expect(task?["blockedReason"]?.stringValue?.hasPrefix("cancelled by a person") == true)
    }

    @Test func anAgentThatLeavesADaemonizedGrandchildStillHasItsExitSeen() throws {
        let events = try EventPipe()
        let project = try ProjectFixture()
        try project.write("BOARD.md", Self.board(todo: [
            Self.scriptTask(1, "Daemon", "(sleep 300 & echo $! > \(events.url.path))\necho done > done.txt"),
        ]))
        let run = try BackgroundProgram(BraidBinary.path, ["run"], directory: project.root)
        let daemon = events.readLine().flatMap { Int32($0) }
        defer { if let daemon { kill(daemon, SIGKILL) } }
        #expect(run.waitForExit(timeout: 60) == 0, "\(run.output)")
        #expect(daemon.map(processIsRunning) == true)
        #expect(try Self.status(project)[1]?["section"] == "review")
    }

    @Test func killingBraidMidRunLosesNothing() throws {
        let events = try EventPipe()
        let go = FileManager.default.temporaryDirectory.appendingPathComponent("braid-go-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: go) }
        let project = try ProjectFixture(config: ["maxSessions": "3"])
        let wait = "while [ ! -f \(go.path) ]; do sleep 0.05; done"
        try project.write("BOARD.md", Self.board(todo: [
            // Keeps running through the crash: re-adopted.
            Self.scriptTask(1, "Survivor", "echo 1 > \(events.url.path)\n\(wait)\necho kept > survivor.txt"),
            // Dies with Braid (killed below): its work so far is kept and gated.
            Self.scriptTask(2, "Casualty", "echo partial > part.txt\necho $$ > \(events.url.path)\nsleep 300"),
            Self.scriptTask(3, "Later", "echo later > later.txt", fields: ["after: #9"]),
        ]))
        let first = try BackgroundProgram(BraidBinary.path, ["run"], directory: project.root)
        var casualty: Int32?
        for _ in 0..<2 {
            guard let line = events.readLine() else { break }
            if line != "1" { casualty = Int32(line) }
        }
        // Both sessions are journaled (the line is printed after the journal's fsync), then the
        // daemon dies (its client `braid run` with it).
        #expect(first.waitForOutput(containing: " started: ", count: 2))
        project.killDaemon()
        first.kill9()
        guard let casualty else {
            Issue.record("the agents never started: \(first.output)")
            return
        }
        kill(-casualty, SIGKILL)
        // The survivor is still waiting: the second run must re-adopt it before it may finish.
        let second = try BackgroundProgram(BraidBinary.path, ["run"], directory: project.root)
        // The new daemon re-adopts at its start, before its first client hears anything: its log says so.
        var readopted = false
        for _ in 0..<1000 where !readopted {
            readopted = (try? project.read(".braid/logs/daemon.log"))?.contains("#1 re-adopted") == true
            if !readopted { usleep(10_000) }
        }
        #expect(readopted, "\((try? project.read(".braid/logs/daemon.log")) ?? "")")
        try Data().write(to: go)
        #expect(second.waitForExit() == 0, "\(second.output)")
        let status = try Self.status(project)
        #expect(status[1]?["section"] == "review", "\(second.output)")
        #expect(status[2]?["section"] == "review", "\(second.output)")
        #expect(status[3]?["section"] == "todo")
        #expect(status.count == 3)
        // The casualty's work was kept, committed on its branch.
        let shown = try project.git("show", "braid/2-casualty:part.txt")
        #expect(shown == "partial\n")
    }

    @Test func aTasksOwnFallbackComesFirstAndTheSpendCapStopsRetries() throws {
        let project = try ProjectFixture(gate: "exit 1", config: ["maxRetries": "5", "fallback": #"["codex"]"#, "maxCostPerTaskUSD": "0.05"])
        try project.write("BOARD.md", Self.board(todo: ["- [ ] Costly (#1)\n  agent: claude\n  fallback: gemini\n  WRITE note.txt again\n"]))
        let path = Self.fakeAgents + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try project.braid(["run"], environment: ["PATH": path, "FAKE_QUOTA_EXHAUSTED": "claude"])
        #expect(run.status == 0)
        let sessions = try Self.sessions(project, task: 1)
        // claude (quota, not counted), then gemini ($0.04 a session): the second gemini session passes the cap.
        #expect(sessions.first?.contains("claude") == true)
        #expect(sessions.dropFirst().allSatisfy { $0.contains("gemini") })
        #expect(sessions.count == 3, "\(sessions)")
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "blocked")
        #expect(task?["blockedReason"]?.stringValue?.hasPrefix("spend cap reached ($0.08 of $0.05 for this task)") == true,
                "\(String(describing: task))")
    }

    @Test func aRunSpendCapStartsNothingMore() throws {
        let project = try ProjectFixture(config: ["maxSessions": "1", "maxCostPerRunUSD": "0.05"])
        try project.write("BOARD.md", Self.board(todo: (1...3).map { "- [ ] Note \($0) (#\($0))\n  agent: claude\n  WRITE n\($0).txt x\n" }))
        let path = Self.fakeAgents + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try project.braid(["run"], environment: ["PATH": path])
        #expect(run.status == 0)
        let status = try Self.status(project)
        #expect(status.values.filter { $0["section"] == "review" }.count == 2, "\(run.stdout)")
        #expect(status.values.filter { $0["section"] == "todo" }.count == 1)
        #expect(run.stdout.contains("spend cap is reached"))
    }

    @Test func aCrashAfterAnOutcomeWasJournaledDoesNotRunTheTaskAgain() throws {
        let project = try ProjectFixture(config: ["maxRetries": "0"])
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Idle", "true")]))
        #expect(try project.braid(["run"]).status == 0)
        #expect(try Self.status(project)[1]?["section"] == "blocked")
        // As a crash between the journal and the board would leave it: the card still In Progress.
        var board = try project.read("BOARD.md")
        let card = board.components(separatedBy: "\n").filter { $0.contains("(#1)") || $0.hasPrefix("  ") }.joined(separator: "\n")
        board = board.replacingOccurrences(of: card + "\n", with: "")
        board = board.replacingOccurrences(of: "## In Progress\n", with: "## In Progress\n" + card + "\n")
        try project.write("BOARD.md", board)
        #expect(try Self.status(project)[1]?["section"] == "inProgress")
        project.killDaemon()
        let again = try project.braid(["run"])
        #expect(again.status == 0)
        #expect(try Self.status(project)[1]?["section"] == "blocked", "\(again.stdout)")
        #expect(try Self.sessions(project, task: 1).count == 1)
    }

    @Test func retryWithGuidanceRunsAgainWithItAndRetryIsRefusedOnReview() throws {
        let project = try ProjectFixture(gate: "[ -f good.txt ]", config: ["maxRetries": "0"])
        try project.write("BOARD.md", Self.board(todo: [
            Self.scriptTask(1, "Needs help", "if [ -f .second ]; then touch good.txt; else touch .second; fi"),
            Self.scriptTask(2, "Fine", "touch good.txt"),
        ]))
        #expect(try project.braid(["run"]).status == 0)
        #expect(try Self.status(project)[1]?["section"] == "blocked")
        #expect(try Self.status(project)[2]?["section"] == "review")
        let refused = try project.braid(["retry", "#2"])
        #expect(refused.status == 1)
        #expect(refused.stderr == "braid: retry: #2 is in Review; retry applies to Blocked tasks\n")
        #expect(try project.braid(["retry", "#1", "--guidance", "create good.txt this time"]).status == 0)
        #expect(try Self.status(project)[1]?["section"] == "todo")
        #expect(try project.braid(["run"]).status == 0)
        #expect(try Self.status(project)[1]?["section"] == "review")
        let sessions = try Self.sessions(project, task: 1)
        #expect(sessions.count == 2)
        if let last = sessions.last { #expect(try Self.promptOf(project, sessionLine: last).contains("create good.txt this time")) }
    }

    @Test func aCrashDuringTheGateOfNewWorkNeverTrustsAnOlderReview() throws {
        let events = try EventPipe()
        let hold = FileManager.default.temporaryDirectory.appendingPathComponent("braid-hold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: hold) }
        let project = try ProjectFixture(gate: "if [ -f \(hold.path) ]; then echo gating > \(events.url.path); sleep 60; fi\n[ -f good.txt ]",
                                         config: ["maxRetries": "0"])
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Work", "echo ok > good.txt")]))
        #expect(try project.braid(["run"]).status == 0)
        #expect(try Self.status(project)[1]?["section"] == "review")
        // A person sends it back with other instructions; Braid dies while gating the new work.
        try project.write("BOARD.md", Self.board(todo: [Self.scriptTask(1, "Work", "rm -f good.txt\necho other > other.txt")]))
        try Data().write(to: hold)
        let crashed = try BackgroundProgram(BraidBinary.path, ["run"], directory: project.root)
        #expect(events.readLine() == "gating")
        project.killDaemon()
        crashed.kill9()
        try FileManager.default.removeItem(at: hold)
        let again = try project.braid(["run"])
        #expect(again.status == 0)
        let task = try Self.status(project)[1]
        #expect(task?["section"] == "blocked", "\(again.stdout)")
        #expect(task?["lastGate"] == "failed at check")
    }
}
