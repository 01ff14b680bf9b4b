import Foundation
import Testing
@testable import BraidCore

@Suite struct PromptComposerTests {
    private func task() throws -> BoardTask {
        try AgentTestSupport.task(title: "Add a --verbose flag", id: 12, body: [
            "",
            "Print each file as it is processed.",
            "Keep the default output unchanged.",
            "- [ ] `--verbose` lists files on stderr",
            "- [x] the flag is documented",
            "touches: Sources/CLI, README.md",
            "agent: claude",
            "```text",
            "$ tool --verbose a.txt",
            "a.txt",
            "```",
        ])
    }

    @Test func composesTitleDescriptionCriteriaScopeAndTheDoneLine() throws {
        let prompt = PromptComposer.compose(task: try task(), gateSteps: ["swift build", "swift test"])
        #expect(prompt == """
            # Task #12: Add a --verbose flag

            Print each file as it is processed.
            Keep the default output unchanged.

            ```text
            $ tool --verbose a.txt
            a.txt
            ```

            ## Acceptance criteria

            - [ ] `--verbose` lists files on stderr
            - [x] the flag is documented

            ## Scope

            This task is expected to change only: `Sources/CLI`, `README.md`.

            ## Done means

            Done means: the project's gate passes. Braid runs it on your branch, and again once your work is merged; \
            an agent exiting successfully is not enough. The gate runs:
            - `swift build`
            - `swift test`

            """)
    }

    @Test func aBareTaskStillSaysWhenItIsDone() throws {
        let bare = try AgentTestSupport.task(["- [ ] Tidy up"])
        #expect(PromptComposer.compose(task: bare) == """
            # Task: Tidy up

            ## Done means

            Done means: the project's gate passes. Braid runs it on your branch, and again once your work is merged; \
            an agent exiting successfully is not enough.

            """)
    }

    @Test func promptStartsWithAHeadingWhateverTheTitle() throws {
        let hostile = try AgentTestSupport.task(["- [ ] --help; rm -rf ~ (#3)"])
        let prompt = PromptComposer.compose(task: hostile)
        #expect(prompt.hasPrefix("# Task #3: --help; rm -rf ~\n"))
    }

    @Test func includesTheRepositoryConventionsFile() throws {
        let conventions = ConventionsFile(name: "AGENTS.md", contents: "# Conventions\r\n\r\nUse tabs.\r\n\r\n")
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up (#1)"]), conventions: conventions)
        #expect(prompt.hasSuffix("""
            an agent exiting successfully is not enough.

            ## Repository conventions (from AGENTS.md)

            # Conventions

            Use tabs.

            """))
    }

    @Test func readsAgentsMdBeforeClaudeMdAndSkipsMissingOrBlankOnes() throws {
        let sandbox = try AgentSandbox()
        #expect(ConventionsFile.read(in: sandbox.worktree) == nil)

        try sandbox.write("Claude rules\n", to: "CLAUDE.md")
        #expect(ConventionsFile.read(in: sandbox.worktree)?.name == "CLAUDE.md")

        try sandbox.write(" \n\n", to: "AGENTS.md")
        #expect(ConventionsFile.read(in: sandbox.worktree)?.text == "Claude rules\n")

        try sandbox.write("Agent rules\n", to: "AGENTS.md")
        let file = try #require(ConventionsFile.read(in: sandbox.worktree))
        #expect(file.name == "AGENTS.md" && file.text == "Agent rules\n" && file.omittedBytes == 0)
    }

    @Test func aLargeConventionsFileKeepsItsFirst16KiBAndMarksTheCut() throws {
        let sandbox = try AgentSandbox()
        let lines = (1...2000).map { "rule \($0): keep it simple\n" }
        let text = lines.joined()
        try sandbox.write(text, to: "AGENTS.md")
        let file = try #require(ConventionsFile.read(in: sandbox.worktree))
        #expect(file.totalBytes == text.utf8.count)
        #expect(file.text.utf8.count <= ConventionsFile.defaultLimit)
        #expect(file.text.utf8.count > ConventionsFile.defaultLimit - 1024)
        #expect(file.text.hasPrefix("rule 1: keep it simple\n"))
        #expect(file.text.hasSuffix("keep it simple\n"), "cut on a line break")
        #expect(file.omittedBytes == file.totalBytes - file.text.utf8.count)

        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up"]), conventions: file)
        #expect(prompt.hasSuffix("keep it simple\n\n[… AGENTS.md continues for \(file.omittedBytes) more bytes, not shown]\n"))
    }

    @Test func retryCarriesTheGateOutputAndAPersonsGuidance() throws {
        let retry = RetryFeedback(attempt: 2, gateSummary: "step 'test' failed (exit 1):\nFAIL: testVerbose\n",
                                  guidance: "Print to stderr, not stdout.")
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up (#5)"]), retry: retry)
        #expect(prompt.hasSuffix("""
            an agent exiting successfully is not enough.

            ## Previous try failed

            This is try 2. Your earlier changes are still in this folder: fix what failed rather than starting over.

            ### Gate output

            ```
            step 'test' failed (exit 1):
            FAIL: testVerbose
            ```

            ### Guidance from a person

            Print to stderr, not stdout.

            """))
    }

    @Test func retryWithGuidanceOnlyLeavesOutTheGateSection() throws {
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up"]),
                                            retry: RetryFeedback(attempt: 3, gateSummary: "  \n", guidance: "Try the other API."))
        #expect(!prompt.contains("### Gate output"))
        #expect(prompt.hasSuffix("### Guidance from a person\n\nTry the other API.\n"))
    }

    @Test func longGateOutputKeepsItsLastEightKiBAndMarksTheCut() throws {
        let output = (1...3000).map { "line \($0) of the test log" }.joined(separator: "\n")
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up"]),
                                            retry: RetryFeedback(attempt: 2, gateSummary: output))
        let bounded = try #require(PromptComposer.bounded(output, limit: PromptComposer.feedbackLimit))
        #expect(prompt.hasSuffix("### Gate output\n\n```\n" + bounded + "\n```\n"))

        let marker = bounded.prefix { $0 != "\n" }
        let kept = bounded.dropFirst(marker.count + 1)
        let cut = try #require(Int(marker.dropFirst("[… ".count).prefix { $0.isNumber }))
        #expect(marker == "[… \(cut) earlier bytes cut …]")
        #expect(kept.utf8.count <= PromptComposer.feedbackLimit)
        #expect(cut + kept.utf8.count == output.utf8.count)
        #expect(kept.hasPrefix("line "), "cut on a line break")
        #expect(kept.hasSuffix("line 3000 of the test log"))
        #expect(!prompt.contains("line 1 of the test log"))
    }

    @Test func guidanceIsBoundedToo() throws {
        let guidance = String(repeating: "please ", count: 3000) + "the end"
        let bounded = try #require(PromptComposer.bounded(guidance, limit: PromptComposer.feedbackLimit))
        #expect(bounded.hasPrefix("[… ") && bounded.hasSuffix("the end"))
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up"]),
                                            retry: RetryFeedback(attempt: 2, guidance: guidance))
        #expect(prompt.hasSuffix("### Guidance from a person\n\n" + bounded + "\n"))
    }

    @Test func gateOutputHoldingAFenceGetsALongerOne() throws {
        let prompt = PromptComposer.compose(task: try AgentTestSupport.task(["- [ ] Tidy up"]),
                                            retry: RetryFeedback(attempt: 2, gateSummary: "expected:\n```\nfoo\n```"))
        #expect(prompt.contains("````\nexpected:\n```\nfoo\n```\n````\n"))
    }

    @Test func cutsNeverSplitACharacter() {
        let text = String(repeating: "é🧵", count: 5000)
        for limit in [1, 2, 3, 4, 5, 100, 8191] {
            let (tail, cutTail) = TextBounds.tail(text, maxBytes: limit)
            #expect(tail.utf8.count <= limit && cutTail + tail.utf8.count == text.utf8.count)
            #expect(!tail.contains("\u{FFFD}"))
            let (head, cutHead) = TextBounds.head(text, maxBytes: limit)
            #expect(head.utf8.count <= limit && cutHead + head.utf8.count == text.utf8.count)
            #expect(!head.contains("\u{FFFD}"))
        }
    }

    @Test func theSameInputsGiveTheSameText() throws {
        let conventions = ConventionsFile(name: "CLAUDE.md", contents: "Rules.\n")
        let retry = RetryFeedback(attempt: 2, gateSummary: "failed", guidance: "again")
        let first = PromptComposer.compose(task: try task(), conventions: conventions, gateSteps: ["make test"], retry: retry)
        let second = PromptComposer.compose(task: try task(), conventions: conventions, gateSteps: ["make test"], retry: retry)
        #expect(first == second)
    }
}
