import Foundation
import JSON

/// Reads and writes `.braid/config.json`.
///
/// Decoding is done by hand rather than with Codable so that every defect names its line and field
/// ("config.json:7: maxSessions: must be a whole number from 1 to 64"), and an unknown field is an
/// error with a suggestion: a typo must not silently fall back to a default.
public enum ConfigFile {
    public static let relativePath = ".braid/config.json"

    public static func load(from url: URL, displayName: String = relativePath) throws(ConfigError) -> BraidConfig {
        let text: String
        do {
            text = try String(contentsOf: url, encoding: .utf8)
        } catch {
            throw ConfigError(file: displayName, line: nil, field: "", message: "cannot read the file: \(error.localizedDescription)")
        }
        return try parse(text, displayName: displayName)
    }

    public static func parse(_ text: String, displayName: String = relativePath) throws(ConfigError) -> BraidConfig {
        let bytes = Array(text.utf8)
        let root: JSONValue
        do {
            root = try JSONParser.parse(bytes)
        } catch {
            throw ConfigError(file: displayName, line: FieldLocator.line(ofOffset: error.offset, in: bytes),
                              field: "", message: "invalid JSON: \(error.message)")
        }
        let reader = ConfigReader(locator: FieldLocator(bytes: bytes), file: displayName)
        return try reader.read(root)
    }

    /// The config as JSON: every field, sorted keys, two-space indent, final newline.
    public static func render(_ config: BraidConfig) -> String {
        var agents: [String: JSONValue] = [:]
        for (name, profile) in config.agents {
            var members: [String: JSONValue] = [:]
            if let command = profile.command { members["command"] = strings(command) }
            if !profile.extraArguments.isEmpty { members["extraArguments"] = strings(profile.extraArguments) }
            if !profile.environment.isEmpty { members["environment"] = .object(profile.environment.mapValues { .string($0) }) }
            agents[name] = .object(members)
        }
        let gate: [JSONValue] = config.gate.map { step in
            var members: [String: JSONValue] = ["name": .string(step.name)]
            switch step.command {
            case .argv(let argv): members["run"] = strings(argv)
            case .shell(let line):
                members["run"] = .string(line)
                members["shell"] = .bool(true)
            case .builtin(let builtin):
                members["run"] = .string(builtin.name)
                switch builtin {
                case .changelog(let file, let conventional):
                    members["file"] = .string(file)
                    members["conventionalCommits"] = .bool(conventional)
                case .docs(let requirements):
                    members["paths"] = .object(Dictionary(requirements.map { ($0.paths, .string($0.doc)) }) { first, _ in first })
                case .conventions(let files):
                    members["files"] = strings(files)
                case .secrets, .acceptance:
                    break
                }
            }
            if let timeout = step.timeoutSeconds { members["timeoutSeconds"] = .number(JSONNumber(timeout)) }
            return .object(members)
        }
        let root: JSONValue = .object([
            "board": .string(config.board),
            "baseBranch": .string(config.baseBranch),
            "maxSessions": .number(JSONNumber(config.maxSessions)),
            "maxRetries": .number(JSONNumber(config.maxRetries)),
            "defaultAgent": .string(config.defaultAgent),
            "fallback": strings(config.fallback),
            "agents": .object(agents),
            "gate": .array(gate),
            "stepTimeoutSeconds": .number(JSONNumber(config.stepTimeoutSeconds)),
            "sessionTimeoutSeconds": .number(JSONNumber(config.sessionTimeoutSeconds)),
            "stallTimeoutSeconds": .number(JSONNumber(config.stallTimeoutSeconds)),
            "worktreeRoot": .string(config.worktreeRoot),
            "symlink": strings(config.symlink),
            "copy": strings(config.copy),
            "mergeQueue": .object([
                "batch": .number(JSONNumber(config.mergeQueue.batch)),
                "strategy": .string(config.mergeQueue.strategy.rawValue),
                "auto": .bool(config.mergeQueue.auto),
                "removeWorktree": .bool(config.mergeQueue.removeWorktree),
                "deleteBranch": .bool(config.mergeQueue.deleteBranch),
            ]),
        ])
        var members = root.objectValue ?? [:]
        // Caps are written only when set: absent means no cap.
        if let cap = config.maxCostPerTaskUSD { members["maxCostPerTaskUSD"] = .number(JSONNumber(cap)) }
        if let cap = config.maxCostPerRunUSD { members["maxCostPerRunUSD"] = .number(JSONNumber(cap)) }
        return String(decoding: JSONWriter.encode(.object(members), pretty: true), as: UTF8.self) + "\n"
    }

    private static func strings(_ values: [String]) -> JSONValue { .array(values.map { .string($0) }) }
}
