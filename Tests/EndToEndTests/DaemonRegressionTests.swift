#if canImport(Glibc)
import Glibc
#endif
import Foundation
import JSON
import Testing
import TestSupport

/// Regressions found by the adversarial review, through the real binary: each of these failed
/// on the code before its fix. Every wait polls a condition; timeouts only guard against hangs.
@Suite(.serialized) struct DaemonRegressionTests {
    typealias D = DaemonTests
    static let wrongState = -32011
    static let invalidParams = -32602

    static func fdCount(_ pid: Int32) -> Int {
        ((try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd")) ?? []).count
    }

    static func rssKB(_ pid: Int32) -> Int {
        guard let text = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }) else { return 0 }
        return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
    }

    /// A started daemon's pid (`braid status` starts it).
    static func startDaemon(_ project: ProjectFixture) throws -> Int32 {
        let status = try D.braid(project, ["status"])
        #expect(status.status == 0, "\(status.stderr)")
        return try #require(D.daemonPID(project))
    }

    // MARK: 1. Two starts at once

    @Test func twoPipelinedStartsOfOneTaskStartOneSession() throws {
        let go = D.goFile()
        let project = try D.project()
        var agent: Int32?
        defer { D.touch(go); D.stopDaemon(project); D.killAgent(agent); try? FileManager.default.removeItem(at: go) }
        let client = try D.client(project)
        try client.initialize()
        let id = try D.addTask(client, "Once", script: D.waitingScript(go))
        client.send(Frames.request(1001, "session/start", ["task": .number(JSONNumber(id))]))
        client.send(Frames.request(1002, "session/start", ["task": .number(JSONNumber(id))]))
        let answers = [client.waitForResponse(id: 1001), client.waitForResponse(id: 1002)]
        let succeeded = answers.filter { $0?["result"] != nil }
        let refused = answers.filter { $0?["error"]?["code"]?.intValue == Self.wrongState }
        #expect(succeeded.count == 1 && refused.count == 1, "\(answers)")
        var sessions: [JSONValue] = []
        _ = try eventually(timeout: 30) { sessions = try D.sessions(client, task: id); return !sessions.isEmpty }
        usleep(300_000)
        sessions = try D.sessions(client, task: id)
        #expect(sessions.count == 1, "\(sessions)")
        agent = sessions.first?["pid"]?.intValue.map(Int32.init)
        #expect(client.close() == 0)
    }

    // MARK: 2. A move then a start

