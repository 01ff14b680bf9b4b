/// Which Todo tasks may start now: the dispatch rules of DESIGN.md, as one pure function.
///
/// A task runs only once at a time; tasks whose `touches:` globs overlap never run side by side;
/// a task waits until every task in its `after:` is Done; at most `freeSlots` start. Among the
/// runnable, a higher `priority:` number goes first (as the board documents), tasks without one
/// after those with one, then board order.
public enum Scheduler {
    public struct Candidate: Sendable, Equatable {
        public let id: Int
        public let priority: Int?
        public let touches: [String]
        public let after: [Int]

        public init(id: Int, priority: Int? = nil, touches: [String] = [], after: [Int] = []) {
            self.id = id
            self.priority = priority
            self.touches = touches
            self.after = after
        }

        public init(_ task: BoardTask, id: Int) {
            self.init(id: id, priority: task.priority, touches: task.touches, after: task.after)
        }
    }

    /// Why a Todo task did not start, for `braid status` and the run log.
    public enum Wait: Sendable, Equatable {
        case noFreeSlot
        case overlaps(task: Int, glob: String)
        case after(Int)
    }

    /// - Parameters:
    ///   - todo: the Todo tasks, in board order.
    ///   - running: tasks with a session now (with their touches).
    ///   - done: ids of tasks in Done.
    public static func pick(todo: [Candidate], running: [Candidate], done: Set<Int>, freeSlots: Int)
        -> (start: [Int], waiting: [Int: Wait])
    {
        var start: [Int] = []
        var waiting: [Int: Wait] = [:]
        var occupied = running.map { (id: $0.id, globs: $0.touches.map(PathGlob.init)) }
        let runningIDs = Set(running.map(\.id))
        let ordered = todo.enumerated().sorted { lhs, rhs in
            switch (lhs.element.priority, rhs.element.priority) {
            case let (l?, r?) where l != r: return l > r
            case (.some, .none): return true
            case (.none, .some): return false
            default: return lhs.offset < rhs.offset
            }
        }.map(\.element)
        for task in ordered where !runningIDs.contains(task.id) {
            if let blocker = task.after.first(where: { !done.contains($0) }) {
                waiting[task.id] = .after(blocker)
                continue
            }
            let globs = task.touches.map(PathGlob.init)
            if let clash = occupied.lazy.compactMap({ other -> Wait? in
                for mine in globs { for theirs in other.globs where mine.overlaps(theirs) { return .overlaps(task: other.id, glob: theirs.pattern) } }
                return nil
            }).first {
                waiting[task.id] = clash
                continue
            }
            guard start.count < freeSlots else {
                waiting[task.id] = .noFreeSlot
                continue
            }
            start.append(task.id)
            occupied.append((task.id, globs))
        }
        return (start, waiting)
    }
}
