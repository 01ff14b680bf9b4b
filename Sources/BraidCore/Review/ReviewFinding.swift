import JSON

/// One thing the reviewer found, and what a person decided about it.
public struct ReviewFinding: Sendable, Equatable {
    /// 1-based, in the reviewer's order: what people and clients name it by.
    public var id: Int
    public var file: String?
    public var line: Int?
    public var severity: ReviewSeverity
    public var message: String
    public var suggestedFix: String?
    /// Nil until a person adjudicates it.
    public var decision: Decision?

    public struct Decision: Sendable, Equatable {
        /// Kept: it goes back to the builder. Overruled: it does not, and does not block.
        public var keep: Bool
        public var reason: String

        public init(keep: Bool, reason: String) {
            self.keep = keep
            self.reason = reason
        }
    }

    public init(id: Int, file: String?, line: Int?, severity: ReviewSeverity, message: String, suggestedFix: String?,
                decision: Decision? = nil) {
        self.id = id
        self.file = file
        self.line = line
        self.severity = severity
        self.message = message
        self.suggestedFix = suggestedFix
        self.decision = decision
    }

    public var json: JSONValue {
        func optional(_ value: String?) -> JSONValue { value.map { .string($0) } ?? .null }
        return .object([
            "id": .number(JSONNumber(id)), "file": optional(file), "line": line.map { .number(JSONNumber($0)) } ?? .null,
            "severity": .string(severity.rawValue), "message": .string(message), "suggestedFix": optional(suggestedFix),
            "decision": decision.map { .object(["keep": .bool($0.keep), "reason": .string($0.reason)]) } ?? .null,
        ])
    }

    init?(json: JSONValue) {
        guard let id = json["id"]?.intValue, let message = json["message"]?.stringValue,
              let severity = json["severity"]?.stringValue.flatMap(ReviewSeverity.init(rawValue:)) else { return nil }
        self.init(id: id, file: json["file"]?.stringValue, line: json["line"]?.intValue, severity: severity, message: message,
                  suggestedFix: json["suggestedFix"]?.stringValue)
        if let decision = json["decision"], let keep = decision["keep"]?.boolValue {
            self.decision = Decision(keep: keep, reason: decision["reason"]?.stringValue ?? "")
        }
    }

    /// As the builder's next prompt shows it.
    public var promptText: String {
        var text = "- [\(severity.rawValue)]"
        if let file { text += " \(file)" + (line.map { ":\($0)" } ?? "") + ":" }
        text += " \(message)"
        if let suggestedFix, !suggestedFix.isEmpty { text += "\n  Suggested fix: \(suggestedFix)" }
        if let decision, !decision.reason.isEmpty { text += "\n  The person who kept it said: \(decision.reason)" }
        return text
    }
}
