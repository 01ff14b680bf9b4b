import BraidCore
import Foundation

/// `braid init [--test CMD] [--agent NAME]`: sets Braid up in the current repository.
enum InitCommand {
    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, options: ["--test", "--agent"])
        } catch {
            return Usage.fail("init: \(error)")
        }
        guard arguments.positionals.isEmpty else { return Usage.fail("init: takes no arguments besides --test and --agent") }
        let testCommand = arguments.value("--test")
        let agent = arguments.value("--agent")
        if let testCommand, testCommand.trimmingCharacters(in: .whitespaces).isEmpty { return Usage.fail("init: --test needs a command") }
        if let agent, agent.isEmpty { return Usage.fail("init: --agent needs a name") }
        do {
            let workspace = try Workspace.locate(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            let report = try workspace.initialize(testCommand: testCommand, agent: agent)
            var lines: [String] = []
            if report.createdConfig {
                lines.append("created \(ConfigFile.relativePath) (base branch \(report.config.baseBranch))")
            } else {
                let ignored = [testCommand.map { _ in "--test" }, agent.map { _ in "--agent" }].compactMap { $0 }
                lines.append("kept the existing \(ConfigFile.relativePath)"
                    + (ignored.isEmpty ? "" : " (\(ignored.joined(separator: " and ")) not applied: edit the config)"))
            }
            if let detection = report.detection {
                lines.append("detected \(detection.kind): gate runs `\(detection.testCommand.joined(separator: " "))`")
            } else if report.createdConfig && report.config.gate.isEmpty {
                lines.append("no test command detected: add one with `braid init --test CMD` or in the config's \"gate\"")
            }
            lines.append(report.createdBoard ? "created \(report.config.board)" : "kept the existing \(report.config.board)")
            print(lines.joined(separator: "\n"))
            return 0
        } catch {
            return Usage.fail("init: \(error)", code: 1)
        }
    }
}
