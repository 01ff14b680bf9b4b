import Foundation
import JSON

/// Reads an ended session's log (the agent's stdout and stderr, as text): the usage it reports,
/// and whether it stopped on a rate limit or an exhausted quota.
///
/// Every reader is lenient: a log that says nothing in the expected shape gives `AgentUsage.none`,
/// never an error. The format-specific reading comes first; the generic `cost: $0.12` line fills in
/// a cost the format left out.
public enum AgentOutputReader {
    /// How much of the log's end `isQuotaExhausted` reads: a tool gives up on a limit at the end,
    /// while earlier output may be the agent's own work on, say, a rate limiter.
    public static let quotaTailBytes = 4096

    public static func read(_ log: String, exitStatus: Int32, format: AgentOutputFormat) -> AgentOutput {
        AgentOutput(usage: usage(in: log, format: format),
                    quotaExhausted: isQuotaExhausted(log, exitStatus: exitStatus))
    }

    public static func usage(in log: String, format: AgentOutputFormat) -> AgentUsage {
        let specific: AgentUsage
        switch format {
        case .claudeJSON: specific = claudeUsage(in: log)
        case .codexJSONLines: specific = codexUsage(in: log)
        case .aider: specific = aiderUsage(in: log)
        case .generic: specific = .none
        }
        return specific.filling(from: AgentUsage(costUSD: genericCost(in: log)))
    }

    // MARK: Claude Code

    /// The last result object (`--output-format json` prints one; `stream-json` ends with one),
    /// or the whole log when it is one pretty-printed object.
    static func claudeUsage(in log: String) -> AgentUsage {
        for line in log.split(whereSeparator: \.isNewline).reversed() {
            let text = line.drop { $0.isWhitespace }
            guard text.hasPrefix("{"), text.contains("cost_usd") || text.contains("\"result\"") else { continue }
            if let object = try? JSONParser.parse(String(text)), let usage = claudeUsage(of: object) { return usage }
        }
        let whole = log.trimmingCharacters(in: .whitespacesAndNewlines)
        if whole.hasPrefix("{"), let object = try? JSONParser.parse(whole), let usage = claudeUsage(of: object) {
            return usage
        }
        return .none
    }

    private static func claudeUsage(of object: JSONValue) -> AgentUsage? {
        guard object.objectValue != nil else { return nil }
        let cost = object["total_cost_usd"]?.doubleValue ?? object["cost_usd"]?.doubleValue
        let usage = object["usage"]
        let found = AgentUsage(costUSD: cost, inputTokens: usage?["input_tokens"]?.intValue,
                               outputTokens: usage?["output_tokens"]?.intValue)
        return found.isEmpty && object["type"]?.stringValue != "result" ? nil : found
    }

    // MARK: Codex

    /// The sum of `turn.completed` events' usage (each is one turn's); without those, the last
    /// `token_count` event's running total (older releases, and session files).
    static func codexUsage(in log: String) -> AgentUsage {
        var turns: (input: Int, output: Int)?
        var lastTotal: AgentUsage?
        for line in log.split(whereSeparator: \.isNewline) {
            let text = line.drop { $0.isWhitespace }
            guard text.hasPrefix("{"), text.contains("usage") || text.contains("token_count") else { continue }
            guard let event = try? JSONParser.parse(String(text)) else { continue }
            if event["type"]?.stringValue == "turn.completed", let usage = event["usage"] {
                let input = usage["input_tokens"]?.intValue ?? 0
                let output = usage["output_tokens"]?.intValue ?? 0
                turns = ((turns?.input ?? 0) + input, (turns?.output ?? 0) + output)
                continue
            }
            // `{"type":"token_count",…}`, `{"msg":{"type":"token_count",…}}`, `{"payload":{…}}`.
            for body in [event, event["msg"], event["payload"]].compactMap({ $0 })
            where body["type"]?.stringValue == "token_count" {
                let counts = body["info"]?["total_token_usage"] ?? body
                let usage = AgentUsage(inputTokens: counts["input_tokens"]?.intValue,
                                       outputTokens: counts["output_tokens"]?.intValue)
                if !usage.isEmpty { lastTotal = usage }
            }
        }
        if let turns { return AgentUsage(inputTokens: turns.input, outputTokens: turns.output) }
        return lastTotal ?? .none
    }

    // MARK: Aider

    /// Aider prints `Tokens: 1.2k sent, 310 received. Cost: $0.01 message, $0.05 session.` after
    /// each exchange with the model: tokens add up over the lines, the last session cost is the
    /// session's.
    static func aiderUsage(in log: String) -> AgentUsage {
        var sent: Int?
        var received: Int?
        var sessionCost: Double?
        var messageCosts: Double?
        for line in log.split(whereSeparator: \.isNewline) {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            guard text.hasPrefix("Tokens:") else { continue }
            // Read as pairs of words: `1.2k sent,`, `310 received.`, `$0.05 session.`.
            let words = text.dropFirst("Tokens:".count).split(whereSeparator: \.isWhitespace)
            for (value, label) in zip(words, words.dropFirst()) {
                let label = label.trimmingCharacters(in: punctuation)
                let value = value.trimmingCharacters(in: punctuation)
                switch label {
                case "sent": if let count = tokenCount(value) { sent = (sent ?? 0) + count }
                case "received": if let count = tokenCount(value) { received = (received ?? 0) + count }
                case "session":
                    if value.hasPrefix("$"), let amount = dollars(value.dropFirst()) { sessionCost = amount }
                case "message":
                    if value.hasPrefix("$"), let amount = dollars(value.dropFirst()) { messageCosts = (messageCosts ?? 0) + amount }
                default: break
                }
            }
        }
        return AgentUsage(costUSD: sessionCost ?? messageCosts, inputTokens: sent, outputTokens: received)
    }

