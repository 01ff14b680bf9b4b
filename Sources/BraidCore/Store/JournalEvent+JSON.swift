import Foundation
import JSON

/// The journal's line format: one JSON object per line, `{"v":1,"kind":"…",…}`, then the event's
/// fields with sorted keys; absent optionals are left out. Times are seconds since 1970 as a JSON
/// number (about a microsecond of precision).
///
/// Written with the in-house `JSONWriter` and read with `JSONParser` rather than Codable: a gate's
/// result is opaque and must read back exactly as written (numbers keep their text), and it is
/// faster (see `JournalBenchmark`).
extension JournalEvent {
    /// Why a line is not an event this Braid can read.
    public enum DecodeError: Error, Sendable, Equatable, CustomStringConvertible {
        /// Not JSON, not an object, or a field missing or of the wrong type.
        case invalid(String)
        /// A well-formed line of this format whose kind this Braid does not know.
        case unknownKind(String)
        /// A line in a newer format than `formatVersion`.
        case newerFormat(version: Int)

        public var description: String {
            switch self {
            case .invalid(let reason): return reason
            case .unknownKind(let kind): return "unknown event kind '\(kind)'"
            case .newerFormat(let version): return "journal format v\(version), newer than v\(JournalEvent.formatVersion)"
            }
        }
    }

    /// The event's line, ending with a newline. A string's own newlines are escaped, so one event
    /// is always one line.
    public func encodedLine() -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(320)
        out.append(contentsOf: #"{"v":\#(Self.formatVersion),"kind":"#.utf8)
        JSONWriter.writeString(kind, into: &out)
        let members = fields
        for key in members.keys.sorted() {
            out.append(UInt8(ascii: ","))
            JSONWriter.writeString(key, into: &out)
            out.append(UInt8(ascii: ":"))
            // The key came from the dictionary itself, so the lookup cannot miss.
            JSONWriter.write(members[key] ?? .null, into: &out)
        }
        out.append(contentsOf: "}\n".utf8)
        return out
    }

    /// The event as one JSON object, `v` and `kind` included.
    public var json: JSONValue {
        var members = fields
        members["v"] = .number(JSONNumber(Self.formatVersion))
        members["kind"] = .string(kind)
        return .object(members)
    }

    /// Reads one line, without its newline.
    public init(line: some Collection<UInt8>) throws(DecodeError) {
        let value: JSONValue
        do {
            value = try JSONParser.parse(Array(line))
        } catch {
            throw .invalid("not JSON: \(error)")
        }
        try self.init(json: value)
    }

    public init(json: JSONValue) throws(DecodeError) {
        guard case .object(let members) = json else { throw .invalid("not a JSON object") }
        guard let versionValue = members["v"] else { throw .invalid("no format version 'v'") }
        guard let version = versionValue.intValue, version >= 1 else {
            throw .invalid("format version 'v' must be a positive integer, found \(versionValue)")
        }
        if version > Self.formatVersion { throw .newerFormat(version: version) }
        guard let kind = members["kind"]?.stringValue else { throw .invalid("no event kind 'kind'") }
        let f = Fields(members, context: kind)
        switch kind {
        case "sessionStarted":
            self = .sessionStarted(task: try f.int("task"), session: try f.string("session"), agent: try f.string("agent"),
                                   attempt: try f.int("attempt"), pid: try f.int32("pid"),
                                   worktree: try f.string("worktree"), branch: try f.string("branch"),
                                   startCommit: try f.string("startCommit"), log: try f.string("log"),
                                   at: try f.date("at"))
        case "sessionEnded":
            self = .sessionEnded(session: try f.string("session"), exitCode: try f.optionalInt32("exitCode"),
                                 signal: try f.optionalInt32("signal"),
                                 reason: SessionEndReason(rawValue: try f.string("reason")),
                                 changedFiles: try f.bool("changedFiles"), commit: try f.optionalString("commit"),
                                 costUSD: try f.optionalDouble("costUSD"), at: try f.date("at"))
        case "gateFinished":
            self = .gateFinished(task: try f.int("task"), session: try f.string("session"), passed: try f.bool("passed"),
                                 failedStep: try f.optionalString("failedStep"), result: try f.value("result"),
                                 at: try f.date("at"))
        case "taskOutcome":
            self = .taskOutcome(task: try f.int("task"), outcome: TaskOutcome(rawValue: try f.string("outcome")),
                                detail: try f.optionalString("detail"), agent: try f.optionalString("agent"),
                                at: try f.date("at"))
        case "mergeDecision":
            self = .mergeDecision(task: try f.int("task"), seq: try f.int("seq"), landed: try f.bool("landed"),
                                  reason: try f.optionalString("reason"), commit: try f.optionalString("commit"), detail: try f.string("detail"),
                                  agent: try f.string("agent"), at: try f.date("at"))
        case "taskSnapshot":
            let sessions = try f.objects("sessions").map { (s) throws(DecodeError) in try SessionRecord(s) }
            self = .taskSnapshot(try TaskRecord(try f.object("task"), sessions: sessions.map(\.id)), sessions: sessions)
        default:
            throw .unknownKind(kind)
        }
    }

