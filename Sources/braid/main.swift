#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation

/// Entry point: `braid <command> [args]`. Each command is its own type; this file only routes.
let arguments = Array(CommandLine.arguments.dropFirst())
let exitCode: Int32
// `braid COMMAND --help` (and `braid help COMMAND`): that command's usage, on stdout.
let helpAsked = arguments.dropFirst().contains { $0 == "--help" || $0 == "-h" }
if let command = arguments.first, command != "help", helpAsked {
    guard let help = Usage.help(for: command) else {
        exit(Usage.fail("unknown command '\(command)'" + Usage.suggestion(for: command, among: Usage.commands)))
    }
    print(help)
    exit(0)
}
if arguments.first == "help", arguments.count == 2 {
    guard let help = Usage.help(for: arguments[1]) else {
        exit(Usage.fail("unknown command '\(arguments[1])'" + Usage.suggestion(for: arguments[1], among: Usage.commands)))
    }
    print(help)
    exit(0)
}
switch arguments.first {
case "serve"?:
    exitCode = await ServeCommand.run(Array(arguments.dropFirst()))
case "call"?:
    exitCode = await CallCommand.run(Array(arguments.dropFirst()))
case "init"?:
    exitCode = InitCommand.run(Array(arguments.dropFirst()))
case "add"?:
    exitCode = await AddCommand.run(Array(arguments.dropFirst()))
case "status"?:
    exitCode = await StatusCommand.run(Array(arguments.dropFirst()))
case "worktree"?:
    exitCode = await WorktreeCommand.run(Array(arguments.dropFirst()))
case "run"?:
    exitCode = await RunCommand.run(Array(arguments.dropFirst()))
case "log"?:
    exitCode = await TaskCommands.log(Array(arguments.dropFirst()))
case "retry"?:
    exitCode = await TaskCommands.retry(Array(arguments.dropFirst()))
case "reassign"?:
    exitCode = await TaskCommands.reassign(Array(arguments.dropFirst()))
case "abandon"?:
    exitCode = await TaskCommands.abandon(Array(arguments.dropFirst()))
case "demo"?:
    exitCode = await DemoCommand.run(Array(arguments.dropFirst()))
case "diff"?:
    exitCode = await DiffCommand.run(Array(arguments.dropFirst()))
case "metrics"?:
    exitCode = await MetricsCommand.run(Array(arguments.dropFirst()))
case "merge"?:
    exitCode = await MergeCommand.run(Array(arguments.dropFirst()))
case "approve"?:
    exitCode = await TaskCommands.approve(Array(arguments.dropFirst()))
case "reject"?:
    exitCode = await TaskCommands.reject(Array(arguments.dropFirst()))
case "review"?:
    exitCode = await ReviewCommand.run(Array(arguments.dropFirst()))
case "watch"?:
    exitCode = await WatchCommand.run(Array(arguments.dropFirst()))
case "daemon"?:
    exitCode = await DaemonCommand.run(Array(arguments.dropFirst()))
case "secrets"?:
    exitCode = SecretsCommand.run(Array(arguments.dropFirst()))
case "cancel"?:
    exitCode = await TaskCommands.cancel(Array(arguments.dropFirst()))
case "--version"?, "version"?:
    print("\(BraidVersion.name) \(BraidVersion.current)")
    exitCode = 0
case "--help"?, "-h"?, "help"?, nil:
    print(Usage.text)
    exitCode = arguments.isEmpty ? 2 : 0
case let command?:
    exitCode = Usage.fail("unknown command '\(command)'" + Usage.suggestion(for: command, among: Usage.commands))
}
exit(exitCode)
