import BraidCore
import Testing

@Suite struct PathGlobTests {
    @Test(arguments: [
        ("src/auth/**", "src/auth/login.swift", true),
        ("src/auth/**", "src/ui/**", false),
        ("src/**", "src/ui/login.*", true),
        ("src/ui/login.*", "src/ui/*.swift", true),
        ("src/ui/login.*", "src/ui/logout.*", false),
        ("**/*.md", "docs/guide/intro.md", true),
        ("**/*.md", "src/main.swift", false),
        ("a/?/c", "a/b/c", true),
        ("a/?/c", "a/bb/c", false),
        ("./src/", "src/x/y", true),
        ("README.md", "README.md", true),
        ("README.md", "CHANGELOG.md", false),
        ("**", "anything/at/all", true),
    ])
    func overlapIsDecidedExactly(a: String, b: String, overlaps: Bool) {
        #expect(PathGlob(a).overlaps(PathGlob(b)) == overlaps)
        #expect(PathGlob(b).overlaps(PathGlob(a)) == overlaps)
    }
}

@Suite struct SchedulerTests {
    typealias C = Scheduler.Candidate

    @Test func startsUpToTheFreeSlotsInPriorityThenBoardOrder() {
        let todo = [C(id: 1), C(id: 2, priority: 1), C(id: 3, priority: 2), C(id: 4)]
        let picked = Scheduler.pick(todo: todo, running: [], done: [], freeSlots: 3)
        #expect(picked.start == [3, 2, 1])
        #expect(picked.waiting[4] == .noFreeSlot)
    }

    @Test func overlappingTouchesAreSerialized() {
        let todo = [C(id: 1, touches: ["src/auth/**"]), C(id: 2, touches: ["src/auth/login.swift"]), C(id: 3, touches: ["docs/**"])]
        let picked = Scheduler.pick(todo: todo, running: [], done: [], freeSlots: 3)
        #expect(picked.start == [1, 3])
        #expect(picked.waiting[2] == .overlaps(task: 1, glob: "src/auth/**"))
        // Against a task already running, too.
        let later = Scheduler.pick(todo: [C(id: 2, touches: ["src/auth/login.swift"])], running: [C(id: 1, touches: ["src/**"])],
                                   done: [], freeSlots: 2)
        #expect(later.start.isEmpty)
    }

    @Test func aTaskWaitsForItsAfterTasksToBeDone() {
        let todo = [C(id: 5, after: [4]), C(id: 6, after: [1])]
        let picked = Scheduler.pick(todo: todo, running: [C(id: 4)], done: [1], freeSlots: 3)
        #expect(picked.start == [6])
        #expect(picked.waiting[5] == .after(4))
    }

    @Test func aRunningTaskIsNeverStartedTwice() {
        let picked = Scheduler.pick(todo: [C(id: 1)], running: [C(id: 1)], done: [], freeSlots: 3)
        #expect(picked.start.isEmpty)
    }
}
