import BraidCore
import JSON

/// `braid add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N] [--json]`
enum AddCommand {
    static func run(_ argv: [String]) async -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, options: ["--body", "--agent", "--touches", "--after", "--priority"], flags: ["--json"])
        } catch {
            return Usage.fail("add: \(error)")
        }
        guard arguments.positionals.count == 1, let title = arguments.positionals.first else {
            return Usage.fail("add: usage: braid add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N]")
        }
        var params: [String: JSONValue] = ["title": .string(title)]
        if let body = arguments.value("--body") { params["body"] = .string(body) }
        if let agent = arguments.value("--agent") { params["agent"] = .string(agent) }
        if let touches = arguments.value("--touches") {
            params["touches"] = .array(touches.split(separator: ",").map { .string($0.trimmingCharacters(in: .whitespaces)) })
        }
        if let priority = arguments.value("--priority") {
            guard let value = Int(priority) else { return Usage.fail("add: --priority needs an integer") }
            params["priority"] = .number(JSONNumber(value))
        }
        if let after = arguments.value("--after") {
            let ids = after.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !ids.isEmpty, ids.allSatisfy({ Arguments.taskID($0) != nil }) else {
                return Usage.fail("add: --after needs task ids like #11 or #11,#12")
            }
            params["after"] = .array(ids.compactMap(Arguments.taskID).map { .number(JSONNumber($0)) })
        }
        return await ClientCommand.run("add") { client, _ in
            let task = try await client.call("task/add", .object(params))
            if arguments.has("--json") {
                printJSON(["id": task["id"] ?? .null, "title": task["title"] ?? .null, "section": task["section"] ?? .null])
            } else {
                print("added #\(task.int("id")) \(task.string("title") ?? title)")
            }
            return 0
        }
    }
}
