import BraidCore
import Foundation
import JSON

/// What most commands start from: the repository, its config, its board.
struct CommandContext {
    let workspace: Workspace
    let config: BraidConfig

    /// The repository around the current directory, with its config loaded.
    static func load() throws -> CommandContext {
        let workspace = try Workspace.locate(from: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
        return CommandContext(workspace: workspace, config: try workspace.loadConfig())
    }

    var boardStore: BoardStore {
        BoardStore(path: workspace.boardURL(config), lockPath: workspace.boardLockURL)
    }

    /// Reports the board's malformed lines on stderr (they are left as they are).
    func warn(about board: Board) {
        for problem in board.problems {
            FileDescriptorOutput.standardError.write("braid: warning: \(problem.description(file: config.board))\n")
        }
    }
}

/// Prints JSON for `--json`, pretty, with a final newline.
func printJSON(_ value: JSONValue) {
    var bytes = JSONWriter.encode(value, pretty: true)
    bytes.append(0x0A)
    FileDescriptorOutput(fd: 1).write(bytes)
}

/// A command's own failure, worded for the user.
struct CommandFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
