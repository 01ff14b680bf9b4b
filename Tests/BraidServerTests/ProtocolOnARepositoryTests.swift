import BraidCore
import BraidServer
import Foundation
import JSONRPC
import Synchronization
import Testing
import TestSupport

/// Every request of `Protocol/braid-protocol.json` on a real repository set up for Braid, with
/// real agent sessions (the script agent), gates and merges: each result, each notification and
/// each server request must match its declared shape, and each refusal must carry one of the codes
/// its method declares (the one the test expects).
@Suite(.serialized) struct ProtocolOnARepositoryTests {
    /// A project with a gate, set up for Braid (`braid init` on an existing config). The gate
    /// fails when `fail.txt` exists in the tree it checks, and waits while `hold` exists.
    ///
    /// The gate runs `/bin/sh check.sh`, not `./check.sh`: `CommandRunner` looks a relative
    /// program up from the process's folder, not from the step's, and this process runs elsewhere.
    static func project(maxRetries: Int, hold: URL? = nil) throws -> ProjectFixture {
        let wait = hold.map { "while [ -f '\($0.path)' ]; do sleep 0.05; done\n" } ?? ""
        let gate = wait + #"if [ -f fail.txt ]; then echo "fail.txt must not exist"; exit 1; fi"#
        // A reviewer that finds one small thing in every change (the review waits for a person).
        let project = try ProjectFixture(gate: gate, config: [
            "maxRetries": "\(maxRetries)", "gate": #"[{"name": "check", "run": ["/bin/sh", "check.sh"]}]"#,
            "agents": #"{"rev": {"command": ["/bin/sh", "-c", "echo 'Looks fine, one nit:'; echo '{\"findings\": [{\"severity\": \"low\", \"message\": \"a nit\"}]}'"]}}"#,
            "review": #"{"agent": "rev"}"#])
        _ = try Workspace(root: project.root).initialize(testCommand: nil, agent: nil)
        return project
    }

    /// A task body for the script agent.
    static func script(_ lines: String...) -> JSONValue {
        .string("```sh\n" + lines.joined(separator: "\n") + "\n```")
    }

    @Test func everyRequestAnswersItsDeclaredShapeAndErrors() async throws {
        let hold = FileManager.default.temporaryDirectory.appendingPathComponent("braid-hold-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: hold) }
        let project = try Self.project(maxRetries: 1, hold: hold)
        let model = try ProtocolConformanceTests.model()
        let client = ProtocolClient()
        let c = CheckedClient(client: client, model: model)

        // A standalone session on the repository named by rootPath; the client answers escalations.
        await c.ok("initialize", ["processId": .null, "rootPath": .string(project.root.path),
                                  "capabilities": ["window": ["showMessage": [:]]]])
        client.notify("initialized", [:])
        await c.ok("braid/version")
        #expect(await c.ok("braid/ping", ["delayMs": 0, "roundTrip": true])["client"] == ["ok": true])
        let status = await c.ok("workspace/status")
        #expect(status["root"]?.stringValue == project.root.standardizedFileURL.path)
        #expect(status["mode"] == "idle")
        await c.fails("workspace/init", [:], -32011)

        // The board
        let one = await c.ok("task/add", ["title": "Say hello", "body": Self.script("echo working on hello", "echo hello > hello.txt")])
        #expect(one["id"] == 1 && one["section"] == "todo" && one["agent"] == .null)
        await c.ok("task/add", ["title": "Think about it", "section": "blocked", "priority": 2, "touches": ["docs/*"]])
        await c.ok("task/add", ["title": "Take a while", "body": Self.script("echo started", "sleep 30")])
        await c.ok("task/add", ["title": "Break the gate", "body": Self.script("touch fail.txt")])
        await c.ok("task/add", ["title": "Say something else", "body": Self.script("echo other > hello.txt")])
        await c.ok("task/add", ["title": "Count", "body": Self.script("echo six > six.txt")])
        await c.fails("task/add", [:], -32602)
        await c.fails("task/add", ["title": "x", "section": "review"], -32602)
        await c.fails("task/add", ["title": "x", "agent": "nobody-knows-me"], -32602)
        await c.fails("task/add", ["title": "x", "after": [0]], -32602)
        await c.fails("task/add", ["title": "x\ny"], -32602)
        await c.fails("task/add", ["title": 5], -32602)

        let list = await c.ok("task/list")
        #expect(list["tasks"]?.arrayValue?.compactMap { $0["id"]?.intValue } == [1, 2, 3, 4, 5, 6])
        let updated = await c.ok("task/update", ["task": 2, "title": "Think harder", "agent": "script", "after": [1], "touches": []])
        #expect(updated["title"] == "Think harder" && updated["agent"] == "script" && updated["section"] == "blocked")
        await c.fails("task/update", ["task": 99, "title": "x"], -32010)
        await c.fails("task/update", ["task": 2, "agent": "nobody-knows-me"], -32602)
        await c.fails("task/update", ["task": "2"], -32602)
        await c.fails("task/update", ["task": 2, "after": [-1]], -32602)
        await c.ok("task/move", ["task": 2, "section": "todo"])
        #expect(await c.ok("task/move", ["task": 2, "section": "blocked"])["section"] == "blocked")
        await c.fails("task/move", ["task": 2, "section": "review"], -32602)
        await c.fails("task/move", ["task": 2, "section": "nowhere"], -32602)
        await c.fails("task/move", ["task": 99, "section": "todo"], -32010)
        await c.fails("task/move", ["task": 2], -32602)

        // Nothing has run yet
        #expect(await c.ok("session/list")["sessions"] == [])
        #expect(await c.ok("session/list", ["task": 1])["sessions"] == [])
        await c.fails("session/list", ["task": 99], -32010)
        await c.fails("session/log", ["task": 1], -32011)
        await c.fails("session/log", ["session": "no-such-session"], -32013)
        await c.fails("session/log", [:], -32602)
        await c.fails("session/log", ["task": 99], -32010)
        await c.fails("session/log", ["task": 1, "limit": 0], -32602)
        await c.fails("session/log", ["task": 1, "offset": -1], -32602)
        await c.fails("session/log", ["task": 1, "tail": 0], -32602)
        await c.fails("session/attach", ["task": 1], -32011)
        await c.fails("session/attach", ["session": "no-such-session"], -32013)
        await c.fails("session/attach", [:], -32602)
        await c.fails("session/cancel", ["task": 1], -32011)
        await c.fails("session/cancel", ["task": 99], -32010)
        await c.fails("task/diff", ["task": 1], -32011)
        await c.fails("task/diff", ["task": 99], -32010)
        await c.fails("gate/run", ["task": 1], -32011)
        await c.fails("gate/run", ["task": 99], -32010)
        await c.fails("task/approve", ["task": 1], -32011)
        await c.fails("task/approve", ["task": 99], -32010)
        await c.fails("task/reject", ["task": 1, "feedback": "no"], -32011)
        await c.fails("task/reject", ["task": 1, "feedback": "  "], -32602)
        await c.fails("task/reject", ["task": 1], -32602)
        await c.fails("task/retry", ["task": 1], -32011)
        await c.fails("task/retry", ["task": 99], -32010)
        await c.fails("task/reassign", ["task": 2, "agent": "nobody-knows-me"], -32602)
        await c.fails("task/reassign", ["task": 99, "agent": "script"], -32010)
        await c.fails("task/abandon", ["task": 99], -32010)
        await c.fails("merge/abort", ["task": 1], -32011)
        await c.fails("merge/abort", ["task": 99], -32010)
        await c.fails("merge/enqueue", ["tasks": [1]], -32011)
        await c.fails("merge/enqueue", ["tasks": [99]], -32010)
        #expect(await c.ok("merge/enqueue", [:])["queued"] == [])
        #expect(await c.ok("merge/queue") == ["pending": [], "decisions": []])
        #expect(await c.ok("worktree/list")["worktrees"] == [])
        await c.ok("worktree/prune")
        #expect(await c.ok("metrics/get")["overall"]?["tasksCompleted"] == 0)
        #expect(await c.ok("supervisor/pause")["mode"] == "idle")
        await c.fails("supervisor/resume", nil, -32011)
        await c.fails("supervisor/run", ["workDoneToken": ["not": "a token"]], -32602)

        // A session started by hand, while it runs, then cancelled
        let started = await c.ok("session/start", ["task": 3])
        let session3 = started["session"]?.stringValue ?? ""
        #expect(started["task"] == 3 && !session3.isEmpty)
        await c.fails("session/start", ["task": 3], -32011)
        await c.fails("session/start", ["task": 99], -32010)
        await c.fails("task/move", ["task": 3, "section": "blocked"], -32011)
        await c.fails("task/remove", ["task": 3], -32011)
        await c.fails("gate/run", ["task": 3], -32011)
        await c.fails("task/abandon", ["task": 3], -32011)
        // (session/start answers before the session is journaled: it is listed once it has started.)
        _ = await eventually("the output of session 3") {
            client.received("session/output").contains { $0["session"]?.stringValue == session3 } ? true : nil
        }
        let running = await c.ok("session/list", ["task": 3])["sessions"]?.arrayValue ?? []
        #expect(running.count == 1 && running.first?["running"] == true && running.first?["exitCode"] == .null, "\(running)")
        #expect(await c.ok("session/log", ["task": 3])["running"] == true)
        let attach = await c.ok("session/attach", ["session": .string(session3)])
        #expect(attach["argv"]?.arrayValue?.suffix(3) == ["log", "#3", "--follow"])
        #expect(await c.ok("session/cancel", ["task": 3])["session"]?.stringValue == session3)
        let exited = await eventually("session 3's end") {
            client.received("session/exited").first { $0["session"]?.stringValue == session3 }
        }
        #expect(exited?["reason"] == "cancelled")
        _ = await eventually("#3 blocked") { await c.task(3)?["section"] == "blocked" ? true : nil }

        // A run: #1, #5 and #6 pass their gates; #4 fails twice and is escalated, retried by the
        // person with guidance, escalated again and the question dismissed
        let run = await c.ok("supervisor/run", ["workDoneToken": "run-1"])
        #expect(run["mode"] == "running")
        let paused = await c.ok("supervisor/pause")["mode"]
        if paused == "paused" {
            #expect(await c.ok("supervisor/resume")["mode"] == "running")
        } else {
            await c.fails("supervisor/resume", nil, -32011)
        }
        guard let first = await eventually("the first escalation", { client.asked.first }) else { return }
        #expect(first.params["message"]?.stringValue?.hasPrefix("#4 was escalated") == true,
                "\(first.params); the supervisor said: \(client.received("window/logMessage").compactMap { $0["message"]?.stringValue })")
        #expect(first.params["actions"] == [["title": "Retry"], ["title": "Reassign"], ["title": "Abandon"]])
        first.answer(["title": "Retry", "guidance": "leave fail.txt alone"])
        guard let second = await eventually("the second escalation", { client.asked.dropFirst().first })
        else { return }
        second.answer(.null)
        _ = await eventually("the run's end") {
            let status = await c.call("workspace/status")
            return status?["mode"] == "idle" && status?["busyTasks"] == [] && status?["merging"] == false ? true : nil
        }
        for (id, section) in [1: "review", 4: "blocked", 5: "review", 6: "review"] {
            let task = await c.task(id)
            #expect(task?["section"]?.stringValue == section, "#\(id): \(String(describing: task))")
        }
        #expect(await c.task(4)?["blockedReason"]?.stringValue?.contains("escalated") == true)
        let retried = client.received("window/showMessage").compactMap { $0["message"]?.stringValue }
        #expect(retried.contains { $0.hasPrefix("#4 retried") }, "\(retried)")
        let prompts = try FileManager.default.contentsOfDirectory(atPath: project.root.appendingPathComponent(".braid/logs").path)
            .compactMap { try? String(contentsOf: project.root.appendingPathComponent(".braid/logs/\($0)/prompt.txt"), encoding: .utf8) }
        #expect(prompts.contains { $0.contains("leave fail.txt alone") })

        // What the run left
        let sessions1 = await c.ok("session/list", ["task": 1])["sessions"]?.arrayValue ?? []
        #expect(sessions1.count == 1 && sessions1.first?["verdict"] == "passed" && sessions1.first?["running"] == false)
        #expect(sessions1.first?["gate"]?.stringValue?.hasPrefix("The gate passed") == true)
        let session1 = sessions1.first?["id"] ?? .null
        #expect(await c.ok("session/list")["sessions"]?.arrayValue?.count == 8)
        let whole = await c.ok("session/log", ["session": session1])
        #expect(whole["text"]?.stringValue?.contains("working on hello") == true)
        var pieces = "", offset = 0
        while offset < whole["size"]?.intValue ?? 0 {
            let page = await c.ok("session/log", ["session": session1, "offset": .number(JSONNumber(offset)), "limit": 7])
            pieces += page["text"]?.stringValue ?? ""
            guard let next = page["nextOffset"]?.intValue, next > offset else { break }
            offset = next
        }
        #expect(pieces == whole["text"]?.stringValue)
        let tail = await c.ok("session/log", ["task": 1, "tail": 4])
        #expect(tail["nextOffset"] == whole["size"] && whole["text"]?.stringValue?.hasSuffix(tail["text"]?.stringValue ?? "?") == true)
        #expect(await c.ok("session/attach", ["task": 1])["running"] == false)
        let diff = await c.ok("task/diff", ["task": 1])
        #expect(diff["files"] == [["path": "hello.txt", "added": 1, "deleted": 0, "binary": false]])
        #expect(diff["patch"]?.stringValue?.contains("+hello") == true)
        #expect(await c.ok("task/diff", ["task": 1, "stat": true])["patch"] == "")
        let worktrees = await c.ok("worktree/list")["worktrees"]?.arrayValue ?? []
        #expect(Set(worktrees.compactMap { $0["task"]?.intValue }) == [1, 3, 4, 5, 6])
        let checked = await c.ok("gate/run", ["task": 1])
        #expect(checked["passed"] == true && checked["task"] == 1 && checked["failedStep"] == .null)
        _ = await eventually("gate/run's gate/result") {
            client.received("gate/result").contains { $0["session"]?.stringValue?.hasPrefix("gate-1-") == true } ? true : nil
        }
        await c.fails("session/start", ["task": 1], -32011)
        await c.fails("task/retry", ["task": 1], -32011)
        await c.fails("task/abandon", ["task": 1], -32011)

        // Review: #6 approved, taken out of the queue while its merged result is gated, and
        // rejected; #1 approved and landed; #5, queued next, conflicts and is sent back
        try Data().write(to: hold)
        #expect(await c.ok("task/approve", ["task": 6])["queued"] == true)
        let waiting = await c.ok("merge/queue")["pending"]?.arrayValue ?? []
        #expect(waiting.map { $0["task"] } == [6] && waiting.first?["title"] == "Count", "\(waiting)")
        #expect(await c.ok("merge/abort", ["task": 6]) == ["task": 6, "removed": true])
        try FileManager.default.removeItem(at: hold)
        _ = await eventually("the merge queue's pass without #6") {
            let status = await c.call("workspace/status")
            return status?["merging"] == false && status?["queued"] == 0 ? true : nil
        }
        #expect(client.received("merge/landed").isEmpty && client.received("merge/refused").isEmpty)
        #expect(await c.ok("task/reject", ["task": 6, "feedback": "count to seven"])["section"] == "todo")
        #expect(await c.ok("task/approve", ["task": 1])["id"] == 1)
        _ = await eventually("#1 landed") { client.received("merge/landed").first { $0["task"] == 1 } }
        _ = await eventually("#1 done") { await c.task(1)?["section"] == "done" ? true : nil }
        let enqueued = await c.ok("merge/enqueue", ["tasks": [5]])
        #expect(enqueued["queued"]?.arrayValue?.map { $0["task"] } == [5])
        let refused = await eventually("#5 sent back") { client.received("merge/refused").first { $0["task"] == 5 } }
        #expect(refused?["reason"] == "conflict")
        _ = await eventually("the merge queue's pass") {
            let status = await c.call("workspace/status")
            return status?["merging"] == false && status?["queued"] == 0 ? true : nil
        }
        let queue = await c.ok("merge/queue")
        #expect(queue["pending"] == [])
        let decisions = queue["decisions"]?.arrayValue?.map { JSONValue.array([$0["task"] ?? .null, $0["landed"] ?? .null, $0["reason"] ?? .null]) }
        #expect(decisions == [[1, true, .null], [5, false, "conflict"]])
        let waited = await c.ok("merge/wait", ["tasks": [5], "since": enqueued["since"] ?? 0])
        #expect(waited["decisions"]?.arrayValue?.map { $0["kind"] } == ["refused"] && waited["pending"] == [])
        await c.fails("merge/wait", ["tasks": [99], "since": 0], -32010)
        await c.fails("merge/wait", ["tasks": [5]], -32602)
        let landedDiff = await c.ok("task/diff", ["task": 1])
        #expect(landedDiff["base"]?.stringValue?.hasSuffix("^") == true)
        await c.fails("merge/abort", ["task": 1], -32011)
        await c.fails("task/approve", ["task": 5], -32011)
        let metrics = await c.ok("metrics/get")
        #expect(metrics["overall"]?["tasksCompleted"] == 1 && metrics["overall"]?["mergeConflicts"] == 1)
        #expect(metrics["agents"]?.arrayValue?.compactMap { $0["agent"]?.stringValue } == ["script"])

        // Decisions on stopped tasks, and the board's own moves
        let abandoned = await c.ok("task/abandon", ["task": 2])
        #expect(abandoned["section"] == "blocked" && abandoned["blockedReason"]?.stringValue?.contains("abandoned") == true)
        #expect(await c.ok("task/retry", ["task": 2, "guidance": "think again"])["section"] == "todo")
        #expect(await c.ok("task/reassign", ["task": 2, "agent": "script"])["agent"] == "script")
        #expect(await c.ok("task/remove", ["task": 2]) == ["removed": 2])
        await c.fails("task/remove", ["task": 2], -32010)
        _ = await eventually("#2's removal told") { client.received("task/changed").first { $0["id"] == 2 && $0["task"] == .null } }
        #expect(await c.ok("task/abandon", ["task": 4])["section"] == "blocked")
        #expect(await c.ok("task/move", ["task": 3, "section": "done"])["section"] == "done")
        let six = worktrees.first { $0["task"] == 6 }?["path"]?.stringValue ?? "/nonexistent"
        try FileManager.default.removeItem(atPath: six)
        #expect(await c.ok("worktree/list")["worktrees"]?.arrayValue?.first { $0["task"] == 6 }?["missing"] == true)
        #expect(await c.ok("worktree/prune")["pruned"]?.arrayValue?.isEmpty == false)

        // Review: a new task's reviewer finds a nit; it runs again; the nit is overruled and the task lands
        await c.ok("task/add", ["title": "Write seven", "body": Self.script("echo seven > seven.txt")])
        let seven = await c.ok("task/list")["tasks"]?.arrayValue?.last?["id"] ?? .null
        await c.ok("session/start", ["task": seven])
        _ = await eventually("#7 reviewed") {
            let record = await c.call("review/findings", ["task": seven])
            return record?["status"] == "ready" ? true : nil
        }
        let record = await c.ok("review/findings", ["task": seven])
        #expect(record["findings"]?.arrayValue?.map { $0["message"] } == ["a nit"] && record["risk"]?["level"] == "low")
        #expect(await c.task(seven.intValue ?? 0)?["review"]?.stringValue?.contains("1 to decide") == true)
        await c.ok("review/run", ["task": seven])
        await c.fails("review/run", ["task": 99], -32010)
        _ = await eventually("#7 reviewed again") {
            let record = await c.call("review/findings", ["task": seven])
            return record?["status"] == "ready" ? true : nil
        }
        await c.fails("review/adjudicate", ["task": seven, "decisions": [["finding": 9, "keep": false, "reason": "x"]]], -32602)
        await c.fails("review/adjudicate", ["task": seven, "decisions": [["finding": 1, "keep": false, "reason": " "]]], -32602)
        await c.fails("review/adjudicate", ["task": 99, "decisions": [["finding": 1, "keep": false, "reason": "x"]]], -32010)
        await c.fails("review/findings", ["task": 2], -32010)
        let adjudicated = await c.ok("review/adjudicate", ["task": seven, "decisions": [["finding": 1, "keep": false, "reason": "fine as is"]]])
        #expect(adjudicated["status"] == "adjudicated")
        _ = await eventually("#7 landed") { await c.task(seven.intValue ?? 0)?["section"] == "done" ? true : nil }

        // Every notification and question matches its declaration, and the progress tokens pair up
        await c.ok("shutdown")
        await client.finish()
        let told = client.told
        for (method, params) in told {
            do {
                try c.checker.check(params, against: method, in: "notifications", part: "params")
            } catch {
                Issue.record("\(error)")
            }
        }
        let methodsTold = Set(told.map(\.method))
        for method in ["task/changed", "session/output", "session/exited", "gate/result", "$/progress", "window/showMessage",
                       "window/logMessage", "merge/landed", "merge/refused"] {
            #expect(methodsTold.contains(method), "no \(method) was sent")
        }
        for question in client.asked {
            do {
                try c.checker.check(question.params, against: "window/showMessageRequest", in: "requests", part: "params")
            } catch {
                Issue.record("\(error)")
            }
        }
        var kinds: [String: [String]] = [:]
        for progress in client.received("$/progress") {
            let token = progress["token"]?.stringValue ?? progress["token"].map { "\($0)" } ?? "?"
            kinds[token, default: []].append(progress["value"]?["kind"]?.stringValue ?? "?")
        }
        #expect(kinds["run-1"] == ["begin", "end"])
        #expect(kinds.keys.contains { $0.hasPrefix("braid/gate/") } && kinds.keys.contains { $0.hasPrefix("braid/merge/") })
        for (token, sequence) in kinds where token != "run-1" {
            #expect(sequence == ["begin", "end"], "\(token): \(sequence)")
        }
        c.expectEveryRequestSucceeded(except: ["workspace/init"])
    }

    @Test func workspaceInitSetsUpTheSessionsRepository() async throws {
        let model = try ProtocolConformanceTests.model()
        let folder = ServerHarness.emptyFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let outcome = try ProgramRun.run("/usr/bin/env", ["git", "-C", folder.path, "init", "-q", "-b", "main"])
        #expect(outcome.status == 0)

        let client = ProtocolClient()
        let c = CheckedClient(client: client, model: model)
        await c.ok("initialize", ["rootUri": .string(folder.absoluteString)])
        client.notify("initialized", [:])
        await c.fails("task/list", nil, -32012)
        await c.fails("workspace/status", nil, -32012)
        await c.fails("workspace/init", ["testCommand": 5], -32602)
        let made = await c.ok("workspace/init", ["testCommand": "true", "agent": "script"])
        #expect(made == ["root": .string(folder.standardizedFileURL.path), "createdConfig": true, "createdBoard": true, "board": "BOARD.md"])
        await c.fails("workspace/init", [:], -32011)
        #expect(await c.ok("task/list") == ["tasks": []])
        #expect(await c.ok("task/add", ["title": "First"])["id"] == 1)
        #expect(await c.eventually("#1 told") { client.received("task/changed").first { $0["id"] == 1 } } != nil)
        await client.finish()

        // Outside any git repository
        let nowhere = ProtocolClient()
        let n = CheckedClient(client: nowhere, model: model)
        await n.ok("initialize", [:])
        await n.fails("workspace/init", [:], -32012)
        await n.fails("metrics/get", nil, -32012)
        await nowhere.finish()
    }

    /// The daemon's arrangement: one service, several clients. Each is told the same; clients that
    /// come after an escalation are asked about it, the first answer is acted on and a later one
    /// is not; a decided escalation is asked of nobody, and an open one survives a restart.
    @Test func clientsOfOneServiceAreToldTheSameAndLateOnesAreAskedAboutOpenEscalations() async throws {
        let project = try Self.project(maxRetries: 0)
        let model = try ProtocolConformanceTests.model()
        let workspace = Workspace(root: project.root)
        let service = try Service(workspace: workspace, config: try workspace.loadConfig())
        await service.start()
        let answering: JSONValue = ["window": ["showMessage": ["messageActionItem": ["additionalPropertiesSupport": true]]]]
        var everyone: [ProtocolClient] = []
        func connect(_ params: JSONValue, to service: Service) async -> ProtocolClient {
            let client = ProtocolClient(service: service)
            await CheckedClient(client: client, model: model).ok("initialize", params)
            client.notify("initialized", [:])
            everyone.append(client)
            return client
        }
        func abandoned(_ client: ProtocolClient, _ id: Int) -> Bool {
            client.received("task/changed").contains { $0["id"] == .number(JSONNumber(id)) && $0["task"]?["blockedReason"]?.stringValue?.contains("abandoned") == true }
        }

        let a = await connect(["processId": .null], to: service)
        let b = await connect(["rootPath": "/somewhere/else", "capabilities": [:]], to: service)
        let ca = CheckedClient(client: a, model: model), cb = CheckedClient(client: b, model: model)
        // Both subscribed: the service counts them.
        _ = await ca.eventually("two clients") { await ca.call("workspace/status")?["clients"] == 2 ? true : nil }

        #expect(await ca.ok("task/add", ["title": "Break the gate", "body": Self.script("touch fail.txt")])["id"] == 1)
        await cb.ok("supervisor/run")
        for client in [a, b] {
            let warning = await eventually("the escalation told") {
                client.received("window/showMessage").first { $0["message"]?.stringValue?.hasPrefix("#1 needs you") == true }
            }
            #expect(warning?["type"] == 2)
        }
        #expect(a.asked.isEmpty && b.asked.isEmpty)
        let toldA = a.received("task/changed").filter { $0["id"] == 1 }
        let toldB = b.received("task/changed").filter { $0["id"] == 1 }
        #expect(!toldA.isEmpty && toldA == toldB)

        // Two clients that answer questions come later: both are asked. The first answer is acted
        // on; the second, given after the task was decided, is not.
        let late1 = await connect(["capabilities": answering], to: service)
        let late2 = await connect(["capabilities": answering], to: service)
        guard let question1 = await eventually("the first late client's question", { late1.asked.first }),
              let question2 = await eventually("the second late client's question", { late2.asked.first }) else { return }
        #expect(question1.params["message"]?.stringValue?.hasPrefix("#1 was escalated") == true)
        try ca.checker.check(question1.params, against: "window/showMessageRequest", in: "requests", part: "params")
        question1.answer(["title": "Abandon"])
        for client in [a, b, late1, late2] {
            _ = await eventually("#1 abandoned, told") { abandoned(client, 1) ? true : nil }
        }
        #expect(late1.received("window/showMessage").contains { $0["message"]?.stringValue?.hasPrefix("#1 abandoned") == true })
        question2.answer(["title": "Retry", "guidance": "too late"])
        let refusal = await eventually("the late answer refused") {
            late2.received("window/showMessage").first { $0["message"]?.stringValue?.hasPrefix("#1 was decided meanwhile") == true }
        }
        #expect(refusal?["type"] == 2)
        #expect(await ca.task(1)?["blockedReason"]?.stringValue?.contains("abandoned") == true)

        // A client connecting now is asked nothing: the escalation was decided.
        let late3 = await connect(["capabilities": answering], to: service)
        _ = await CheckedClient(client: late3, model: model).call("workspace/status")
        try await Task.sleep(for: .milliseconds(300))
        #expect(late3.asked.isEmpty, "\(late3.asked.map(\.params))")

        // #2 is escalated and left open (its questions dismissed); the service is closed and opened
        // again, as a daemon that exited and restarted: a new client is asked about #2 only.
        #expect(await ca.ok("task/add", ["title": "Break it again", "body": Self.script("touch fail.txt")])["id"] == 2)
        await ca.ok("supervisor/run")
        _ = await eventually("#2's question") { late3.asked.first }
        for client in everyone { await client.finish() }
        await service.close()

        let restarted = try Service(workspace: workspace, config: try workspace.loadConfig())
        await restarted.start()
        let after = await connect(["capabilities": answering], to: restarted)
        guard let question = await eventually("the question after the restart", { after.asked.first }) else { return }
        #expect(question.params["message"]?.stringValue?.hasPrefix("#2 was escalated") == true, "\(question.params)")
        question.answer(["title": "Abandon"])
        _ = await eventually("#2 abandoned, told") { abandoned(after, 2) ? true : nil }
        #expect(after.asked.count == 1)
        await after.finish()
        await restarted.close()

        for client in everyone {
            for (method, params) in client.told {
                do {
                    try ca.checker.check(params, against: method, in: "notifications", part: "params")
                } catch {
                    Issue.record("\(error)")
                }
            }
        }
    }
}

/// Sends requests as a client, checking each against `Protocol/braid-protocol.json`: the params
/// of a request meant to succeed and its result against their declarations, and the code of a
/// refusal against the method's declared errors.
final class CheckedClient: Sendable {
    let client: ProtocolClient
    let model: JSONValue
    let checker: ShapeChecker
    private let succeeded = Mutex<Set<String>>([])

    init(client: ProtocolClient, model: JSONValue) {
        self.client = client
        self.model = model
        checker = ShapeChecker(model: model)
    }

    private func entry(_ method: String) -> JSONValue? {
        model["requests"]?.arrayValue?.first { $0["method"]?.stringValue == method }
    }

    /// A request that must succeed; returns its result (null after recording an issue).
    @discardableResult
    func ok(_ method: String, _ params: JSONValue? = nil, sourceLocation: SourceLocation = #_sourceLocation) async -> JSONValue {
        if let params, entry(method)?["params"] != nil {
            do {
                try checker.check(params, against: method, in: "requests", part: "params")
            } catch {
                Issue.record("the test's own params: \(error)", sourceLocation: sourceLocation)
            }
        }
        switch await client.call(method, params) {
        case .success(let result):
            do {
                try checker.check(result, against: method, in: "requests", part: "result")
                succeeded.withLock { _ = $0.insert(method) }
            } catch {
                Issue.record("\(error)", sourceLocation: sourceLocation)
            }
            return result
        case .failure(let error):
            Issue.record("\(method) \(params.map { "\($0)" } ?? ""): \(error)", sourceLocation: sourceLocation)
            return .null
        }
    }

    /// A request that must fail with `code`, which the method must declare.
    func fails(_ method: String, _ params: JSONValue?, _ code: Int, sourceLocation: SourceLocation = #_sourceLocation) async {
        let declared = entry(method)?["errors"]?.arrayValue?.compactMap(\.intValue) ?? []
        #expect(declared.contains(code), "\(method) does not declare \(code)", sourceLocation: sourceLocation)
        switch await client.call(method, params) {
        case .success(let result):
            Issue.record("\(method) \(params.map { "\($0)" } ?? "") answered \(result), not \(code)", sourceLocation: sourceLocation)
        case .failure(let error):
            #expect(error.code.rawValue == code, "\(method) \(params.map { "\($0)" } ?? ""): \(error)", sourceLocation: sourceLocation)
        }
    }

    /// The result of a request, or nil (for polling).
    func call(_ method: String, _ params: JSONValue? = nil) async -> JSONValue? {
        try? await client.call(method, params).get()
    }

    /// The task as `task/list` has it now.
    func task(_ id: Int) async -> JSONValue? {
        await call("task/list")?["tasks"]?.arrayValue?.first { $0["id"]?.intValue == id }
    }

    func eventually<T>(_ what: String, sourceLocation: SourceLocation = #_sourceLocation, _ probe: () async -> T?) async -> T? {
        await BraidServerTests.eventually(what, sourceLocation: sourceLocation, probe)
    }

    /// Every request the protocol lists from client to server succeeded at least once through
    /// this client (but those in `except`, exercised elsewhere).
    func expectEveryRequestSucceeded(except: Set<String>, sourceLocation: SourceLocation = #_sourceLocation) {
        let listed = Set((model["requests"]?.arrayValue ?? []).filter { $0["messageDirection"] == "clientToServer" }
            .compactMap { $0["method"]?.stringValue })
        let missing = listed.subtracting(succeeded.withLock { $0 }).subtracting(except)
        #expect(missing.isEmpty, "never answered successfully: \(missing.sorted())", sourceLocation: sourceLocation)
    }
}
