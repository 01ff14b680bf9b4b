import Foundation
import Testing
@testable import BraidCore

/// The merge queue on real repositories: tasks made as Braid makes them, gates that are real shell
/// scripts run in the integration worktree, and every outcome read back from git, the board and
/// the queue's log.
@Suite struct MergeQueueTests {
    // MARK: Landing

    @Test func twoTasksOnDifferentFilesBothLandAsSquashCommitsWithTrailersAndAreTidiedAway() throws {
        let f = try MergeQueueFixture()
        let start = try f.main
        let one = try f.task("Add the a file", files: ["a.txt": "a\n"])
        let two = try f.task("Add the b file", files: ["b.txt": "b\n"])
        try f.enqueue(one, agent: "claude", session: "s-1")
        try f.enqueue(two, agent: "codex", session: "s-2")
        #expect(try f.braidRefs() == ["refs/braid/queue/task-1", "refs/braid/queue/task-2"])
        #expect(try f.state().pending.map(\.task) == [1, 2])

        let run = try f.process()

        let second = try f.main
        let first = try #require(try f.parents(second).first)
        #expect(try f.parents(second) == [first] && f.parents(first) == [start])
        #expect(run.decided == [Decided(1, 1, .landed, commit: first), Decided(2, 2, .landed, commit: second, agent: "codex")])
        #expect(run.waiting == nil)
        #expect(run.gateRuns == 2 && f.gateRunsLogged() == 2)
        #expect(try f.subjects() == ["Add the b file", "Add the a file", "initial"])
        #expect(try f.git(["log", "-1", "--format=%B", first])
            == "Add the a file\n\nBraid-Task: 1\nBraid-Agent: claude\nBraid-Session: s-1\nBraid-Gate: check")
        // git itself reads the four lines as trailers.
        #expect(try f.git(["log", "-1", "--format=%(trailers:only,unfold)", second])
            == "Braid-Task: 2\nBraid-Agent: codex\nBraid-Session: s-2\nBraid-Gate: check")
        #expect(try f.file("a.txt") == "a\n" && f.file("b.txt") == "b\n" && f.file("README.md") == "hello\n")
        #expect(try f.file("b.txt", at: first) == nil)
        // main is checked out in the root: it was fast-forwarded there, files and all.
        #expect(try f.git(["rev-parse", "HEAD"]) == second)
        #expect(try String(decoding: f.bytes("b.txt"), as: UTF8.self) == "b\n")
        #expect(try f.git(["status", "--porcelain", "--untracked-files=no"]).isEmpty)

        // Pins, worktrees, branches and registry entries are gone.
        #expect(try f.braidRefs().isEmpty)
        #expect(!FileManager.default.fileExists(atPath: one.path.path) && !FileManager.default.fileExists(atPath: two.path.path))
        #expect(try f.worktreePaths() == [f.root.path, f.workspace.integrationWorktree.path])
        #expect(try f.branches() == ["main"])
        #expect(try f.workspace.worktreeRegistry.all().isEmpty)

        let board = try f.board()
        #expect(board.task(id: 1)?.section == .done && board.task(id: 1)?.landedCommit == String(first.prefix(12)))
        #expect(board.task(id: 2)?.section == .done && board.task(id: 2)?.landedCommit == String(second.prefix(12)))
        let state = try f.state()
        #expect(state.pending.isEmpty && state.openLanding == nil && state.endedCleanly)
        #expect(state.decisions.map(Decided.init) == run.decided)
    }

    @Test func mergeStrategyLandsAMergeCommitWhoseSecondParentIsTheTaskTip() throws {
        let f = try MergeQueueFixture { $0.mergeQueue.strategy = .merge }
        let start = try f.main
        let task = try f.task("Keep my commits", files: ["a.txt": "a\n"])
        let tip = try f.commit(["a.txt": "a\nand more\n"], in: task)
        try f.enqueue(task)

        let run = try f.process()

        let landed = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: landed)])
        #expect(try f.parents(landed) == [start, tip])
        #expect(try f.subjects() == ["Keep my commits", "initial"])
        #expect(try f.git(["log", "-1", "--format=%(trailers:only,unfold)", landed])
            == "Braid-Task: 1\nBraid-Agent: claude\nBraid-Gate: check")
        #expect(try f.git(["rev-list", "--count", "refs/heads/main"]) == "4")
        #expect(try f.file("a.txt") == "a\nand more\n")
        #expect(try f.branches() == ["main"])
    }

    // MARK: Conflicts

    @Test func aConflictIsRefusedNamingThePathAndLandsOnceTheBranchResolvesIt() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "one\ntwo\nthree\n", "README.md": "hello\n"])
        let task = try f.task("Rewrite the first line", files: ["a.txt": "task\ntwo\nthree\n"])
        let byHand = try f.commit(["a.txt": "main\ntwo\nthree\n"], at: f.root, message: "by hand")
        try f.enqueue(task)

        let refused = try f.process()

        #expect(refused.decided == [Decided(1, 1, .refused, .conflict)])
        let detail = refused.detail(0)
        #expect(detail.hasPrefix("Your branch conflicts with main in: a.txt. Bring the current main into your branch"))
        #expect(try f.main == byHand && f.file("a.txt") == "main\ntwo\nthree\n")
        #expect(try f.section(of: task) == .todo)
        #expect(try f.braidRefs().isEmpty && f.state().pending.isEmpty)
        #expect(refused.gateRuns == 0 && f.gateRunsLogged() == 0)
        // The task keeps its worktree and branch, to resolve the conflict in.
        #expect(FileManager.default.fileExists(atPath: task.path.path))

        let merge = try f.tryGit(["merge", "--no-edit", "main"], in: task.path)
        #expect(!merge.succeeded && merge.output.contains("CONFLICT"))
        try f.fixture.write("main\ntask\ntwo\nthree\n", to: "a.txt", in: task.path)
        try f.git(["add", "a.txt"], in: task.path)
        try f.git(["commit", "--quiet", "--no-edit"], in: task.path)
        try f.enqueue(task)

        let landed = try f.process()

        let commit = try f.main
        #expect(landed.decided == [Decided(2, 1, .landed, commit: commit)])
        #expect(try f.parents(commit) == [byHand])
        #expect(try f.file("a.txt") == "main\ntask\ntwo\nthree\n")
        #expect(try f.section(of: task) == .done)
        #expect(try f.board().task(id: task.id)?.landedCommit == String(commit.prefix(12)))
    }

    // MARK: The gate

    @Test func twoBranchesThatPassAloneButBreakTogetherLandTheFirstAndRefuseTheSecond() throws {
        let f = try MergeQueueFixture(gate: """
            if [ -e a.txt ] && [ -e b.txt ]; then echo "a.txt and b.txt cannot both exist"; exit 1; fi
            """)
        let a = try f.task("Add a", files: ["a.txt": "a\n"])
        let b = try f.task("Add b", files: ["b.txt": "b\n"])
        // Each passes the gate on its own branch.
        #expect(GateRunner(config: f.config).runBlocking(in: a.path).passed)
        #expect(GateRunner(config: f.config).runBlocking(in: b.path).passed)
        let gatedAlone = f.gateRunsLogged()
        try f.enqueue(a)
        try f.enqueue(b)

        let run = try f.process()

        let first = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: first), Decided(2, 2, .refused, .gateFailed)])
        let detail = run.detail(1)
        #expect(detail.hasPrefix("The gate failed on your branch merged with the current main"))
        #expect(detail.contains("a.txt and b.txt cannot both exist"))
        // main stays at the last green commit.
        #expect(try f.subjects() == ["Add a", "initial"])
        #expect(try f.file("a.txt") == "a\n" && f.file("b.txt") == nil)
        // One run for a; for b a failure, then the same tree again before blaming it.
        #expect(run.gateRuns == 3 && f.gateRunsLogged() - gatedAlone == 3)
        let tree = try f.mergedTree(first, f.tip(b))
        // No pass is cached for that tree: the next pass gates it again.
        #expect(try !f.state().passedGates.contains { $0.hasPrefix(tree + ":") })
        #expect(try f.section(of: a) == .done && f.section(of: b) == .todo)
        #expect(try f.braidRefs().isEmpty)
    }

    @Test func aBatchWithABreakingThirdLandsTheFirstTwoInOneMoveAndTheFourthAfter() throws {
        let f = try MergeQueueFixture(gate: "if [ -e c.txt ]; then echo c.txt breaks the build; exit 1; fi") {
            $0.mergeQueue.batch = 4
        }
        let start = try f.main
        var tasks: [MergeQueueFixture.TaskBranch] = []
        for name in ["a", "b", "c", "d"] {
            tasks.append(try f.task("Add \(name)", files: ["\(name).txt": "\(name)\n"]))
        }
        for task in tasks { try f.enqueue(task) }
        let reflogBefore = try f.mainReflog()

        let run = try f.process()

        let fourth = try f.main
        let second = try #require(try f.parents(fourth).first)
        let first = try #require(try f.parents(second).first)
        #expect(try f.parents(first) == [start])
        // The culprit is sent back first, whatever then becomes of the prefix before it.
        #expect(run.decided == [Decided(1, 3, .refused, .gateFailed), Decided(2, 1, .landed, commit: first),
                                Decided(3, 2, .landed, commit: second), Decided(4, 4, .landed, commit: fourth)])
        #expect(run.detail(0).contains("c.txt breaks the build"))
        #expect(try f.subjects() == ["Add d", "Add b", "Add a", "initial"])
        // main moved twice: straight to #2's commit (both of the first two at once), then to #4's.
        #expect(try f.mainReflog() == [fourth, second] + reflogBefore)
        #expect(try f.file("c.txt") == nil && f.file("d.txt") == "d\n")
        // The batch (a b c d) failed; bisection: a b passed, a b c failed (the batch's failure is
        // the second sighting); then d alone on the new main. Nothing more.
        #expect(run.gateRuns == 4 && f.gateRunsLogged() == 4)
        #expect(try f.braidRefs().isEmpty)
        #expect(try f.section(of: tasks[2]) == .todo)
        #expect(try [0, 1, 3].allSatisfy { try f.section(of: tasks[$0]) == .done })
        #expect(try f.branches() == ["braid/3-add-c", "main"])
    }

    @Test func aGateThatFailsOnceThenPassesLandsTheTask() throws {
        let f = try MergeQueueFixture()
        // The gate's own log, outside the repository, counts its runs: only the first fails.
        f.config.gate = [GateStepConfig(name: "check", command: .shell("""
            echo run >> '\(f.gateLog.path)'
            if [ "$(wc -l < '\(f.gateLog.path)')" -eq 1 ]; then echo flaky; exit 1; fi
            """))]
        let task = try f.task("Flaky but fine", files: ["a.txt": "a\n"])
        try f.enqueue(task)

        let run = try f.process()

        let landed = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: landed)])
        #expect(run.gateRuns == 2 && f.gateRunsLogged() == 2)
        #expect(try f.file("a.txt") == "a\n")
        let tree = try f.git(["rev-parse", "\(landed)^{tree}"])
        #expect(try f.state().passedGates.contains { $0.hasPrefix(tree + ":") })
        #expect(try f.section(of: task) == .done)
    }

    @Test func aFlakyFailureOfABatchLandsTheWholeBatch() throws {
        let f = try MergeQueueFixture { $0.mergeQueue.batch = 2 }
        f.config.gate = [GateStepConfig(name: "check", command: .shell("""
            echo run >> '\(f.gateLog.path)'
            if [ "$(wc -l < '\(f.gateLog.path)')" -eq 1 ]; then echo flaky; exit 1; fi
            """))]
        let a = try f.task("Add a", files: ["a.txt": "a\n"])
        let b = try f.task("Add b", files: ["b.txt": "b\n"])
        try f.enqueue(a)
        try f.enqueue(b)
        let reflogBefore = try f.mainReflog()

        let run = try f.process()

        let second = try f.main
        let first = try #require(try f.parents(second).first)
        #expect(run.decided == [Decided(1, 1, .landed, commit: first), Decided(2, 2, .landed, commit: second)])
        // The batch failed, a alone passed, the batch's tree passed when gated again.
        #expect(run.gateRuns == 3 && f.gateRunsLogged() == 3)
        #expect(try f.mainReflog() == [second] + reflogBefore)
    }

    @Test func aTreeThatPassedIsNotGatedAgainButOneThatFailedIs() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "1\n2\n3\n"], gate: "if [ -e bad.txt ]; then exit 1; fi")
        // Passed, but cannot land yet: the user's checkout has a change to a.txt.
        let good = try f.task("Good", files: ["a.txt": "one\n2\n3\n"])
        try f.fixture.write("1\n2\n3 (mine)\n", to: "a.txt", in: f.root)
        try f.enqueue(good)
        let waited = try f.process()
        #expect(waited.waiting != nil && waited.decisions.isEmpty && waited.gateRuns == 1)
        try f.git(["stash", "--quiet"])

        let landed = try f.process()

        #expect(landed.decided == [Decided(1, 1, .landed, commit: try f.main)])
        #expect(landed.gateRuns == 0 && f.gateRunsLogged() == 1)

        // Failed twice: refused. Queued again unchanged, it is gated again: a failure counts only
        // in the pass that saw it (the cause may have been the machine's, not the tree's).
        let bad = try f.task("Bad", files: ["bad.txt": "x\n"])
        try f.enqueue(bad)
        let refused = try f.process()
        #expect(refused.decided == [Decided(2, 2, .refused, .gateFailed)])
        #expect(refused.gateRuns == 2 && f.gateRunsLogged() == 3)
        try f.enqueue(bad)
        let again = try f.process()
        #expect(again.decided == [Decided(3, 2, .refused, .gateFailed)])
        #expect(again.gateRuns == 2 && f.gateRunsLogged() == 5)
        #expect(try f.file("bad.txt") == nil)
    }

    // MARK: The stale-base revert guard

    static let five = "one\ntwo\nthree\nfour\nfive\n"
    static let landedFive = "one\nTWO\nTHREE\nfour\nfive\n"

    /// Task X changes lines 2-3 of x.txt and lands; task Y, forked before, adds y.txt, merges
    /// main into its branch, then writes back its stale copy of x.txt and queues.
    static func staleBranch(_ f: MergeQueueFixture, text: String) throws -> (x: MergeQueueFixture.TaskBranch, y: MergeQueueFixture.TaskBranch, landed: String) {
        let x = try f.task("Shout lines two and three", files: ["x.txt": landedFive])
        let y = try f.task("Add y", files: ["y.txt": "y\n"])
        try f.enqueue(x)
        let first = try f.process()
        let landed = try f.main
        #expect(first.decided == [Decided(1, 1, .landed, commit: landed)])

        try f.git(["merge", "--quiet", "--no-edit", "main"], in: y.path)
        #expect(try String(decoding: f.bytes("x.txt", in: y.path), as: UTF8.self) == landedFive)
        try f.commit(["x.txt": five], in: y, message: "my copy of x.txt")
        try f.enqueue(y, text: text)
        return (x, y, landed)
    }

    @Test func aBranchThatWouldRevertLandedLinesIsRefusedNamingThem() throws {
        let f = try MergeQueueFixture(files: ["x.txt": Self.five])
        let (_, y, landed) = try Self.staleBranch(f, text: "Add a y file next to x.")

        let run = try f.process()

        #expect(run.decided == [Decided(2, 2, .refused, .staleBase)])
        #expect(run.detail(0).hasPrefix(
            "Merging your branch would revert work that landed on main after your branch started: x.txt lines 2-3 (line numbers of main). "))
        #expect(try f.main == landed && f.file("x.txt") == Self.landedFive && f.file("y.txt") == nil)
        #expect(run.gateRuns == 0)
        #expect(try f.section(of: y) == .todo)
        #expect(try f.braidRefs().isEmpty)
    }

    @Test func aBranchWhoseTaskAsksToRevertLandsTheRevert() throws {
        let f = try MergeQueueFixture(files: ["x.txt": Self.five])
        let (_, y, landed) = try Self.staleBranch(f, text: "Add y, and revert the change to lines two and three.")

        let run = try f.process()

        let commit = try f.main
        #expect(run.decided == [Decided(2, 2, .landed, commit: commit)])
        #expect(try f.parents(commit) == [landed])
        #expect(try f.file("x.txt") == Self.five && f.file("y.txt") == "y\n")
        #expect(try f.section(of: y) == .done)
    }

    /// A `-- comment` line the branch removes is `--- comment` in the patch: the revert of a
    /// landed line after it, in the same file, is still seen.
    @Test func aRevertAfterARemovedCommentLineIsStillRefused() throws {
        let f = try MergeQueueFixture(files: ["q.sql": "-- one\na\nb\nc\nd\n"])
        let x = try f.task("Capitalise c", files: ["q.sql": "-- one\na\nb\nC\nd\n"])
        let y = try f.task("Drop the comment")
        try f.enqueue(x)
        let landed = try f.process()
        #expect(landed.decided == [Decided(1, 1, .landed, commit: try f.main)])
        try f.git(["merge", "--quiet", "--no-edit", "main"], in: y.path)
        try f.commit(["q.sql": "a\nb\nc\nd\n"], in: y, message: "no comment, and my old copy of c")
        try f.enqueue(y)

        let run = try f.process()

        #expect(run.decided == [Decided(2, 2, .refused, .staleBase)])
        #expect(run.detail(0).contains("main after your branch started: q.sql line 4 (line numbers of main). "))
        #expect(try f.file("q.sql") == "-- one\na\nb\nC\nd\n")
    }

    // MARK: Work already on main

    @Test(arguments: [1, 2])
    func aBranchWhoseWorkLandedWithAnotherCandidateIsClosedWithoutANewCommit(batch: Int) throws {
        let f = try MergeQueueFixture { $0.mergeQueue.batch = batch }
        let one = try f.task("Add a", files: ["a.txt": "a\n"])
        let two = try f.task("Add a too", files: ["a.txt": "a\n"])
        try f.enqueue(one)
        try f.enqueue(two, agent: "codex")

        let run = try f.process()

        let landed = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: landed), Decided(2, 2, .alreadyLanded, commit: landed, agent: "codex")])
        #expect(try f.subjects() == ["Add a", "initial"])
        #expect(run.gateRuns == 1)
        #expect(try f.section(of: two) == .done && f.board().task(id: 2)?.landedCommit == String(landed.prefix(12)))
        #expect(try f.braidRefs().isEmpty && f.branches() == ["main"])
        #expect(!FileManager.default.fileExists(atPath: two.path.path))
    }

    /// In a batch, a candidate whose work is all in an earlier candidate's is not closed on the
    /// strength of that candidate's unlanded commit: when the gate refuses the earlier one, the
    /// later one lands its own work, and its branch is never deleted unlanded.
    @Test func aBranchCoveredOnlyByARefusedCandidateOfItsBatchStillLands() throws {
        let f = try MergeQueueFixture(gate: "if [ -e bad.txt ]; then echo bad.txt is bad; exit 1; fi") { $0.mergeQueue.batch = 2 }
        let start = try f.main
        let big = try f.task("Add a, and bad", files: ["a.txt": "a\n", "bad.txt": "bad\n"])
        let small = try f.task("Add a", files: ["a.txt": "a\n"])
        try f.enqueue(big)
        try f.enqueue(small)

        let run = try f.process()

        let landed = try f.main
        #expect(run.decided == [Decided(1, 1, .refused, .gateFailed), Decided(2, 2, .landed, commit: landed)])
        #expect(try f.parents(landed) == [start])
        #expect(try f.file("a.txt") == "a\n" && f.file("bad.txt") == nil)
        #expect(try f.section(of: big) == .todo && f.section(of: small) == .done)
        #expect(try f.branches() == [big.worktree.branch, "main"])
    }

    /// patch-id ignores whitespace: "TWO" and "T WO" are one patch, and conflict. Measured against
    /// an earlier candidate of the batch that has not landed, neither the conflict nor the patch-id
    /// match is held against "T WO": it waits for the next pass and, that candidate refused, lands.
    @Test func aBranchInConflictOnlyWithAnUnlandedCandidateLandsOnceThatOneIsRefused() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "one\ntwo\nthree\n"],
                                      gate: "if grep -q '^TWO$' a.txt; then echo no shouting; exit 1; fi") { $0.mergeQueue.batch = 2 }
        let start = try f.main
        let loud = try f.task("Shout two", files: ["a.txt": "one\nTWO\nthree\n"])
        let spaced = try f.task("Shout two, spaced", files: ["a.txt": "one\nT WO\nthree\n"])
        try f.enqueue(loud)
        try f.enqueue(spaced)

        let run = try f.process()

        let landed = try f.main
        #expect(run.decided == [Decided(1, 1, .refused, .gateFailed), Decided(2, 2, .landed, commit: landed)])
        #expect(try f.parents(landed) == [start])
        #expect(try f.file("a.txt") == "one\nT WO\nthree\n")
        #expect(try f.section(of: spaced) == .done && f.section(of: loud) == .todo)
        #expect(try f.branches() == [loud.worktree.branch, "main"])
    }

    @Test func aBranchAppliedByHandAndChangedSinceIsFoundByPatchID() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "one\ntwo\nthree\n"])
        let task = try f.task("Capitalise two", files: ["a.txt": "one\nTWO\nthree\n"])
        // The same change lands by hand as another commit, then main changes that line again:
        // merging the branch now conflicts, but its work is there.
        let picked = try f.commit(["a.txt": "one\nTWO\nthree\n"], at: f.root, message: "the same, by hand")
        #expect(picked != (try f.tip(task)))
        let later = try f.commit(["a.txt": "one\nTWO!\nthree\n"], at: f.root, message: "more emphasis")
        try f.enqueue(task)

        let run = try f.process()

        #expect(run.decided == [Decided(1, 1, .alreadyLanded, commit: picked)])
        #expect(run.detail(0).contains("same patch-id"))
        #expect(try f.main == later && f.file("a.txt") == "one\nTWO!\nthree\n")
        #expect(run.gateRuns == 0)
        #expect(try f.section(of: task) == .done && f.board().task(id: task.id)?.landedCommit == String(picked.prefix(12)))
    }

    // MARK: Where main is checked out

    @Test func localChangesTheLandingWouldTouchMakeTheQueueWaitAndAreKept() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "1\n2\n3\n4\n5\n", "README.md": "hello\n"])
        let start = try f.main
        let task = try f.task("Spell out one", files: ["a.txt": "one\n2\n3\n4\n5\n"])
        let mine = Data("1\n2\n3\n4\nfive (mine)\n".utf8)
        try mine.write(to: f.root.appendingPathComponent("a.txt"))
        try f.enqueue(task)

        let waited = try f.process()

        let waiting = try #require(waited.waiting)
        #expect(waiting.contains("a.txt") && waiting.contains(f.root.path) && waiting.contains("#1"))
        #expect(waited.decisions.isEmpty)
        #expect(try f.main == start && f.git(["rev-parse", "HEAD"]) == start)
        #expect(try f.bytes("a.txt") == mine)
        #expect(try f.state().pending.map(\.task) == [1] && f.braidRefs() == ["refs/braid/queue/task-1"])
        #expect(try f.section(of: task) == .review)

        try f.git(["stash", "--quiet"])
        let landed = try f.process()

        let commit = try f.main
        #expect(landed.decided == [Decided(1, 1, .landed, commit: commit)] && landed.waiting == nil)
        #expect(try f.parents(commit) == [start] && f.file("a.txt") == "one\n2\n3\n4\n5\n")
        try f.git(["stash", "pop", "--quiet"])
        #expect(try String(decoding: f.bytes("a.txt"), as: UTF8.self) == "one\n2\n3\n4\nfive (mine)\n")
    }

    @Test func anUntrackedFileTheLandingWouldCreateMakesTheQueueWaitAndIsKept() throws {
        let f = try MergeQueueFixture()
        let start = try f.main
        let task = try f.task("Add a", files: ["a.txt": "theirs\n"])
        let mine = Data("my own a.txt, never added\n".utf8)
        try mine.write(to: f.root.appendingPathComponent("a.txt"))
        try f.enqueue(task)

        let waited = try f.process()

        #expect(try #require(waited.waiting).contains("local changes to a.txt"))
        #expect(try waited.decisions.isEmpty && f.main == start)
        #expect(try f.bytes("a.txt") == mine)

        try FileManager.default.removeItem(at: f.root.appendingPathComponent("a.txt"))
        let landed = try f.process()
        #expect(landed.decided == [Decided(1, 1, .landed, commit: try f.main)])
        #expect(try f.bytes("a.txt") == Data("theirs\n".utf8))
    }

    @Test func localChangesToOtherFilesDoNotStopTheLandingAndSurviveIt() throws {
        let f = try MergeQueueFixture(files: ["a.txt": "1\n", "README.md": "hello\n"])
        let task = try f.task("Change a", files: ["a.txt": "one\n"])
        let mine = Data("hello, my edit\n".utf8)
        try mine.write(to: f.root.appendingPathComponent("README.md"))
        try f.fixture.write("scratch\n", to: "notes.txt", in: f.root)
        try f.enqueue(task)

        let run = try f.process()

        let commit = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: commit)] && run.waiting == nil)
        #expect(try f.git(["rev-parse", "HEAD"]) == commit)
        #expect(try f.bytes("a.txt") == Data("one\n".utf8))
        #expect(try f.bytes("README.md") == mine && f.bytes("notes.txt") == Data("scratch\n".utf8))
        #expect(try f.git(["diff", "--name-only"]) == "README.md")
        #expect(try f.file("README.md") == "hello\n")
    }

    @Test(arguments: [["checkout", "--quiet", "-b", "elsewhere"], ["checkout", "--quiet", "--detach"]])
    func mainCheckedOutNowhereIsMovedByCompareAndSwap(_ leaveMain: [String]) throws {
        let f = try MergeQueueFixture()
        let start = try f.main
        try f.git(leaveMain)
        let head = try f.git(["rev-parse", "--symbolic-full-name", "HEAD"])
        let task = try f.task("Add a", files: ["a.txt": "a\n"])
        try f.enqueue(task)

        let run = try f.process()

        let commit = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: commit)])
        #expect(try f.parents(commit) == [start] && f.file("a.txt") == "a\n")
        // The move was update-ref's (no merge in any checkout): the root is where it was.
        #expect(try f.git(["reflog", "show", "-1", "--format=%gs", "refs/heads/main"]).isEmpty)
        #expect(try f.git(["rev-parse", "--symbolic-full-name", "HEAD"]) == head && f.git(["rev-parse", "HEAD"]) == start)
        #expect(!FileManager.default.fileExists(atPath: f.root.appendingPathComponent("a.txt").path))
        #expect(try f.braidRefs().isEmpty && f.branches().filter { $0.hasPrefix("braid/") }.isEmpty)
    }

    @Test func mainCheckedOutInTheRootIsFastForwardedThere() throws {
        let f = try MergeQueueFixture()
        let task = try f.task("Add a", files: ["a.txt": "a\n"])
        try f.enqueue(task)
        let run = try f.process()
        let commit = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: commit)])
        #expect(try f.git(["reflog", "show", "-1", "--format=%gs", "refs/heads/main"]).hasPrefix("merge \(commit): Fast-forward"))
        #expect(try f.bytes("a.txt") == Data("a\n".utf8))
    }

    @Test func mainCheckedOutInAnotherWorktreeIsFastForwardedThere() throws {
        let f = try MergeQueueFixture()
        try f.git(["checkout", "--quiet", "-b", "elsewhere"])
        let other = f.folder.appendingPathComponent("main checkout")
        try f.git(["worktree", "add", "--quiet", other.path, "main"])
        let task = try f.task("Add a", files: ["a.txt": "a\n"])
        try f.enqueue(task)

        let run = try f.process()

        let commit = try f.main
        #expect(run.decided == [Decided(1, 1, .landed, commit: commit)])
        #expect(try f.git(["rev-parse", "HEAD"], in: other) == commit)
        #expect(try f.bytes("a.txt", in: other) == Data("a\n".utf8))
        #expect(!FileManager.default.fileExists(atPath: f.root.appendingPathComponent("a.txt").path))
    }
}
