import Foundation
import JSONRPC
import Testing
import TestSupport

/// `braid call`, the headless client scripts use.
@Suite struct CallCommandTests {
    @Test func printsTheResultAsJSON() throws {
        let outcome = try ProgramRun.run(BraidBinary.path, ["call", "braid/version"])
        #expect(outcome.status == 0)
        let result = try JSONParser.parse(outcome.stdout)
        #expect(result["name"] == "braid")
        #expect(result["protocolVersion"] == "0.1")
        #expect(outcome.stderr.isEmpty)
    }

    @Test func passesParamsAndAnswersTheServersRequests() throws {
        let outcome = try ProgramRun.run(BraidBinary.path, ["call", "braid/ping", #"{"roundTrip":true}"#])
        #expect(outcome.status == 0)
        let result = try JSONParser.parse(outcome.stdout)
        #expect(result["pong"] == true)
        #expect(result["client"]?["client"] == "braid call")
    }

    @Test func anErrorIsOneLineOnStderrAndExitOne() throws {
        let outcome = try ProgramRun.run(BraidBinary.path, ["call", "braid/nothing"])
        #expect(outcome.status == 1)
        #expect(outcome.stdout.isEmpty)
        #expect(outcome.stderr == "braid: braid/nothing: method not found: braid/nothing (code -32601)\n")
    }

    @Test func badParamsAreAUsageError() throws {
        let notJSON = try ProgramRun.run(BraidBinary.path, ["call", "braid/ping", "{delayMs: 1}"])
        #expect(notJSON.status == 2)
        #expect(notJSON.stderr.hasPrefix("braid: call: params are not valid JSON: "))
        let scalar = try ProgramRun.run(BraidBinary.path, ["call", "braid/ping", "5"])
        #expect(scalar.status == 2)
        #expect(scalar.stderr == "braid: call: params must be a JSON object or array\n")
        let none = try ProgramRun.run(BraidBinary.path, ["call"])
        #expect(none.status == 2)
    }
}
