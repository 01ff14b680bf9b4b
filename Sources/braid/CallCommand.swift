#if canImport(Glibc)
import Glibc
#endif
import BraidServer
import Foundation
import JSONRPC

/// `braid call METHOD [JSON]`: a headless client for scripts. Starts `braid serve`, initializes,
/// sends one request, prints the result as JSON on stdout; on an error prints its message on
/// stderr and exits 1.
enum CallCommand {
    static func run(_ arguments: [String]) async -> Int32 {
        guard let method = arguments.first, !method.hasPrefix("-") else {
            return Usage.fail("call: usage: braid call METHOD [JSON-PARAMS]")
        }
        guard arguments.count <= 2 else {
            return Usage.fail("call: too many arguments; quote the params as one JSON argument")
        }
        var params: JSONValue?
        if arguments.count == 2 {
            do {
                params = try JSONParser.parse(arguments[1])
            } catch {
                return Usage.fail("call: params are not valid JSON: \(error)")
            }
            switch params {
            case .object?, .array?: break
            default: return Usage.fail("call: params must be a JSON object or array")
            }
        }
        signal(SIGPIPE, SIG_IGN)

        let server = Process()
        server.executableURL = URL(fileURLWithPath: executablePath())
        server.arguments = ["serve", "--clientProcessId", String(getpid())]
        let toServer = Pipe()
        let fromServer = Pipe()
        server.standardInput = toServer
        server.standardOutput = fromServer
        let (exited, exitedContinuation) = AsyncStream<Int32>.makeStream()
        // Set before run(): Foundation reports the exit only to a handler already in place.
        server.terminationHandler = { process in
            exitedContinuation.yield(process.terminationStatus)
            exitedContinuation.finish()
        }
        do {
            try server.run()
        } catch {
            return Usage.fail("call: cannot start the server: \(error)", code: 1)
        }
        let channel = FileDescriptorChannel(input: fromServer.fileHandleForReading.fileDescriptor,
                                            output: toServer.fileHandleForWriting.fileDescriptor)
        var handlers = HandlerTable()
        // Answer the server's own health check, so `braid call braid/ping '{"roundTrip":true}'` works.
        handlers.onRequest(ClientPingRequest.method) { params, _ in ["client": "braid call", "params": params ?? .null] }
        let connection = Connection(channel: channel, handlers: handlers)
        let reading = Task { await connection.run() }

        let code: Int32
        do {
            _ = try await connection.send(InitializeRequest.self, .init(
                processId: Int(getpid()), clientInfo: .init(name: "braid call", version: nil)))
            connection.notify(InitializedNotification.self, NoParams())
            let result = try await connection.sendRequest(method, params: params)
            var text = JSONWriter.encode(result, pretty: true)
            text.append(0x0A)
            guard FileDescriptorOutput(fd: STDOUT_FILENO).write(text) else {
                throw ResponseError(.internalError, "cannot write the result to standard output")
            }
            _ = try? await connection.send(ShutdownRequest.self, NoParams())
            connection.notify(ExitNotification.self, NoParams())
            code = 0
        } catch let error as ResponseError {
            code = Usage.fail("\(method): \(error.message) (code \(error.code.rawValue))", code: 1)
        } catch {
            code = Usage.fail("\(method): \(error)", code: 1)
        }
        await connection.close()
        for await _ in exited { break }
        await reading.value
        return code
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }
}
