#if canImport(Glibc)
import Glibc
#endif
import BraidCore
import Foundation
import JSON
import JSONRPC

/// What every command that talks to the daemon shares: finding the repository, connecting (the
/// daemon starts if needed), and turning a JSON-RPC error into one line and exit code 1.
enum ClientCommand {
    static func run(_ name: String, _ body: (DaemonClient, CommandContext) async throws -> Int32) async -> Int32 {
        // A daemon that dies mid-request must end the command with a message, not SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let context: CommandContext
        do {
            context = try CommandContext.load()
        } catch {
            return Usage.fail("\(name): \(error)", code: 1)
        }
        let client: DaemonClient
        do {
            client = try await DaemonClient.connect(context.workspace, client: "braid \(name)")
        } catch let error as ResponseError {
            return Usage.fail("\(name): \(error.message)", code: 1)
        } catch {
            return Usage.fail("\(name): \(error)", code: 1)
        }
        let code: Int32
        do {
            code = try await body(client, context)
        } catch let error as ResponseError {
            code = Usage.fail("\(name): \(error.message)", code: 1)
        } catch {
            code = Usage.fail("\(name): \(error)", code: 1)
        }
        await client.close()
        return code
    }

    /// Prints a result for `--json`, or hands it to `render`.
    static func output(_ value: JSONValue, json: Bool, _ render: (JSONValue) -> String) {
        if json {
            printJSON(value)
        } else {
            let text = render(value)
            if !text.isEmpty { FileDescriptorOutput(fd: 1).write(text.hasSuffix("\n") ? text : text + "\n") }
        }
    }
}

extension JSONValue {
    /// An integer member as an `Int`, 0 when absent (for rendering only).
    func int(_ key: String) -> Int { self[key]?.intValue ?? 0 }
    func string(_ key: String) -> String? { self[key]?.stringValue }
}
