import BraidCore
import Foundation
import JSON

/// `braid review #N [--keep 1,2] [--overrule 3] [--reason TEXT] [--again] [--json]`: a task's review
/// findings, and a person's decision about each (keep: it goes back to the builder; overrule: it
/// does not). Without a decision it shows the findings.
enum ReviewCommand {
    static func run(_ argv: [String]) async -> Int32 {
        guard let (id, arguments) = TaskCommands.parse("review", argv, options: ["--keep", "--overrule", "--reason"],
                                                       flags: ["--again", "--json"]) else { return 2 }
        func numbers(_ option: String) -> [Int]? {
            guard let text = arguments.value(option) else { return [] }
            let parts = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let values = parts.compactMap { Int($0) }
            return values.count == parts.count && !values.isEmpty ? values : nil
        }
        guard let keep = numbers("--keep"), let overrule = numbers("--overrule") else {
            return Usage.fail("review: --keep and --overrule take finding numbers like 1,3")
        }
        let deciding = !keep.isEmpty || !overrule.isEmpty
        if deciding && (arguments.value("--reason") ?? "").isEmpty {
            return Usage.fail("review: a decision needs --reason TEXT")
        }
        if !Set(keep).isDisjoint(with: overrule) { return Usage.fail("review: a finding is either kept or overruled, not both") }
        return await ClientCommand.run("review") { client, _ in
            let task = JSONValue.number(JSONNumber(id))
            if arguments.has("--again") {
                _ = try await client.call("review/run", ["task": task])
                print("#\(id): reviewing again")
                return 0
            }
            var record: JSONValue
            if deciding {
                let reason = JSONValue.string(arguments.value("--reason") ?? "")
                let decisions = keep.map { JSONValue.object(["finding": .number(JSONNumber($0)), "keep": true, "reason": reason]) }
                    + overrule.map { JSONValue.object(["finding": .number(JSONNumber($0)), "keep": false, "reason": reason]) }
                record = try await client.call("review/adjudicate", ["task": task, "decisions": .array(decisions)])
            } else {
                record = try await client.call("review/findings", ["task": task])
            }
            ClientCommand.output(record, json: arguments.has("--json")) { render(id, $0) }
            return 0
        }
    }

    static func render(_ id: Int, _ record: JSONValue) -> String {
        var lines: [String] = []
        let status = record.string("status") ?? "?"
        var head = "#\(id) review: \(status)"
        if let reviewer = record.string("reviewer") { head += " (\(reviewer))" }
        if let risk = record["risk"], risk != .null {
            head += "; risk \(risk.int("score")) \(risk.string("level") ?? "")"
        }
        lines.append(head)
        for reason in record["risk"]?["reasons"]?.arrayValue ?? [] { lines.append("  risk: \(reason.stringValue ?? "")") }
        if let error = record.string("error") { lines.append("  error: \(error)") }
        for finding in record["findings"]?.arrayValue ?? [] {
            var place = finding.string("file") ?? ""
            if let line = finding["line"]?.intValue { place += ":\(line)" }
            var decided = "undecided"
            if let decision = finding["decision"], decision != .null {
                decided = (decision["keep"]?.boolValue == true ? "kept" : "overruled") + ": " + (decision.string("reason") ?? "")
            }
            lines.append("\(finding.int("id")). [\(finding.string("severity") ?? "?")] \(place.isEmpty ? "" : place + " ")\(finding.string("message") ?? "")")
            if let fix = finding.string("suggestedFix") { lines.append("   fix: \(fix)") }
            lines.append("   \(decided)")
        }
        if (record["findings"]?.arrayValue ?? []).isEmpty && status != "running" && status != "failed" { lines.append("no findings") }
        return lines.joined(separator: "\n")
    }
}