    /// The event's own fields, without `v` and `kind`.
    private var fields: [String: JSONValue] {
        var m: [String: JSONValue] = [:]
        switch self {
        case let .sessionStarted(task, session, agent, attempt, pid, worktree, branch, startCommit, log, at):
            m = ["task": .int(task), "session": .string(session), "agent": .string(agent), "attempt": .int(attempt),
                 "pid": .int(Int(pid)), "worktree": .string(worktree), "branch": .string(branch),
                 "startCommit": .string(startCommit), "log": .string(log), "at": .date(at)]
        case let .sessionEnded(session, exitCode, signal, reason, changedFiles, commit, costUSD, at):
            m = ["session": .string(session), "reason": .string(reason.rawValue), "changedFiles": .bool(changedFiles),
                 "at": .date(at)]
            m["exitCode"] = exitCode.map { .int(Int($0)) }
            m["signal"] = signal.map { .int(Int($0)) }
            m["commit"] = commit.map(JSONValue.string)
            m["costUSD"] = costUSD.map(JSONValue.double)
        case let .gateFinished(task, session, passed, failedStep, result, at):
            m = ["task": .int(task), "session": .string(session), "passed": .bool(passed), "result": result, "at": .date(at)]
            m["failedStep"] = failedStep.map(JSONValue.string)
        case let .taskOutcome(task, outcome, detail, agent, at):
            m = ["task": .int(task), "outcome": .string(outcome.rawValue), "at": .date(at)]
            m["detail"] = detail.map(JSONValue.string)
            m["agent"] = agent.map(JSONValue.string)
        case let .mergeDecision(task, seq, landed, reason, commit, detail, agent, at):
            m = ["task": .int(task), "seq": .int(seq), "landed": .bool(landed), "detail": .string(detail),
                 "agent": .string(agent), "at": .date(at)]
            m["reason"] = reason.map(JSONValue.string)
            m["commit"] = commit.map(JSONValue.string)
        case let .taskSnapshot(task, sessions):
            m = ["task": task.json, "sessions": .array(sessions.map(\.json))]
        }
        return m
    }
}

// The records of a `taskSnapshot`. A task's session ids are not written: they are the order of the
// snapshot's sessions.
extension TaskRecord {
    fileprivate var json: JSONValue {
        var m: [String: JSONValue] = ["id": .int(id), "attempts": .int(attempts), "epoch": .int(epoch)]
        m["agent"] = agent.map(JSONValue.string)
        m["lastGate"] = lastGate.map { gate in
            var g: [String: JSONValue] = ["session": .string(gate.session), "passed": .bool(gate.passed),
                                          "result": gate.result, "at": .date(gate.at)]
            g["failedStep"] = gate.failedStep.map(JSONValue.string)
            return .object(g)
        }
        m["escalation"] = escalation.map(JSONValue.string)
        m["outcome"] = outcome.map { .string($0.rawValue) }
        m["outcomeDetail"] = outcomeDetail.map(JSONValue.string)
        m["outcomeAt"] = outcomeAt.map(JSONValue.date)
        if mergeSeq > 0 { m["mergeSeq"] = .int(mergeSeq) }
        if !tallies.isEmpty { m["tallies"] = .object(tallies.mapValues(\.json)) }
        m["firstStartedAt"] = firstStartedAt.map(JSONValue.date)
        m["doneAt"] = doneAt.map(JSONValue.date)
        m["landedCommit"] = landedCommit.map(JSONValue.string)
        return .object(m)
    }

