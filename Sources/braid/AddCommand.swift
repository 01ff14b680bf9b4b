import BraidCore
import JSON

/// `braid add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N] [--json]`
enum AddCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, options: ["--body", "--agent", "--touches", "--after", "--priority"], flags: ["--json"])
        } catch {
            return Usage.fail("add: \(error)")
        }
        guard arguments.positionals.count == 1, let title = arguments.positionals.first else {
            return Usage.fail("add: usage: braid add TITLE [--body TEXT] [--agent NAME] [--touches GLOBS] [--after #N] [--priority N]")
        }
        var fields: [BoardField: String] = [:]
        if let agent = arguments.value("--agent") { fields[.agent] = agent }
        if let touches = arguments.value("--touches") { fields[.touches] = touches }
        if let priority = arguments.value("--priority") { fields[.priority] = priority }
        if let after = arguments.value("--after") {
            let ids = after.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            guard !ids.isEmpty, ids.allSatisfy({ Arguments.taskID($0) != nil }) else {
                return Usage.fail("add: --after needs task ids like #11 or #11,#12")
            }
            fields[.after] = ids.compactMap(Arguments.taskID).map { "#\($0)" }.joined(separator: ", ")
        }
        do {
            let context = try CommandContext.load()
            let id = try context.boardStore.update { board in
                try board.add(title: title, body: arguments.value("--body") ?? "", fields: fields, to: .todo)
            }
            if arguments.has("--json") {
                printJSON(["id": .number(JSONNumber(id)), "title": .string(title), "section": "todo"])
            } else {
                print("added #\(id) \(title)")
            }
            return 0
        } catch {
            return Usage.fail("add: \(error)", code: 1)
        }
    }
}
