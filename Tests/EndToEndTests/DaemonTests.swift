#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import Foundation
import JSON
import Synchronization
import Testing
import TestSupport

/// The repository's daemon through the real binary: several `braid serve` clients and CLI
/// processes sharing one daemon, agents outliving clients and daemons, escalations asked of the
/// client and acted upon, every method's error codes, and the daemon's own lifecycle.
///
/// Every wait is a poll for a condition; the timeouts only guard against hangs. Every test stops
/// its daemon (and the daemon also exits once its project folder, and so its socket, is removed).
@Suite(.serialized) struct DaemonTests {
    // MARK: Fixtures

    static let emptyBoard = "# Board\n\n## Todo\n\n## In Progress\n\n## Review\n\n## Blocked\n\n## Done\n"

    /// A project with an empty board. `BRAID_DAEMON_IDLE_SECONDS` in `environment` bounds the life
    /// of a daemon a failed test might leave behind.
    static func project(gate: String = "exit 0", config: [String: String] = [:]) throws -> ProjectFixture {
        let project = try ProjectFixture(gate: gate, config: config)
        try project.write("BOARD.md", emptyBoard)
        return project
    }

    static let environment = ["BRAID_DAEMON_IDLE_SECONDS": "300"]

    static func client(_ project: ProjectFixture, arguments: [String] = ["serve"]) throws -> ServeClient {
        try ServeClient(in: project.root, arguments: arguments, environment: environment)
    }

    static func braid(_ project: ProjectFixture, _ arguments: [String]) throws -> ProgramRun.Outcome {
        try project.braid(arguments, environment: environment)
    }

    /// A task body the built-in script agent runs.
    static func script(_ sh: String) -> String { "```sh\n\(sh)\n```" }

    /// A script that prints a line every 0.2 s until `go` exists (at most 5 minutes), then writes
    /// its work.
    static func waitingScript(_ go: URL) -> String {
        """
        i=0
        while [ ! -f '\(go.path)' ] && [ $i -lt 1500 ]; do echo "tick $i"; i=$((i+1)); sleep 0.2; done
        echo finished > work.txt
        """
    }