    fileprivate init(_ f: Fields, sessions: [String]) throws(JournalEvent.DecodeError) {
        var lastGate: Gate?
        if f.has("lastGate") {
            let g = try f.object("lastGate")
            lastGate = Gate(session: try g.string("session"), passed: try g.bool("passed"),
                            failedStep: try g.optionalString("failedStep"), result: try g.value("result"),
                            at: try g.date("at"))
        }
        self.init(id: try f.int("id"), attempts: try f.int("attempts"), agent: try f.optionalString("agent"),
                  lastGate: lastGate, escalation: try f.optionalString("escalation"),
                  outcome: try f.optionalString("outcome").map(TaskOutcome.init(rawValue:)),
                  outcomeDetail: try f.optionalString("outcomeDetail"), outcomeAt: try f.optionalDate("outcomeAt"),
                  sessions: sessions, epoch: try f.int("epoch"))
        mergeSeq = f.has("mergeSeq") ? try f.int("mergeSeq") : 0
        firstStartedAt = try f.optionalDate("firstStartedAt")
        doneAt = try f.optionalDate("doneAt")
        landedCommit = try f.optionalString("landedCommit")
        if f.has("tallies") {
            let object = try f.object("tallies")
            for agent in object.members.keys.sorted() { tallies[agent] = try Tally(try object.object(agent)) }
        }
    }
}

extension TaskRecord.Tally {
    /// Each counter with its key in the journal (a computed list: key paths are not `Sendable`).
    private static var counters: [(String, WritableKeyPath<Self, Int>)] {
        [("sessions", \.sessions), ("gateCatches", \.gateCatches), ("mergeGateCatches", \.mergeGateCatches),
         ("mergeConflicts", \.mergeConflicts), ("staleBaseCatches", \.staleBaseCatches), ("retries", \.retries),
         ("escalations", \.escalations), ("reassignedAway", \.reassignedAway), ("completed", \.completed)]
    }

    fileprivate var json: JSONValue {
        var m: [String: JSONValue] = [:]
        for (key, path) in Self.counters where self[keyPath: path] != 0 { m[key] = .int(self[keyPath: path]) }
        if costUSD != 0 { m["costUSD"] = .double(costUSD) }
        return .object(m)
    }

    fileprivate init(_ f: Fields) throws(JournalEvent.DecodeError) {
        self.init()
        for (key, path) in Self.counters where f.has(key) { self[keyPath: path] = try f.int(key) }
        if f.has("costUSD") { costUSD = try f.optionalDouble("costUSD") ?? 0 }
    }
}

extension SessionRecord {
    fileprivate var json: JSONValue {
        var m: [String: JSONValue] = [
            "id": .string(id), "task": .int(task), "agent": .string(agent), "attempt": .int(attempt),
            "pid": .int(Int(pid)), "worktree": .string(worktree), "branch": .string(branch),
            "startCommit": .string(startCommit), "log": .string(log), "startedAt": .date(startedAt),
            "verdict": .string(verdict.rawValue), "epoch": .int(epoch),
        ]
        m["end"] = end.map { end in
            var e: [String: JSONValue] = ["reason": .string(end.reason.rawValue), "changedFiles": .bool(end.changedFiles),
                                          "at": .date(end.at)]
            e["exitCode"] = end.exitCode.map { .int(Int($0)) }
            e["signal"] = end.signal.map { .int(Int($0)) }
            e["commit"] = end.commit.map(JSONValue.string)
            e["costUSD"] = end.costUSD.map(JSONValue.double)
            return .object(e)
        }
        return .object(m)
    }

    fileprivate init(_ f: Fields) throws(JournalEvent.DecodeError) {
        var end: End?
        if f.has("end") {
            let e = try f.object("end")
            end = End(exitCode: try e.optionalInt32("exitCode"), signal: try e.optionalInt32("signal"),
                      reason: SessionEndReason(rawValue: try e.string("reason")), changedFiles: try e.bool("changedFiles"),
                      commit: try e.optionalString("commit"), costUSD: try e.optionalDouble("costUSD"),
                      at: try e.date("at"))
        }
        let verdictText = try f.string("verdict")
        guard let verdict = Verdict(rawValue: verdictText) else {
            throw .invalid("\(f.context): unknown verdict '\(verdictText)'")
        }
        self.init(id: try f.string("id"), task: try f.int("task"), agent: try f.string("agent"),
                  attempt: try f.int("attempt"), pid: try f.int32("pid"), worktree: try f.string("worktree"),
                  branch: try f.string("branch"), startCommit: try f.string("startCommit"), log: try f.string("log"),
                  startedAt: try f.date("startedAt"), end: end, verdict: verdict, epoch: try f.int("epoch"))
    }
}