    /// `310`, `1.2k`, `12k`, `1.5M`, as Aider abbreviates them.
    static func tokenCount(_ text: String) -> Int? {
        var number = Substring(text)
        var scale = 1.0
        if number.hasSuffix("k") || number.hasSuffix("K") { scale = 1_000; number = number.dropLast() }
        else if number.hasSuffix("M") || number.hasSuffix("m") { scale = 1_000_000; number = number.dropLast() }
        guard !number.isEmpty, number.allSatisfy({ $0.isASCII && ($0.isNumber || $0 == "." || $0 == ",") }),
              let value = Double(number.filter { $0 != "," }) else { return nil }
        return Int((value * scale).rounded())
    }

    /// What ends a word in a sentence.
    private static let punctuation = CharacterSet(charactersIn: ".,;")

    // MARK: Generic

    /// The last `cost: $0.12` in the log, in any case (`Cost: $0.12`, `Total cost: $1,204.50`).
    static func genericCost(in log: String) -> Double? {
        for line in log.split(whereSeparator: \.isNewline).reversed() {
            let bytes = Array(line.utf8)
            guard bytes.count >= 7 else { continue }
            var i = bytes.count - 5
            while i >= 0 {
                defer { i -= 1 }
                guard matchesCostLabel(bytes, at: i) else { continue }
                var j = i + 5
                while j < bytes.count, bytes[j] == UInt8(ascii: " ") || bytes[j] == UInt8(ascii: "\t") { j += 1 }
                guard j < bytes.count, bytes[j] == UInt8(ascii: "$") else { continue }
                var end = j + 1
                while end < bytes.count, isAmountByte(bytes[end]) { end += 1 }
                if let amount = dollars(Substring(String(decoding: bytes[(j + 1)..<end], as: UTF8.self))) {
                    return amount
                }
            }
        }
        return nil
    }

    private static func matchesCostLabel(_ bytes: [UInt8], at i: Int) -> Bool {
        guard i + 5 <= bytes.count else { return false }
        let label: [UInt8] = Array("cost:".utf8)
        for k in 0..<5 {
            let b = bytes[i + k]
            let lowered = (b >= 0x41 && b <= 0x5A) ? b + 0x20 : b
            if lowered != label[k] { return false }
        }
        // A word of its own: `cost:`, not `accost:`.
        if i > 0, isLetter(bytes[i - 1]) { return false }
        return true
    }

    private static func isLetter(_ b: UInt8) -> Bool { (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) }
    private static func isAmountByte(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || b == UInt8(ascii: ".") || b == UInt8(ascii: ",") }

    /// `0.12`, `1,204.50`; a trailing sentence dot is not part of it.
    static func dollars(_ text: Substring) -> Double? {
        var digits = text.filter { $0 != "," }
        while digits.hasSuffix(".") { digits.removeLast() }
        guard !digits.isEmpty, digits.first?.isNumber == true, let value = Double(digits), value.isFinite else { return nil }
        return value
    }

    // MARK: Quota

    /// Whether a session that failed (non-zero exit) stopped on a rate limit, a usage limit, a used-up
    /// quota or credit, or an HTTP 429, going by the end of its log (`quotaTailBytes`), in any case.
    /// A session that exited 0 never did, whatever it printed.
    public static func isQuotaExhausted(_ log: String, exitStatus: Int32) -> Bool {
        guard exitStatus != 0 else { return false }
        let tail = Array(log.utf8.suffix(quotaTailBytes)).map { ($0 >= 0x41 && $0 <= 0x5A) ? $0 + 0x20 : $0 }
        let text = String(decoding: tail, as: UTF8.self)
        if quotaPhrases.contains(where: { text.contains($0) }) { return true }
        return mentionsHTTP429(tail)
    }

    /// Lowercased wordings of the tools and their providers (Anthropic, OpenAI, Google).
    static let quotaPhrases = [
        "rate limit", "rate-limit", "rate_limit", "ratelimit",
        "usage limit", "quota exceeded", "exceeded your current quota", "exceeded quota", "insufficient_quota",
        "resource_exhausted", "resource exhausted", "too many requests", "credit balance is too low",
    ]

    /// `429` as a status (`HTTP 429`, `status: 429`, `"code":429`, `API Error: 429`), not as any
    /// number that happens to be 429.
    private static func mentionsHTTP429(_ lowered: [UInt8]) -> Bool {
        let needle = Array("429".utf8)
        guard lowered.count >= 3 else { return false }
        for i in 0...(lowered.count - 3) where lowered[i..<(i + 3)].elementsEqual(needle) {
            if i > 0, isDigit(lowered[i - 1]) { continue }
            if i + 3 < lowered.count, isDigit(lowered[i + 3]) { continue }
            let before = String(decoding: lowered[max(0, i - 16)..<i], as: UTF8.self)
            if ["http", "status", "code"].contains(where: { before.contains($0) }) { return true }
            if before.hasSuffix("error: ") || before.hasSuffix("error ") { return true }
        }
        return false
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}