    /// A file outside the repository whose creation lets a waiting script finish.
    static func goFile() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("braid-go-\(UUID().uuidString)")
    }

    static func touch(_ url: URL) { _ = FileManager.default.createFile(atPath: url.path, contents: Data()) }

    @discardableResult
    static func addTask(_ client: ServeClient, _ title: String, script sh: String? = nil, extra: [String: JSONValue] = [:]) throws -> Int {
        var params: [String: JSONValue] = ["title": .string(title)]
        if let sh { params["body"] = .string(script(sh)) }
        for (key, value) in extra { params[key] = value }
        let task = try client.call("task/add", .object(params))
        return try #require(task["id"]?.intValue)
    }

    static func task(_ client: ServeClient, _ id: Int) throws -> JSONValue? {
        try client.call("task/list")["tasks"]?.arrayValue?.first { $0["id"]?.intValue == id }
    }

    static func sessions(_ client: ServeClient, task id: Int) throws -> [JSONValue] {
        try client.call("session/list", ["task": .number(JSONNumber(id))])["sessions"]?.arrayValue ?? []
    }

    /// Polls `task/list` until the task is in `section`; its last snapshot.
    @discardableResult
    static func waitForSection(_ client: ServeClient, _ id: Int, _ section: String, timeout: Double = 120) throws -> JSONValue? {
        var last: JSONValue?
        let reached = try eventually(timeout: timeout, interval: 0.1) {
            last = try task(client, id)
            return last?["section"]?.stringValue == section
        }
        #expect(reached, "#\(id) never reached \(section): \(String(describing: last))")
        return last
    }

    /// Polls until the task has a running session; that session (from `session/list`).
    static func waitForRunningSession(_ client: ServeClient, _ id: Int, timeout: Double = 120) throws -> JSONValue? {
        var running: JSONValue?
        _ = try eventually(timeout: timeout, interval: 0.1) {
            running = try sessions(client, task: id).last { $0["running"]?.boolValue == true }
            return running != nil
        }
        return running
    }

    /// The pid the running daemon wrote in its lock, if that process runs.
    static func daemonPID(_ project: ProjectFixture) -> Int32? {
        guard let text = try? project.read(".braid/state/daemon.lock"),
              let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)), processIsRunning(pid) else { return nil }
        return pid
    }

    static func stopDaemon(_ project: ProjectFixture) {
        _ = try? braid(project, ["daemon", "stop"])
    }

    /// Ends an agent and everything it started (its process group).
    /// Only while it still is a Braid agent (its environment names its session), never a process
    /// that reused its pid.
    static func killAgent(_ pid: Int32?) {
        guard let pid, pid > 0, processIsRunning(pid),
              let environ = FileManager.default.contents(atPath: "/proc/\(pid)/environ"),
              environ.split(separator: 0).contains(where: { $0.starts(with: Array("BRAID_SESSION=".utf8)) }) else { return }
        kill(-pid, SIGKILL)
    }

    /// Running `braid daemon run` processes whose working directory is `root`.
    static func daemonProcesses(of root: URL) -> [Int32] {
        let wanted = realpath(root.path)
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
        return entries.compactMap(Int32.init).filter { pid in
            guard let cmdline = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return false }
            let argv = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard argv.count >= 3, argv[argv.count - 2] == "daemon", argv.last == "run",
                  URL(fileURLWithPath: argv[0]).lastPathComponent == "braid" else { return false }
            let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd")
            return cwd.map(realpath) == wanted && processIsRunning(pid)
        }
    }

    static func realpath(_ path: String) -> String {
        guard let resolved = Glibc.realpath(path, nil) else { return path }
        defer { free(resolved) }
        return String(cString: resolved)
    }

    // MARK: 1. Two clients at once

    @Test func twoClientsBothHearEveryChangeAndSeeTheSameBoard() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        let first = try Self.client(project)
        try first.initialize()
        let second = try Self.client(project)
        try second.initialize()

        // One daemon serves both, and both are subscribed once they were told "ready".
        let status = try first.call("workspace/status")
        #expect(status["pid"]?.intValue.map(Int32.init) == Self.daemonPID(project))
        #expect(try second.call("workspace/status")["pid"] == status["pid"])
        #expect(try second.call("workspace/status")["clients"] == 2)

        let fromClient = try Self.addTask(first, "Added by the first client")
        for client in [first, second] {
            let changed = client.waitForNotification("task/changed") {
                $0["id"]?.intValue == fromClient && $0["task"]?["title"] == "Added by the first client"
            }
            #expect(changed?["task"]?["section"] == "todo", "stderr: \(client.stderr)")
        }

        let cli = try Self.braid(project, ["add", "Added by the CLI", "--json"])
        #expect(cli.status == 0, "\(cli.stderr)")
        let fromCLI = try JSONParser.parse(cli.stdout)["id"]?.intValue
        #expect(fromCLI == fromClient + 1)
        for client in [first, second] {
            let changed = client.waitForNotification("task/changed") {
                $0["id"]?.intValue == fromCLI && $0["task"]?["title"] == "Added by the CLI"
            }
            #expect(changed?["task"]?["section"] == "todo")
        }

        let seenByFirst = try first.call("task/list")
        let seenBySecond = try second.call("task/list")
        #expect(seenByFirst == seenBySecond)
        #expect(seenByFirst["tasks"]?.arrayValue?.compactMap { $0["title"]?.stringValue } == ["Added by the first client", "Added by the CLI"])

        #expect(first.close() == 0)
        #expect(second.close() == 0)
    }

    // MARK: 2. A client disconnects mid-run

    @Test func aClientKilledMidRunLeavesItsAgentRunningForTheNextClient() throws {
        let go = Self.goFile()
        let project = try Self.project()
        var agent: Int32?
        defer {
            Self.touch(go)
            Self.stopDaemon(project)
            Self.killAgent(agent)
            try? FileManager.default.removeItem(at: go)
        }
        let first = try Self.client(project)
        try first.initialize()
        let id = try Self.addTask(first, "Long work", script: Self.waitingScript(go))
        _ = try first.call("supervisor/run")
        let session = try #require(try Self.waitForRunningSession(first, id))
        let sessionID = try #require(session["id"]?.stringValue)
        agent = session["pid"]?.intValue.map(Int32.init)
        let pid = try #require(agent)
        #expect(first.waitForNotification("session/output") { $0["session"]?.stringValue == sessionID } != nil)

        // The editor crashes.
        first.kill9()

        let second = try Self.client(project)
        try second.initialize()
        // The daemon saw the first client go: only the second is left.
        #expect(try eventually { try second.call("workspace/status")["clients"] == 1 })
        #expect(processIsRunning(pid), "the agent died with its client")
        let listed = try Self.sessions(second, task: id)
        #expect(listed.count == 1)
        #expect(listed.first?["id"]?.stringValue == sessionID)
        #expect(listed.first?["running"] == true)
        #expect(listed.first?["pid"]?.intValue == Int(pid))
        #expect(try Self.task(second, id)?["runningSession"]?.stringValue == sessionID)
        #expect(try Self.task(second, id)?["section"] == "inProgress")

        // Its output still comes, to the new client, from where it has got to.
        let output = second.waitForNotification("session/output") { $0["session"]?.stringValue == sessionID }
        #expect(output?["text"]?.stringValue?.contains("tick") == true)
        #expect((output?["offset"]?.intValue ?? 0) > 0)

        Self.touch(go)
        let exited = second.waitForNotification("session/exited") { $0["session"]?.stringValue == sessionID }
        #expect(exited?["exitCode"] == 0)
        #expect(second.waitForNotification("task/changed") { $0["id"]?.intValue == id && $0["task"]?["section"] == "review" } != nil)
        #expect(try Self.sessions(second, task: id).count == 1)
        #expect(second.close() == 0)
    }

    // MARK: 3. Escalations asked of the client

    /// A gate that fails while `bad.txt` exists; tries are few, sessions one at a time.
    static func escalationProject(agents: String? = nil) throws -> ProjectFixture {
        var config = ["maxRetries": "0", "maxSessions": "1"]
        if let agents { config["agents"] = agents }
        return try project(gate: #"if [ -f bad.txt ]; then echo "GATE: bad.txt is there" >&2; exit 1; fi"#, config: config)
    }

    static let asksCapabilities: JSONValue = ["window": ["showMessage": [:]]]

    /// Runs the board until `window/showMessageRequest` asks about task `id`; that request.
    static func escalationRequest(_ client: ServeClient, task id: Int) throws -> JSONValue {
        let request = try #require(client.waitForServerRequest("window/showMessageRequest", timeout: 120),
                                   "no escalation was asked: \(client.stderr)")
        let params = request["params"] ?? .null
        #expect(params["type"] == 2)
        #expect(params["message"]?.stringValue?.hasPrefix("#\(id) was escalated") == true, "\(params)")
        #expect(params["actions"]?.arrayValue?.compactMap { $0["title"]?.stringValue } == ["Retry", "Reassign", "Abandon"])
        let task = try Self.task(client, id)
        #expect(task?["section"] == "blocked")
        #expect(task?["attempts"] == 1)
        return request
    }

    @Test func answeringRetryPutsTheTaskBackInTodoWithItsTriesCountedAfreshAndItRunsAgain() throws {
        let fixed = Self.goFile()
        let release = Self.goFile()
        let project = try Self.escalationProject()
        var holder: Int32?
        defer {
            Self.touch(release)
            Self.stopDaemon(project)
            Self.killAgent(holder)
            for url in [fixed, release] { try? FileManager.default.removeItem(at: url) }
        }
        let client = try Self.client(project)
        try client.initialize(capabilities: Self.asksCapabilities)
        // Fails its gate until `fixed` exists.
        let flaky = try Self.addTask(client, "Flaky", script: """
            if [ -f '\(fixed.path)' ]; then rm -f bad.txt; echo fixed > good.txt; else echo try >> bad.txt; fi
            """)
        _ = try client.call("supervisor/run")
        let request = try Self.escalationRequest(client, task: flaky)

        // Another task takes the only session slot, so that the retried task waits in Todo.
        let other = try Self.addTask(client, "Holder", script: Self.waitingScript(release))
        _ = try client.call("supervisor/run")
        holder = try Self.waitForRunningSession(client, other)?["pid"]?.intValue.map(Int32.init)
        #expect(holder != nil)

        client.respond(to: request, result: ["title": "Retry", "guidance": "look for bad.txt first"])
        #expect(client.waitForNotification("window/showMessage") { $0["message"]?.stringValue?.contains("#\(flaky) retried") == true } != nil)
        let retried = try Self.waitForSection(client, flaky, "todo")
        #expect(retried?["attempts"] == 0)
        #expect(retried?["sessions"] == 1)
        #expect(retried?["blockedReason"] == .null)

        // Once the slot is free it runs again, with the guidance, and passes.
        Self.touch(fixed)
        Self.touch(release)
        let done = try Self.waitForSection(client, flaky, "review")
        #expect(done?["attempts"] == 0)
        let sessions = try Self.sessions(client, task: flaky)
        #expect(sessions.count == 2)
        if let last = sessions.last?["id"]?.stringValue {
            #expect(try project.read(".braid/logs/\(last)/prompt.txt").contains("look for bad.txt first"))
        }
        #expect(client.close() == 0)
    }

    @Test func answeringReassignGivesTheTaskToTheAgentNamedInTheAnswer() throws {
        let project = try Self.escalationProject(agents: #"{"helper": {"command": ["sh", "-c", "rm -f bad.txt; echo fixed by helper > good.txt"]}}"#)
        defer { Self.stopDaemon(project) }
        // The task escalates while only a client that cannot answer is connected...
        let runner = try Self.client(project)
        try runner.initialize()
        let flaky = try Self.addTask(runner, "Flaky", script: "echo try >> bad.txt")
        _ = try runner.call("supervisor/run")
        #expect(runner.waitForNotification("window/showMessage") { $0["message"]?.stringValue?.hasPrefix("#\(flaky) needs you") == true } != nil)
        #expect(runner.close() == 0)
        // ...and the next client that can answer is asked.
        let client = try Self.client(project)
        try client.initialize(capabilities: Self.asksCapabilities)
        let request = try Self.escalationRequest(client, task: flaky)
        #expect(try Self.task(client, flaky)?["agent"] == .null)

        client.respond(to: request, result: ["title": "Reassign", "agent": "helper"])
        #expect(client.waitForNotification("window/showMessage") { $0["message"]?.stringValue == "#\(flaky) reassigned to helper" } != nil)
        let done = try Self.waitForSection(client, flaky, "review")
        #expect(done?["agent"] == "helper")
        #expect(done?["attempts"] == 0)
        let sessions = try Self.sessions(client, task: flaky)
        #expect(sessions.compactMap { $0["agent"]?.stringValue } == ["script", "helper"])
        #expect(try project.read("BOARD.md").contains("agent: helper"))
        #expect(client.close() == 0)
    }

    @Test func answeringAbandonBlocksTheTaskAndRemovesItsWorktreeAndBranch() throws {
        let project = try Self.escalationProject()
        defer { Self.stopDaemon(project) }
        let client = try Self.client(project)
        try client.initialize(capabilities: Self.asksCapabilities)
        // A client that cannot answer questions is told instead.
        let bystander = try Self.client(project)
        try bystander.initialize()
        let flaky = try Self.addTask(client, "Flaky", script: "echo try >> bad.txt")
        _ = try client.call("supervisor/run")
        let request = try Self.escalationRequest(client, task: flaky)
        #expect(bystander.waitForNotification("window/showMessage") { $0["message"]?.stringValue?.hasPrefix("#\(flaky) needs you") == true } != nil)
        #expect(bystander.waitForServerRequest("window/showMessageRequest", timeout: 0.5) == nil)
        let session = try #require(try Self.sessions(client, task: flaky).first)
        let worktree = try #require(session["worktree"]?.stringValue)
        let branch = try #require(session["branch"]?.stringValue)
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(try project.git("branch", "--list", branch).contains(branch))

        client.respond(to: request, result: ["title": "Abandon"])
        #expect(client.waitForNotification("window/showMessage") { $0["message"]?.stringValue?.hasPrefix("#\(flaky) abandoned") == true } != nil)
        let abandoned = bystander.waitForNotification("task/changed") {
            $0["id"]?.intValue == flaky && $0["task"]?["blockedReason"]?.stringValue?.contains("abandoned") == true
        }
        #expect(abandoned?["task"]?["section"] == "blocked")
        #expect(!FileManager.default.fileExists(atPath: worktree))
        #expect(try project.git("branch", "--list", branch).isEmpty)
        let worktrees = try client.call("worktree/list")["worktrees"]?.arrayValue ?? []
        #expect(!worktrees.contains { $0["task"]?.intValue == flaky })
        // Nothing runs it again.
        #expect(try Self.sessions(client, task: flaky).count == 1)
        #expect(try Self.task(client, flaky)?["section"] == "blocked")
        #expect(client.close() == 0)
        #expect(bystander.close() == 0)
    }

    // MARK: 4. Every method's error codes

    struct ErrorCase: CustomStringConvertible {
        let params: JSONValue?
        let code: Int
        let why: String
        var description: String { "\(why) \(params.map { "\($0)" } ?? "(no params)") → \(code)" }
    }

    static let taskNotFound = -32010, wrongState = -32011, noWorkspace = -32012, sessionNotFound = -32013, invalidParams = -32602

    /// Methods every server has, tested by ServeTests: not Braid's own.
    static let baseMethods: Set<String> = ["initialize", "shutdown", "braid/version", "braid/ping"]

    /// The methods a client may call: what the real server says it serves (`BraidServer.servedRequests`
    /// in `initialize`'s capabilities) and what `Protocol/` lists, less the base ones.
    static func methods(servedBy initializeResult: JSONValue) throws -> Set<String> {
        let served = initializeResult["capabilities"]?["requests"]?.arrayValue?.compactMap(\.stringValue) ?? []
        #expect(!served.isEmpty, "initialize did not list the methods: \(initializeResult)")
        let documented = try protocolRequests().keys
        return Set(served).union(documented).subtracting(baseMethods)
    }

    static func protocolRequests() throws -> [String: Set<Int>] {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/braid-protocol.json")
        let spec = try JSONParser.parse(Array(try Data(contentsOf: url)))
        var requests: [String: Set<Int>] = [:]
        for request in spec["requests"]?.arrayValue ?? [] where request["messageDirection"] != "serverToClient" {
            guard let method = request["method"]?.stringValue else { continue }
            requests[method] = Set(request["errors"]?.arrayValue?.compactMap(\.intValue) ?? [])
        }
        return requests
    }

    /// Each method's error paths in a repository where #1 is in Review, #2 waits in Todo (after
    /// #1, so nothing starts it), #3 has a session running, and #99 does not exist. A method
    /// without params has no entry but `[]`: its one error is -32012, tested below.
    static let errorCases: [String: [ErrorCase]] = [
        "workspace/init": [
            ErrorCase(params: ["testCommand": 5], code: invalidParams, why: "mistyped testCommand"),
            ErrorCase(params: [:], code: wrongState, why: "already a Braid repository"),
        ],
        "workspace/status": [],
        "task/list": [
            ErrorCase(params: ["section": "nowhere"], code: invalidParams, why: "no such section"),
            ErrorCase(params: ["orderBy": "size"], code: invalidParams, why: "an unknown order"),
        ],
        "task/add": [
            ErrorCase(params: [:], code: invalidParams, why: "missing title"),
            ErrorCase(params: ["title": 7], code: invalidParams, why: "mistyped title"),
            ErrorCase(params: ["title": "x", "section": "review"], code: invalidParams, why: "a section tasks are not added to"),
            ErrorCase(params: ["title": "x", "section": "nowhere"], code: invalidParams, why: "no such section"),
            ErrorCase(params: ["title": "x", "after": [-1]], code: invalidParams, why: "a negative task id in after"),
            ErrorCase(params: ["title": "x", "agent": "no-such-agent"], code: invalidParams, why: "unknown agent"),
            ErrorCase(params: ["title": "x", "priority": "high"], code: invalidParams, why: "mistyped priority"),
            ErrorCase(params: ["title": "x\ny"], code: invalidParams, why: "a title on two lines"),
        ],
        "task/update": [
            ErrorCase(params: ["task": 99, "title": "x"], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["title": "x"], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": "two"], code: invalidParams, why: "mistyped task"),
            ErrorCase(params: ["task": 2, "after": [0]], code: invalidParams, why: "task id 0 in after"),
            ErrorCase(params: ["task": 2, "agent": "no-such-agent"], code: invalidParams, why: "unknown agent"),
        ],
        "task/move": [
            ErrorCase(params: ["task": 99, "section": "todo"], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 2], code: invalidParams, why: "missing section"),
            ErrorCase(params: ["task": 2, "section": "sideways"], code: invalidParams, why: "no such section"),
            ErrorCase(params: ["task": 2, "section": "review"], code: invalidParams, why: "a section only the supervisor sets"),
            ErrorCase(params: ["task": 3, "section": "todo"], code: wrongState, why: "a task with a running session"),
        ],
        "task/remove": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
        "session/start": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 1], code: wrongState, why: "a task in Review"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
        "session/list": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": "x"], code: invalidParams, why: "mistyped task"),
        ],
        "session/cancel": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "no session running"),
        ],
        "session/log": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["session": "no-such-session"], code: sessionNotFound, why: "unknown session"),
            ErrorCase(params: [:], code: invalidParams, why: "neither session nor task"),
            ErrorCase(params: ["task": 3, "offset": -1], code: invalidParams, why: "a negative offset"),
            ErrorCase(params: ["task": 3, "limit": 0], code: invalidParams, why: "a zero limit"),
            ErrorCase(params: ["task": 3, "tail": -5], code: invalidParams, why: "a negative tail"),
            ErrorCase(params: ["task": 3, "offset": "start"], code: invalidParams, why: "mistyped offset"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task with no sessions yet"),
        ],
        "session/attach": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["session": "no-such-session"], code: sessionNotFound, why: "unknown session"),
            ErrorCase(params: [:], code: invalidParams, why: "neither session nor task"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task with no sessions yet"),
        ],
        "supervisor/run": [
            ErrorCase(params: ["workDoneToken": ["not": "a token"]], code: invalidParams, why: "a token that is neither string nor integer"),
        ],
        "supervisor/pause": [],
        "supervisor/resume": [
            ErrorCase(params: nil, code: wrongState, why: "not paused"),
        ],
        "gate/run": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task without a worktree"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
        "task/diff": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 1, "stat": "yes"], code: invalidParams, why: "mistyped stat"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "no worktree and not landed"),
        ],
        "task/approve": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": "1"], code: invalidParams, why: "mistyped task"),
            ErrorCase(params: [1], code: invalidParams, why: "params by position"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task in Todo"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task in progress"),
        ],
        "task/reject": [
            ErrorCase(params: ["task": 99, "feedback": "x"], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 1], code: invalidParams, why: "missing feedback"),
            ErrorCase(params: ["task": 1, "feedback": "  \n"], code: invalidParams, why: "blank feedback"),
            ErrorCase(params: ["task": 2, "feedback": "x"], code: wrongState, why: "a task in Todo"),
        ],
        "task/retry": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 1, "guidance": 5], code: invalidParams, why: "mistyped guidance"),
            ErrorCase(params: ["task": 1], code: wrongState, why: "a task in Review"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task in Todo"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
        "task/reassign": [
            ErrorCase(params: ["task": 99, "agent": "script"], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 2], code: invalidParams, why: "missing agent"),
            ErrorCase(params: ["task": 2, "agent": "no-such-agent"], code: invalidParams, why: "unknown agent"),
            ErrorCase(params: ["task": 1, "agent": "script"], code: wrongState, why: "a task in Review"),
            ErrorCase(params: ["task": 3, "agent": "script"], code: wrongState, why: "a task with a running session"),
        ],
        "task/abandon": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 1], code: wrongState, why: "a task in Review"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
        "merge/enqueue": [
            ErrorCase(params: ["tasks": [99]], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["tasks": "all"], code: invalidParams, why: "mistyped tasks"),
            ErrorCase(params: ["tasks": [2]], code: wrongState, why: "a task in Todo"),
        ],
        "merge/wait": [
            ErrorCase(params: ["tasks": [99], "since": 0], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["tasks": [1]], code: invalidParams, why: "missing since"),
            ErrorCase(params: ["tasks": [1], "since": -1], code: invalidParams, why: "negative since"),
        ],
        "merge/queue": [],
        "merge/abort": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 1], code: wrongState, why: "a task not in the merge queue"),
        ],
        "worktree/list": [],
        "worktree/prune": [],
        "metrics/get": [],
        // No reviewer is configured here: #1's review record holds only its risk.
        "review/findings": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": "1"], code: invalidParams, why: "mistyped task"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task never reviewed"),
        ],
        "review/adjudicate": [
            ErrorCase(params: ["task": 99, "decisions": [["finding": 1, "keep": true, "reason": "x"]]], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: ["task": 1], code: invalidParams, why: "missing decisions"),
            ErrorCase(params: ["task": 1, "decisions": []], code: invalidParams, why: "no decision"),
            ErrorCase(params: ["task": 1, "decisions": [["finding": 1, "keep": true]]], code: invalidParams, why: "a decision without reason"),
            ErrorCase(params: ["task": 1, "decisions": [["finding": "first", "keep": true, "reason": "x"]]], code: invalidParams,
                      why: "a mistyped finding"),
            ErrorCase(params: ["task": 2, "decisions": [["finding": 1, "keep": true, "reason": "x"]]], code: wrongState, why: "a task in Todo"),
            ErrorCase(params: ["task": 3, "decisions": [["finding": 1, "keep": true, "reason": "x"]]], code: wrongState,
                      why: "a task in progress"),
            ErrorCase(params: ["task": 1, "decisions": [["finding": 1, "keep": false, "reason": "x"]]], code: wrongState,
                      why: "a review without findings (no reviewer)"),
        ],
        "review/run": [
            ErrorCase(params: ["task": 99], code: taskNotFound, why: "unknown task"),
            ErrorCase(params: [:], code: invalidParams, why: "missing task"),
            ErrorCase(params: ["task": 1], code: wrongState, why: "no reviewer configured"),
            ErrorCase(params: ["task": 2], code: wrongState, why: "a task in Todo"),
            ErrorCase(params: ["task": 3], code: wrongState, why: "a task with a running session"),
        ],
    ]

    @Test func everyMethodAnswersItsErrorPathsWithTheDocumentedCode() throws {
        let go = Self.goFile()
        let project = try Self.project()
        var agent: Int32?
        defer {
            Self.touch(go)
            Self.stopDaemon(project)
            Self.killAgent(agent)
            try? FileManager.default.removeItem(at: go)
        }
        let client = try Self.client(project)
        let initialized = try client.initialize()
        let methods = try Self.methods(servedBy: initialized)
        let documented = try Self.protocolRequests()

        // #1 in Review, #2 in Todo waiting for #1, #3 running.
        let reviewed = try Self.addTask(client, "Reviewed", script: "echo ok > ok.txt")
        _ = try client.call("supervisor/run")
        try Self.waitForSection(client, reviewed, "review")
        let waiting = try Self.addTask(client, "Waiting", extra: ["after": [1]])
        let running = try Self.addTask(client, "Running", script: Self.waitingScript(go))
        #expect(reviewed == 1 && waiting == 2 && running == 3)
        _ = try client.call("supervisor/run")
        agent = try Self.waitForRunningSession(client, running)?["pid"]?.intValue.map(Int32.init)
        #expect(agent != nil)

        for method in methods.sorted() {
            guard let cases = Self.errorCases[method] else {
                Issue.record("\(method) is served but has no error cases in DaemonTests.errorCases: add them")
                continue
            }
            let takesTask = cases.contains { $0.params?["task"] != nil || $0.params?["tasks"] != nil }
            if takesTask {
                #expect(cases.contains { $0.code == Self.taskNotFound }, "\(method) takes a task but no case names an unknown one")
            }
            for errorCase in cases {
                let (code, message) = client.errorCode(method, errorCase.params)
                #expect(code == errorCase.code, "\(method): \(errorCase): got \(code.map(String.init) ?? "no error") (\(message))")
                if let listed = documented[method], let code {
                    #expect(listed.contains(code), "\(method) answered \(code), which Protocol/ does not list for it")
                }
            }
        }
        for method in Self.errorCases.keys where !methods.contains(method) {
            Issue.record("\(method) has error cases but the server does not serve it")
        }

        // Nothing above changed the board: the same three tasks, in the same places.
        let tasks = try client.call("task/list")["tasks"]?.arrayValue ?? []
        #expect(tasks.compactMap { $0["section"]?.stringValue } == ["review", "todo", "inProgress"])
        #expect(try client.call("session/cancel", ["task": 3])["task"] == 3)
        try Self.waitForSection(client, running, "blocked")
        #expect(client.close() == 0)
    }

    @Test func outsideABraidRepositoryEveryMethodSaysSoUntilWorkspaceInit() throws {
        let project = try ProjectFixture()
        // A plain git repository: no Braid config (ProjectFixture wrote one; it goes).
        try FileManager.default.removeItem(at: project.root.appendingPathComponent(".braid"))
        let client = try Self.client(project, arguments: ["serve", "--standalone"])
        let initialized = try client.initialize()
        let methods = try Self.methods(servedBy: initialized)
        // Params every method decodes, so that only the missing repository is wrong.
        let params: JSONValue = ["task": 1, "title": "t", "section": "todo", "feedback": "f", "agent": "script", "session": "s"]
        for method in methods.sorted() where method != "workspace/init" {
            let (code, message) = client.errorCode(method, params)
            #expect(code == Self.noWorkspace, "\(method): got \(code.map(String.init) ?? "no error") (\(message))")
        }
        let made = try client.call("workspace/init", ["testCommand": "true"])
        #expect(made["createdConfig"] == true)
        #expect(FileManager.default.fileExists(atPath: project.root.appendingPathComponent(".braid/config.json").path))
        let id = try Self.addTask(client, "Now it works")
        #expect(try client.call("task/list")["tasks"]?.arrayValue?.first?["id"]?.intValue == id)
        #expect(client.errorCode("workspace/init", [:]).code == Self.wrongState)
        #expect(client.errorCode("task/approve", ["task": 99]).code == Self.taskNotFound)
        #expect(client.close() == 0)
        // In-process: no daemon was started.
        #expect(Self.daemonPID(project) == nil)

        // Not even a git repository: workspace/init cannot help.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("braid-plain-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let outside = try ServeClient(in: folder, arguments: ["serve", "--standalone"])
        try outside.initialize()
        #expect(outside.errorCode("task/list").code == Self.noWorkspace)
        #expect(outside.errorCode("workspace/init", [:]).code == Self.noWorkspace)
        #expect(outside.close() == 0)
    }

    // MARK: 5. The daemon's lifecycle

    @Test func oneDaemonPerRepositoryOnAPrivateSocketStoppedCleanly() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        let start = try Self.braid(project, ["daemon", "start"])
        #expect(start.status == 0, "\(start.stderr)")
        let pid = try #require(Self.daemonPID(project))
        #expect(start.stdout.contains("daemon running (pid \(pid))"))
        let status = try Self.braid(project, ["daemon", "status"])
        #expect(status.status == 0)
        #expect(status.stdout.contains("pid \(pid)"))

        // A second daemon does not take over.
        let second = try Self.braid(project, ["daemon", "run"])
        #expect(second.status == 0)
        #expect(second.stderr == "braid: daemon: already running (pid \(pid))\n")
        #expect(Self.daemonPID(project) == pid)
        #expect(Self.daemonProcesses(of: project.root) == [pid])

        // Only its owner may connect.
        var info = stat()
        let socket = project.root.appendingPathComponent(".braid/state/daemon.sock").path
        #expect(lstat(socket, &info) == 0)
        #expect(info.st_mode & S_IFMT == S_IFSOCK)
        #expect(info.st_mode & 0o777 == 0o600)

        let stop = try Self.braid(project, ["daemon", "stop"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(stop.stdout == "daemon \(pid) stopped\n")
        #expect(eventually { !processIsRunning(pid) })
        #expect(!FileManager.default.fileExists(atPath: socket))
        #expect(try project.read(".braid/logs/daemon.log").contains("daemon \(pid) exiting: signal \(SIGTERM)"))
        let after = try Self.braid(project, ["daemon", "status"])
        #expect(after.status == 3)
        #expect(after.stdout.hasPrefix("no daemon running"))
        #expect(try Self.braid(project, ["daemon", "stop"]).stdout == "no daemon running\n")
    }

    @Test func anAgentOutlivesDaemonStopAndTheNextDaemonReadoptsIt() throws {
        let go = Self.goFile()
        let project = try Self.project()
        var agent: Int32?
        defer {
            Self.touch(go)
            Self.stopDaemon(project)
            Self.killAgent(agent)
            try? FileManager.default.removeItem(at: go)
        }
        let first = try Self.client(project)
        try first.initialize()
        let id = try Self.addTask(first, "Long work", script: Self.waitingScript(go))
        _ = try first.call("supervisor/run")
        let session = try #require(try Self.waitForRunningSession(first, id))
        let sessionID = try #require(session["id"]?.stringValue)
        agent = session["pid"]?.intValue.map(Int32.init)
        let pid = try #require(agent)
        let oldDaemon = try #require(Self.daemonPID(project))

        let stop = try Self.braid(project, ["daemon", "stop"])
        #expect(stop.status == 0, "\(stop.stderr)")
        #expect(eventually { !processIsRunning(oldDaemon) })
        // Its client's bridge ends with it; its agent does not.
        #expect(first.waitForExit(timeout: 30) != nil)
        #expect(processIsRunning(pid))

        // The next client starts a new daemon, which finds the agent still at work.
        let second = try Self.client(project)
        try second.initialize()
        let newDaemon = try #require(Self.daemonPID(project))
        #expect(newDaemon != oldDaemon)
        #expect(try eventually { try Self.task(second, id)?["runningSession"]?.stringValue == sessionID })
        let listed = try Self.sessions(second, task: id)
        #expect(listed.count == 1)
        #expect(listed.first?["running"] == true)
        #expect(listed.first?["pid"]?.intValue == Int(pid))

        Self.touch(go)
        let done = try Self.waitForSection(second, id, "review")
        #expect(done?["runningSession"] == .null)
        let ended = try Self.sessions(second, task: id)
        #expect(ended.count == 1)
        #expect(ended.first?["running"] == false)
        #expect(ended.first?["verdict"] == "passed")
        let branch = try #require(ended.first?["branch"]?.stringValue)
        #expect(try project.git("show", "\(branch):work.txt") == "finished\n")
        #expect(second.close() == 0)
    }

    @Test func afterTheDaemonIsKilledAndItsAgentDiesTheNextDaemonKeepsTheWork() throws {
        let project = try Self.project()
        var agent: Int32?
        defer {
            Self.stopDaemon(project)
            Self.killAgent(agent)
        }
        let first = try Self.client(project)
        try first.initialize()
        let id = try Self.addTask(first, "Partial work", script: "echo partial > part.txt\nsleep 300")
        _ = try first.call("supervisor/run")
        let session = try #require(try Self.waitForRunningSession(first, id))
        let sessionID = try #require(session["id"]?.stringValue)
        agent = session["pid"]?.intValue.map(Int32.init)
        let pid = try #require(agent)
        let worktree = try #require(session["worktree"]?.stringValue)
        #expect(eventually { FileManager.default.fileExists(atPath: worktree + "/part.txt") })

        // The daemon crashes, then its orphaned agent dies too.
        let daemon = try #require(Self.daemonPID(project))
        kill(daemon, SIGKILL)
        #expect(eventually { !processIsRunning(daemon) })
        #expect(first.waitForExit(timeout: 30) != nil)
        kill(-pid, SIGKILL)
        #expect(eventually { !processIsRunning(pid) })

        // The next client's daemon keeps the work, commits it on the task's branch and gates it.
        let second = try Self.client(project)
        try second.initialize()
        #expect(Self.daemonPID(project) != daemon)
        let done = try Self.waitForSection(second, id, "review")
        #expect(done?["lastGate"] == "passed")
        let sessions = try Self.sessions(second, task: id)
        #expect(sessions.count == 1, "the task started over instead of keeping its work: \(sessions)")
        #expect(sessions.first?["id"]?.stringValue == sessionID)
        #expect(sessions.first?["endReason"] == "daemonDied")
        let branch = try #require(sessions.first?["branch"]?.stringValue)
        #expect(try project.git("show", "\(branch):part.txt") == "partial\n")
        #expect(FileManager.default.fileExists(atPath: worktree + "/part.txt"))
        #expect(second.close() == 0)
    }

    @Test func theDaemonExitsWhenIdleButNotWhileAnAgentRuns() throws {
        let go = Self.goFile()
        let project = try Self.project()
        var agent: Int32?
        defer {
            Self.touch(go)
            Self.stopDaemon(project)
            Self.killAgent(agent)
            try? FileManager.default.removeItem(at: go)
        }
        let idle = ["BRAID_DAEMON_IDLE_SECONDS": "1"]
        let client = try ServeClient(in: project.root, environment: idle)
        try client.initialize()
        let id = try Self.addTask(client, "Long work", script: Self.waitingScript(go))
        _ = try client.call("supervisor/run")
        agent = try Self.waitForRunningSession(client, id)?["pid"]?.intValue.map(Int32.init)
        let daemon = try #require(Self.daemonPID(project))
        #expect(client.close() == 0)

        // No client for several idle periods, but an agent runs: the daemon stays.
        usleep(3_000_000)
        #expect(processIsRunning(daemon))
        #expect(agent.map(processIsRunning) == true)

        // Once the work is done and nobody is connected, it goes by itself.
        Self.touch(go)
        #expect(eventually(timeout: 120) { !processIsRunning(daemon) }, "the daemon did not exit once idle")
        #expect(try project.read(".braid/logs/daemon.log").contains("daemon \(daemon) exiting: idle for 1.0 s"))
        #expect(try project.read("BOARD.md").contains("## Review\n- [ ] Long work (#\(id))"))
    }

    @Test func theDaemonExitsWhenItsSocketIsRemoved() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        #expect(try Self.braid(project, ["daemon", "start"]).status == 0)
        let daemon = try #require(Self.daemonPID(project))
        try FileManager.default.removeItem(at: project.root.appendingPathComponent(".braid/state/daemon.sock"))
        #expect(eventually(timeout: 60) { !processIsRunning(daemon) })
        #expect(try project.read(".braid/logs/daemon.log").contains("daemon \(daemon) exiting: its socket"))
        // The next command starts a new one.
        #expect(try Self.braid(project, ["status"]).status == 0)
        #expect(Self.daemonPID(project).map { $0 != daemon } == true)
    }

    @Test func concurrentCommandsAutostartExactlyOneDaemon() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        #expect(Self.daemonPID(project) == nil)
        let outcomes = Mutex<[ProgramRun.Outcome]>([])
        DispatchQueue.concurrentPerform(iterations: 6) { _ in
            if let outcome = try? Self.braid(project, ["status", "--json"]) { outcomes.withLock { $0.append(outcome) } }
        }
        let all = outcomes.withLock { $0 }
        #expect(all.count == 6)
        #expect(all.allSatisfy { $0.status == 0 }, "\(all.map(\.stderr))")
        let pids = Set(all.compactMap { try? JSONParser.parse($0.stdout)["daemon"]?["pid"]?.intValue })
        #expect(pids.count == 1, "the commands reached different daemons: \(pids)")
        let daemon = try #require(Self.daemonPID(project))
        #expect(pids == [Int(daemon)])
        // Any daemon that lost the race has gone; the winner is the only one left.
        #expect(eventually { Self.daemonProcesses(of: project.root) == [daemon] }, "\(Self.daemonProcesses(of: project.root))")
    }

    // MARK: 6. The CLI as a client

    @Test func cliFailuresExitOneWithOneLineAndUsageErrorsExitTwo() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        let missing = try Self.braid(project, ["approve", "#99"])
        #expect(missing.status == 1)
        #expect(missing.stderr == "braid: approve: no task #99 on the board\n")
        #expect(missing.stdout.isEmpty)
        #expect(try Self.braid(project, ["add", "Todo task"]).status == 0)
        let wrong = try Self.braid(project, ["approve", "#1"])
        #expect(wrong.status == 1)
        #expect(wrong.stderr == "braid: approve: #1 is in Todo; only a task in Review can be approved\n")
        let cancel = try Self.braid(project, ["cancel", "#1"])
        #expect(cancel.status == 1)
        #expect(cancel.stderr == "braid: cancel: #1 has no running session\n")

        let usage: [[String]] = [
            ["approve"], ["approve", "one"], ["add"], ["add", "x", "--priority", "high"], ["add", "x", "--after", "soon"],
            ["reject", "#1"], ["retry", "#1", "--bogus"], ["reassign", "#1"], ["log"], ["cancel", "#1", "#2"],
            ["watch", "extra"], ["watch", "--jsn"], ["status", "--jsno"], ["run", "now"], ["daemon"], ["daemon", "strat"],
            ["frobnicate"],
        ]
        for arguments in usage {
            let outcome = try Self.braid(project, arguments)
            #expect(outcome.status == 2, "\(arguments): \(outcome.stderr)")
            #expect(outcome.stderr.hasPrefix("braid: ") && outcome.stderr.filter { $0 == "\n" }.count == 1,
                    "\(arguments): \(outcome.stderr)")
        }
        #expect(try Self.braid(project, ["daemon", "strat"]).stderr.contains("did you mean 'start'?"))
        // Nothing of the above changed the board.
        let tasks = try JSONParser.parse(try Self.braid(project, ["status", "--json"]).stdout)["tasks"]?.arrayValue ?? []
        #expect(tasks.count == 1)
    }

    @Test func watchJSONPrintsEachNotificationAsAJSONLine() throws {
        let project = try Self.project()
        defer { Self.stopDaemon(project) }
        let watch = try BackgroundProgram(BraidBinary.path, ["watch", "--json"], directory: project.root, environment: Self.environment)
        defer { watch.kill9() }
        // Its first line is the daemon's greeting: from then on it hears everything.
        #expect(watch.waitForOutput(containing: "window/logMessage"), "\(watch.output)")
        #expect(try Self.braid(project, ["add", "Watched task"]).status == 0)
        #expect(watch.waitForOutput(containing: "Watched task"), "\(watch.output)")
        let lines = watch.output.split(separator: "\n").map(String.init)
        let messages = lines.compactMap { try? JSONParser.parse($0) }
        #expect(messages.count == lines.count, "not every line is JSON: \(lines)")
        #expect(messages.allSatisfy { $0["method"]?.stringValue != nil && $0["params"] != nil })
        let changed = messages.first { $0["method"] == "task/changed" }
        #expect(changed?["params"]?["task"]?["title"] == "Watched task")
        #expect(changed?["params"]?["id"] == 1)
    }
}