extension JSONValue {
    fileprivate static func int(_ value: Int) -> JSONValue { .number(JSONNumber(value)) }
    fileprivate static func double(_ value: Double) -> JSONValue { .number(JSONNumber(value)) }
    fileprivate static func date(_ value: Date) -> JSONValue { .number(JSONNumber(value.timeIntervalSince1970)) }
}

/// Typed reads of an object's members, each failure naming the event kind and the field.
private struct Fields {
    let members: [String: JSONValue]
    /// "sessionStarted", or "taskSnapshot.sessions[2]" inside a snapshot.
    let context: String

    init(_ members: [String: JSONValue], context: String) {
        self.members = members
        self.context = context
    }

    func has(_ key: String) -> Bool {
        if let value = members[key], value != .null { return true }
        return false
    }

    func value(_ key: String) throws(JournalEvent.DecodeError) -> JSONValue {
        guard let value = members[key] else { throw .invalid("\(context): field '\(key)' is missing") }
        return value
    }

    private func wrongType(_ key: String, _ expected: String, _ found: JSONValue) -> JournalEvent.DecodeError {
        let text = found.description
        let shown = text.count > 60 ? text.prefix(60) + "…" : Substring(text)
        return .invalid("\(context): field '\(key)' must be \(expected), found \(shown)")
    }

    func string(_ key: String) throws(JournalEvent.DecodeError) -> String {
        let v = try value(key)
        guard let s = v.stringValue else { throw wrongType(key, "a string", v) }
        return s
    }

    func optionalString(_ key: String) throws(JournalEvent.DecodeError) -> String? {
        has(key) ? try string(key) : nil
    }

    func int(_ key: String) throws(JournalEvent.DecodeError) -> Int {
        let v = try value(key)
        guard let i = v.intValue else { throw wrongType(key, "an integer", v) }
        return i
    }

    func int32(_ key: String) throws(JournalEvent.DecodeError) -> Int32 {
        let v = try value(key)
        guard let i = v.intValue, let narrow = Int32(exactly: i) else { throw wrongType(key, "a 32-bit integer", v) }
        return narrow
    }

    func optionalInt32(_ key: String) throws(JournalEvent.DecodeError) -> Int32? {
        has(key) ? try int32(key) : nil
    }

    func bool(_ key: String) throws(JournalEvent.DecodeError) -> Bool {
        let v = try value(key)
        guard let b = v.boolValue else { throw wrongType(key, "true or false", v) }
        return b
    }

    func optionalDouble(_ key: String) throws(JournalEvent.DecodeError) -> Double? {
        guard has(key) else { return nil }
        let v = try value(key)
        guard let d = v.doubleValue, d.isFinite else { throw wrongType(key, "a number", v) }
        return d
    }

    func date(_ key: String) throws(JournalEvent.DecodeError) -> Date {
        let v = try value(key)
        guard let seconds = v.doubleValue, seconds.isFinite else { throw wrongType(key, "seconds since 1970", v) }
        return Date(timeIntervalSince1970: seconds)
    }

    func optionalDate(_ key: String) throws(JournalEvent.DecodeError) -> Date? {
        has(key) ? try date(key) : nil
    }

    func object(_ key: String) throws(JournalEvent.DecodeError) -> Fields {
        let v = try value(key)
        guard let o = v.objectValue else { throw wrongType(key, "an object", v) }
        return Fields(o, context: "\(context).\(key)")
    }

    func objects(_ key: String) throws(JournalEvent.DecodeError) -> [Fields] {
        let v = try value(key)
        guard let elements = v.arrayValue else { throw wrongType(key, "an array", v) }
        var out: [Fields] = []
        for (i, element) in elements.enumerated() {
            guard let o = element.objectValue else { throw wrongType("\(key)[\(i)]", "an object", element) }
            out.append(Fields(o, context: "\(context).\(key)[\(i)]"))
        }
        return out
    }
}
