import Testing
@testable import BraidCore

@Suite struct AgentOutputReaderTests {
    // MARK: Usage

    @Test func claudeResultObjectGivesCostAndTokensAmidOtherOutput() {
        let log = """
            some warning on stderr
            {"type":"result","subtype":"success","is_error":false,"num_turns":6,"result":"Fixed {it}.","total_cost_usd":0.1837,"usage":{"input_tokens":12,"cache_read_input_tokens":90000,"output_tokens":2048}}

            """
        #expect(AgentOutputReader.usage(in: log, format: .claudeJSON)
            == AgentUsage(costUSD: 0.1837, inputTokens: 12, outputTokens: 2048))
    }

    @Test func claudeStreamJSONIsReadFromItsLastResultEvent() {
        let log = """
            {"type":"system","subtype":"init","session_id":"s"}
            {"type":"assistant","message":{"usage":{"input_tokens":5,"output_tokens":1}}}
            {"type":"result","subtype":"success","total_cost_usd":0.02,"usage":{"input_tokens":100,"output_tokens":40}}
            """
        #expect(AgentOutputReader.usage(in: log, format: .claudeJSON) == AgentUsage(costUSD: 0.02, inputTokens: 100, outputTokens: 40))
    }

    @Test func claudePrettyPrintedResultAndOlderCostFieldAreRead() {
        let log = """
            {
              "type": "result",
              "cost_usd": 0.5,
              "usage": { "input_tokens": 7, "output_tokens": 8 }
            }
            """
        #expect(AgentOutputReader.usage(in: log, format: .claudeJSON) == AgentUsage(costUSD: 0.5, inputTokens: 7, outputTokens: 8))
    }

    @Test func codexTurnCompletedEventsAddUp() {
        let log = """
            {"type":"thread.started","thread_id":"t"}
            {"type":"item.completed","item":{"type":"agent_message","text":"usage is fine"}}
            {"type":"turn.completed","usage":{"input_tokens":1000,"cached_input_tokens":800,"output_tokens":50}}
            {"type":"turn.completed","usage":{"input_tokens":2000,"cached_input_tokens":0,"output_tokens":70}}
            """
        #expect(AgentOutputReader.usage(in: log, format: .codexJSONLines) == AgentUsage(inputTokens: 3000, outputTokens: 120))
    }

    @Test func codexTokenCountEventsGiveTheLastRunningTotal() {
        let log = """
            {"id":"0","msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":100,"output_tokens":10},"last_token_usage":{"input_tokens":100,"output_tokens":10}}}}
            {"id":"0","msg":{"type":"token_count","info":{"total_token_usage":{"input_tokens":26549,"output_tokens":1590},"last_token_usage":{"input_tokens":6245,"output_tokens":407}}}}
            {"id":"0","msg":{"type":"task_complete"}}
            """
        #expect(AgentOutputReader.usage(in: log, format: .codexJSONLines) == AgentUsage(inputTokens: 26549, outputTokens: 1590))
    }

    @Test func codexCostComesFromAGenericCostLineWhenThereIsOne() {
        let log = """
            {"type":"turn.completed","usage":{"input_tokens":10,"output_tokens":5}}
            wrapper: cost: $0.07
            """
        #expect(AgentOutputReader.usage(in: log, format: .codexJSONLines) == AgentUsage(costUSD: 0.07, inputTokens: 10, outputTokens: 5))
    }

    @Test func aiderTokensAndSessionCostAreRead() {
        let log = """
            Aider v0.86.1
            Tokens: 1.2k sent, 310 received. Cost: $0.01 message, $0.05 session.
            Applied edit to notes.txt
            """
        #expect(AgentOutputReader.usage(in: log, format: .aider) == AgentUsage(costUSD: 0.05, inputTokens: 1200, outputTokens: 310))
    }

    @Test func aiderTokensAddUpOverExchangesAndTheLastSessionCostCounts() {
        let log = """
            Tokens: 2.4k sent, 1.1k cache write, 150 received. Cost: $0.02 message, $0.02 session.
            Tokens: 12k sent, 2.3k cache hit, 1.5k received. Cost: $0.04 message, $0.06 session.
            Tokens: 1.2M sent, 999 received. Cost: $1,204.50 message, $1,204.56 session.
            """
        #expect(AgentOutputReader.usage(in: log, format: .aider)
            == AgentUsage(costUSD: 1204.56, inputTokens: 1_214_400, outputTokens: 2649))
    }

    @Test(arguments: ["cost: $0.12", "Cost: $0.12", "COST:$0.12", "Total cost: $0.12.", "  session cost: $0.12 (estimated)"])
    func genericCostLineIsReadInAnyCase(line: String) {
        let log = "working…\nedited 3 files\n\(line)\n"
        #expect(AgentOutputReader.usage(in: log, format: .generic) == AgentUsage(costUSD: 0.12))
    }

    @Test func theLastGenericCostLineCounts() {
        let log = "step 1 cost: $0.01\nstep 2 cost: $0.02\nTotal cost: $1,000.25\n"
        #expect(AgentOutputReader.usage(in: log, format: .generic).costUSD == 1000.25)
    }

    @Test(arguments: AgentOutputFormat.allCases)
    func logWithoutUsageGivesNone(format: AgentOutputFormat) {
        let log = "{\"type\":\"item.completed\"}\nTokens: lots\nthe cost: unknown\naccost: $5\nnot json {\n"
        #expect(AgentOutputReader.usage(in: log, format: format) == .none)
        #expect(AgentOutputReader.usage(in: "", format: format) == .none)
    }

    // MARK: Quota

    static let quotaMessages = [
        "Error: Rate limit reached for requests",
        "API Error: 429 {\"type\":\"error\",\"error\":{\"type\":\"rate_limit_error\"}}",
        "Claude AI usage limit reached|1767225600",
        "You've hit your usage limit. Upgrade to Pro or try again in 2 days.",
        "[API Error: Quota exceeded for quota metric 'Requests' (Status: RESOURCE_EXHAUSTED)]",
        "You exceeded your current quota, please check your plan and billing details.",
        "stream error: exceeded retry limit, last status: 429 Too Many Requests",
        "HTTP 429",
        "request failed with status code 429",
        "Your credit balance is too low to access the Anthropic API.",
        "The API provider has RATE-LIMITED you.",
        "{\"error\":{\"code\":429,\"message\":\"slow down\"}}",
    ]

    @Test(arguments: quotaMessages)
    func quotaWordingIsRecognisedWhenTheSessionFailed(message: String) {
        let log = "Working on task #4…\n\(message)\n"
        #expect(AgentOutputReader.isQuotaExhausted(log, exitStatus: 1))
        #expect(AgentOutputReader.read(log, exitStatus: 2, format: .generic).quotaExhausted)
    }

    @Test(arguments: quotaMessages)
    func quotaWordingMeansNothingWhenTheSessionExitedZero(message: String) {
        #expect(!AgentOutputReader.isQuotaExhausted("\(message)\n", exitStatus: 0))
    }

    @Test(arguments: [
        "error: 3 tests failed",
        "Sources/Limits.swift:429:7: error: cannot find 'limit' in scope",
        "fatal: not a git repository",
        "Killed: process used 429 MB",
        "The task exceeded its time budget",
        "",
    ])
    func ordinaryFailuresAreNotQuotaExhaustion(message: String) {
        #expect(!AgentOutputReader.isQuotaExhausted("Working…\n\(message)\n", exitStatus: 1))
    }

    @Test func aRateLimitMentionedOnlyEarlyInALongLogIsNotQuotaExhaustion() {
        // The agent's own work on a rate limiter, then a long failing test run.
        let log = "Implementing the rate limit middleware (HTTP 429 on excess)\n"
            + String(repeating: "test output line\n", count: 500) + "error: 2 tests failed\n"
        #expect(!AgentOutputReader.isQuotaExhausted(log, exitStatus: 1))
    }
}