    @Test func aMoveToDoneThenAStartNeverBothSucceed() throws {
        let go = D.goFile()
        let project = try D.project()
        var agent: Int32?
        defer { D.touch(go); D.stopDaemon(project); D.killAgent(agent); try? FileManager.default.removeItem(at: go) }
        let client = try D.client(project)
        try client.initialize()
        let id = try D.addTask(client, "Moved", script: D.waitingScript(go))
        client.send(Frames.request(1001, "task/move", ["task": .number(JSONNumber(id)), "section": "done"]))
        client.send(Frames.request(1002, "session/start", ["task": .number(JSONNumber(id))]))
        let move = client.waitForResponse(id: 1001)
        let start = client.waitForResponse(id: 1002)
        #expect(move != nil && start != nil)
        #expect(!(move?["result"] != nil && start?["result"] != nil), "both succeeded: \(String(describing: move)) \(String(describing: start))")
        if move?["result"] != nil { #expect(start?["error"]?["code"]?.intValue == Self.wrongState, "\(String(describing: start))") }
        if start?["result"] != nil { #expect(move?["error"]?["code"]?.intValue == Self.wrongState, "\(String(describing: move))") }
        let sessions = try D.sessions(client, task: id)
        agent = sessions.first?["pid"]?.intValue.map(Int32.init)
        let task = try D.task(client, id)
        #expect(!(task?["section"] == "done" && sessions.contains { $0["running"]?.boolValue == true }), "\(String(describing: task)) \(sessions)")
        #expect(client.close() == 0)
    }

    // MARK: 3. No descriptor per client

    @Test func theDaemonDoesNotLeakADescriptorPerClient() throws {
        let project = try D.project()
        defer { D.stopDaemon(project) }
        let pid = try Self.startDaemon(project)
        _ = try D.braid(project, ["status"])
        usleep(300_000)
        let before = Self.fdCount(pid)
        for _ in 0..<40 { #expect(try D.braid(project, ["status"]).status == 0) }
        var after = 0
        // The daemon notices each client's end by itself: poll until it has.
        _ = eventually(timeout: 10) { after = Self.fdCount(pid); return after <= before + 3 }
        #expect(after <= before + 3, "descriptors: \(before) before, \(after) after 40 clients")
    }

    // MARK: 4. The bridge ends with its input

    @Test func serveExitsPromptlyWhenItsInputEnds() throws {
        let project = try D.project()
        defer { D.stopDaemon(project) }
        let client = try D.client(project)
        try client.initialize()
        client.closeInput()
        let status = client.waitForExit(timeout: 10)
        #expect(status != nil, "braid serve still runs 10 s after its input ended")
        #expect(D.daemonPID(project) != nil, "the daemon lives on")
    }

    // MARK: 5. A client that never reads

    /// A connection to the daemon's socket that says initialize/initialized and then never reads.
    static func silentClient(_ project: ProjectFixture) throws -> Int32 {
        let path = project.root.appendingPathComponent(".braid/state/daemon.sock").path
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        #expect(fd >= 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            for (index, byte) in path.utf8.enumerated() where index < buffer.count - 1 { buffer[index] = byte }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        #expect(rc == 0, "connect: \(errno)")
        // A small receive buffer, so that the daemon's writes block soon.
        var size: Int32 = 4096
        _ = setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        for message in [Frames.request(1, "initialize", ["processId": .null, "capabilities": [:]]), Frames.notification("initialized", [:])] {
            let bytes = Frames.frame(message)
            _ = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress!, $0.count) }
        }
        return fd
    }

    @Test func aClientThatNeverReadsDoesNotGrowTheDaemon() throws {
        let project = try D.project()
        defer { D.stopDaemon(project) }
        let pid = try Self.startDaemon(project)
        let silent = try Self.silentClient(project)
        defer { Glibc.close(silent) }
        let client = try D.client(project)
        try client.initialize()
        #expect(eventually(timeout: 30) { (try? client.call("workspace/status")["clients"]?.intValue) == 2 })
        let id = try D.addTask(client, "Loud", script: "yes | head -c 60000000; echo done > work.txt")
        _ = try client.call("session/start", ["task": .number(JSONNumber(id))])
        var peak = 0
        let ended = try eventually(timeout: 300, interval: 0.1) {
            peak = max(peak, Self.rssKB(pid))
            return try D.sessions(client, task: id).first?["running"]?.boolValue == false
        }
        #expect(ended)
        peak = max(peak, Self.rssKB(pid))
        // Neither the silent client's queue (disconnected at 32 MiB) nor the end of the session (its log
        // is read from its last 2 MiB only) may hold the output in memory.
        #expect(peak < 120 * 1024, "the daemon's VmRSS reached \(peak) kB")
        client.kill9()
        let stop = try BackgroundProgram(BraidBinary.path, ["daemon", "stop"], directory: project.root, environment: D.environment)
        let status = stop.waitForExit(timeout: 60)
        #expect(status == 0, "braid daemon stop: \(String(describing: status)) \(stop.output)")
        if status == nil { stop.kill9(); kill(pid, SIGKILL) }
    }

    // MARK: 6. An old answer, a newer escalation

    @Test func anAnswerToAnOldEscalationIsNotAppliedToANewerOne() throws {
        let project = try D.escalationProject()
        defer { D.stopDaemon(project) }
        let client = try D.client(project)
        try client.initialize(capabilities: D.asksCapabilities)
        let flaky = try D.addTask(client, "Flaky", script: "echo try >> bad.txt")
        _ = try client.call("supervisor/run")
        let first = try D.escalationRequest(client, task: flaky)
        // The first question stays unanswered while the task escalates again.
        let retry = try D.braid(project, ["retry", "#\(flaky)"])
        #expect(retry.status == 0, "\(retry.stderr)")
        let run = try D.braid(project, ["run"])
        _ = run
        #expect(try eventually(timeout: 120, interval: 0.1) {
            let task = try D.task(client, flaky)
            let sessions = try D.sessions(client, task: flaky)
            let ended = sessions.count == 2 && sessions.allSatisfy { $0["running"]?.boolValue == false }
            return task?["section"] == "blocked" && ended
        })
        let worktree = try #require(try D.sessions(client, task: flaky).last?["worktree"]?.stringValue)
        client.respond(to: first, result: ["title": "Abandon"])
        // The second escalation is asked about (now or once the first question is answered).
        let second = client.waitForServerRequest("window/showMessageRequest", timeout: 30)
        #expect(second != nil, "the second escalation was never asked")
        #expect(client.waitForNotification("window/showMessage") { $0["message"]?.stringValue?.contains("decided meanwhile") == true } != nil)
        let task = try D.task(client, flaky)
        #expect(task?["section"] == "blocked")
        #expect(task?["blockedReason"]?.stringValue?.contains("abandoned") != true, "\(String(describing: task))")
        #expect(FileManager.default.fileExists(atPath: worktree))
        #expect(client.close() == 0)
    }

    // MARK: 7. Decisions while queued for merging

    @Test func abandonAndRetryOfATaskInTheMergeQueueAreRefused() throws {
        let hold = D.goFile()
        defer { try? FileManager.default.removeItem(at: hold) }
        // Fails while bad.txt is there; waits while `hold` exists (the merge queue is held).
        let project = try D.project(gate: """
            if [ -f bad.txt ]; then exit 1; fi
            i=0; while [ -f '\(hold.path)' ] && [ $i -lt 3000 ]; do i=$((i+1)); sleep 0.1; done
            exit 0
            """, config: ["maxRetries": "0", "maxSessions": "1"])
        defer { try? FileManager.default.removeItem(at: hold); D.stopDaemon(project) }
        let client = try D.client(project)
        try client.initialize()
        let good = try D.addTask(client, "Good", script: "echo good > good.txt")
        let bad = try D.addTask(client, "Bad", script: "echo bad > bad.txt")
        _ = try client.call("supervisor/run")
        try D.waitForSection(client, good, "review")
        try D.waitForSection(client, bad, "blocked")
        #expect(eventually(timeout: 60) { (try? client.call("workspace/status")["busyTasks"]?.arrayValue?.isEmpty) == true })
        D.touch(hold)
        _ = try client.call("merge/enqueue", ["tasks": [.number(JSONNumber(good)), .number(JSONNumber(bad))]])
        #expect(eventually(timeout: 60) {
            (try? client.call("merge/queue")["pending"]?.arrayValue?.contains { $0["task"]?.intValue == bad }) == true
        })
        #expect(client.errorCode("task/abandon", ["task": .number(JSONNumber(bad))]).code == Self.wrongState)
        #expect(client.errorCode("task/retry", ["task": .number(JSONNumber(bad))]).code == Self.wrongState)
        #expect(try client.call("merge/queue")["pending"]?.arrayValue?.contains { $0["task"]?.intValue == bad } == true)
        try? FileManager.default.removeItem(at: hold)
        #expect(client.close() == 0)
    }

    // MARK: 8. log -f and session/attach

    @Test func logFollowEndsWithTheSessionAndAttachArgvRuns() throws {
        let go = D.goFile()
        let project = try D.project()
        var agent: Int32?
        defer { D.touch(go); D.stopDaemon(project); D.killAgent(agent); try? FileManager.default.removeItem(at: go) }
        let client = try D.client(project)
        try client.initialize()
        let id = try D.addTask(client, "Followed", script: D.waitingScript(go))
        _ = try client.call("session/start", ["task": .number(JSONNumber(id))])
        agent = try D.waitForRunningSession(client, id)?["pid"]?.intValue.map(Int32.init)
        let follow = try BackgroundProgram(BraidBinary.path, ["log", "#\(id)", "-f"], directory: project.root, environment: D.environment)
        let attach = try client.call("session/attach", ["task": .number(JSONNumber(id))])
        let argv = (attach["argv"]?.arrayValue ?? []).compactMap { $0.stringValue }
        try #require(!argv.isEmpty)
        let cwd = try #require(attach["cwd"]?.stringValue)
        let rest = Array(argv.dropFirst())
        let attached = try BackgroundProgram(argv[0], rest, directory: URL(fileURLWithPath: cwd), environment: D.environment)
        #expect(follow.waitForOutput(containing: "tick 3"), "\(follow.output)")
        #expect(attached.waitForOutput(containing: "tick 3"), "\(attached.output)")
        D.touch(go)
        #expect(follow.waitForExit(timeout: 60) == 0, "\(follow.output)")
        #expect(attached.waitForExit(timeout: 60) == 0, "\(attached.output)")
        #expect(client.close() == 0)
    }

    // MARK: 9. task/add checks its references

    @Test func taskAddRefusesUnknownAfterAndFallback() throws {
        let project = try D.project()
        defer { D.stopDaemon(project) }
        let client = try D.client(project)
        try client.initialize()
        #expect(client.errorCode("task/add", ["title": "Waits", "after": [999]]).code == Self.invalidParams)
        #expect(client.errorCode("task/add", ["title": "Falls back", "fallback": ["nobody"]]).code == Self.invalidParams)
        #expect(try client.call("task/list")["tasks"]?.arrayValue?.isEmpty == true)
        #expect(client.close() == 0)
    }

    // MARK: 10. A gate outlived its daemon

    @Test func theNextDaemonEndsTheOldGateBeforeGatingAgain() throws {
        let probe = FileManager.default.temporaryDirectory.appendingPathComponent("braid-probe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: probe, withIntermediateDirectories: true)
        let p = probe.path
        // A lock folder (with its holder's pid, so that a killed holder's is taken over): a gate that
        // finds it held by a live gate says so in `overlap`.
        let project = try D.project(gate: """
            echo "$$" >> '\(p)/starts'
            if ! mkdir '\(p)/busy' 2>/dev/null; then
              holder=$(cat '\(p)/busy/pid' 2>/dev/null)
              state=$(sed 's/.*) //' "/proc/$holder/stat" 2>/dev/null | cut -c1)
              if [ -n "$state" ] && [ "$state" != Z ]; then echo overlap >> '\(p)/overlap'; exit 1; fi
            fi
            echo "$$" > '\(p)/busy/pid'
            i=0; while [ ! -f '\(p)/go' ] && [ $i -lt 3000 ]; do i=$((i+1)); sleep 0.1; done
            rm -rf '\(p)/busy'
            exit 0
            """)
        defer {
            D.touch(probe.appendingPathComponent("go"))
            D.stopDaemon(project)
            try? FileManager.default.removeItem(at: probe)
        }
        let client = try D.client(project)
        try client.initialize()
        let id = try D.addTask(client, "Gated", script: "echo work > work.txt")
        _ = try client.call("supervisor/run")
        let starts = probe.appendingPathComponent("starts")
        func gateRuns() -> [String] { ((try? String(contentsOf: starts, encoding: .utf8)) ?? "").split(separator: "\n").map(String.init) }
        #expect(eventually(timeout: 120) { gateRuns().count == 1 })
        client.kill9()
        project.killDaemon()
        let restarted = try D.client(project)
        try restarted.initialize()
        #expect(eventually(timeout: 120) { gateRuns().count == 2 }, "the task was not gated again")
        let first = gateRuns().first.flatMap { Int32($0) }
        #expect(!FileManager.default.fileExists(atPath: probe.appendingPathComponent("overlap").path), "two gates ran at once")
        #expect(first.map { !processIsRunning($0) } == true, "the old gate still runs")
        D.touch(probe.appendingPathComponent("go"))
        try D.waitForSection(restarted, id, "review")
        #expect(restarted.close() == 0)
    }

    // MARK: 11. A changed config

    @Test func aConfigChangedWhileIdleRestartsTheDaemonWithIt() throws {
        let project = try D.project()
        defer { D.stopDaemon(project) }
        _ = try Self.startDaemon(project)
        #expect(try D.braid(project, ["daemon", "status"]).status == 0)
        var config = try project.read(".braid/config.json")
        config = config.replacingOccurrences(of: "{\n", with: "{\n  \"maxSessions\": 7,\n")
        try project.write(".braid/config.json", config)
        let changed = Date()
        #expect(try eventually(timeout: 30, interval: 0.1) { try D.braid(project, ["daemon", "status"]).status == 3 })
        #expect(Date().timeIntervalSince(changed) < 5, "the daemon took \(Date().timeIntervalSince(changed)) s to exit")
        let client = try D.client(project)
        try client.initialize()
        #expect(try client.call("workspace/status")["maxSessions"] == 7)
        #expect(client.close() == 0)
    }
}
