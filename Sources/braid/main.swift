#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation

/// Entry point: `braid <command> [args]`. Each command is its own type; this file only routes.
let arguments = Array(CommandLine.arguments.dropFirst())
let exitCode: Int32
switch arguments.first {
case "serve"?:
    exitCode = await ServeCommand.run(Array(arguments.dropFirst()))
case "call"?:
    exitCode = await CallCommand.run(Array(arguments.dropFirst()))
case "init"?:
    exitCode = InitCommand.run(Array(arguments.dropFirst()))
case "add"?:
    exitCode = AddCommand.run(Array(arguments.dropFirst()))
case "status"?:
    exitCode = StatusCommand.run(Array(arguments.dropFirst()))
case "worktree"?:
    exitCode = WorktreeCommand.run(Array(arguments.dropFirst()))
case "run"?:
    exitCode = await RunCommand.run(Array(arguments.dropFirst()))
case "log"?:
    exitCode = TaskCommands.log(Array(arguments.dropFirst()))
case "retry"?:
    exitCode = TaskCommands.retry(Array(arguments.dropFirst()))
case "reassign"?:
    exitCode = TaskCommands.reassign(Array(arguments.dropFirst()))
case "abandon"?:
    exitCode = TaskCommands.abandon(Array(arguments.dropFirst()))
case "demo"?:
    exitCode = await DemoCommand.run(Array(arguments.dropFirst()))
case "diff"?:
    exitCode = DiffCommand.run(Array(arguments.dropFirst()))
case "metrics"?:
    exitCode = MetricsCommand.run(Array(arguments.dropFirst()))
case "merge"?:
    exitCode = MergeCommand.run(Array(arguments.dropFirst()))
case "secrets"?:
    exitCode = SecretsCommand.run(Array(arguments.dropFirst()))
case "cancel"?:
    exitCode = TaskCommands.cancel(Array(arguments.dropFirst()))
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
