import Foundation
import JSONRPC
import Testing
import TestSupport

/// The fuzz corpus through the real binary: no crash, no hang, every complete frame answered as
/// JSON-RPC says, memory bounded.
@Suite struct FuzzThroughBinaryTests {
    @Test func answersEveryFrameOfAHostileStreamWithBoundedMemory() throws {
        let maxMessageSize = 4096
        let corpus = FuzzCorpus(seed: 0x5EED, count: 100_000, maxMessageSize: maxMessageSize)
        #expect(corpus.frameCount >= 200_000)
        let server = try RawServer(arguments: ["serve", "--max-message-size", String(maxMessageSize)])
        server.initialize()
        let lastSentinel = FuzzCorpus.sentinelBase + corpus.segments.count - 1
        let writer = server.writeInBackground(corpus.bytes)
        var answers: [JSONValue] = []
        var sawLast = false
        while let message = server.next(timeout: 60) {
            answers.append(message)
            if message["id"]?.intValue == lastSentinel {
                sawLast = true
                break
            }
        }
        _ = writer
        #expect(sawLast, "the stream stalled after \(answers.count) answers")
        let peak = server.peakResidentKiB ?? Int.max
        // Then everything else in flight, and a clean exit.
        server.send(Frames.request(1, "shutdown"))
        while let message = server.next(timeout: 30) {
            if message["id"] == 1 { break }
            answers.append(message)
        }
        server.send(Frames.notification("exit"))
        #expect(server.waitForExit() == 0)
        let problems = corpus.verify(answers: answers, checkCodes: true)
        #expect(problems.count == 0, "\(problems.count) problems, first: \(problems.prefix(5))")
        #expect(peak < 64 * 1024, "peak RSS \(peak) KiB")
    }
}
