import Foundation
import JSON

/// What Braid knows of a task's review: its risk, and (with a reviewer) the findings and what a
/// person decided about each. One file per task under `.braid/state/reviews/`.
public struct ReviewRecord: Sendable, Equatable {
    public enum Status: String, Sendable {
        /// No reviewer is configured: only the risk is known.
        case none
        /// The reviewer runs.
        case running
        /// Findings are in; a person decides (or `review.auto` let it through).
        case ready
        /// The reviewer failed, or printed nothing Braid could read (`error` says what).
        case failed
        /// Every finding has a decision.
        case adjudicated
    }

    public var task: Int
    public var status: Status
    /// The commit reviewed.
    public var commit: String?
    public var reviewer: String?
    public var session: String?
    public var log: String?
    public var error: String?
    public var findings: [ReviewFinding]
    public var risk: RiskScore?
    public var at: Date

    public init(task: Int, status: Status, commit: String? = nil, reviewer: String? = nil, session: String? = nil, log: String? = nil,
                error: String? = nil, findings: [ReviewFinding] = [], risk: RiskScore? = nil, at: Date = Date()) {
        self.task = task
        self.status = status
        self.commit = commit
        self.reviewer = reviewer
        self.session = session
        self.log = log
        self.error = error
        self.findings = findings
        self.risk = risk
        self.at = at
    }

    /// Findings no person has decided yet.
    public var undecided: [ReviewFinding] { findings.filter { $0.decision == nil } }
    public var kept: [ReviewFinding] { findings.filter { $0.decision?.keep == true } }

    /// One line for boards and status tables.
    public var summary: String {
        switch status {
        case .none: return ""
        case .running: return "reviewing"
        case .failed: return "review failed"
        case .ready, .adjudicated:
            guard !findings.isEmpty else { return "review: no findings" }
            let worst = findings.map(\.severity).max() ?? .info
            let open = undecided.count
            return "review: \(findings.count) finding\(findings.count == 1 ? "" : "s") (worst \(worst.rawValue))"
                + (open > 0 ? ", \(open) to decide" : ", \(kept.count) kept")
        }
    }

    public var json: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            "task": .number(JSONNumber(task)), "status": .string(status.rawValue), "commit": optional(commit),
            "reviewer": optional(reviewer), "session": optional(session), "log": optional(log), "error": optional(error),
            "findings": .array(findings.map(\.json)), "risk": risk?.json ?? .null,
            "at": .string(ISO8601DateFormatter().string(from: at)), "summary": .string(summary),
        ])
    }

    init?(json: JSONValue) {
        guard let task = json["task"]?.intValue, let status = json["status"]?.stringValue.flatMap(Status.init(rawValue:)) else { return nil }
        self.init(task: task, status: status, commit: json["commit"]?.stringValue, reviewer: json["reviewer"]?.stringValue,
                  session: json["session"]?.stringValue, log: json["log"]?.stringValue, error: json["error"]?.stringValue,
                  findings: json["findings"]?.arrayValue?.compactMap(ReviewFinding.init(json:)) ?? [],
                  risk: json["risk"].flatMap(RiskScore.init(json:)),
                  at: json["at"]?.stringValue.flatMap { ISO8601DateFormatter().date(from: $0) } ?? Date())
    }
}
