#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import Synchronization

/// The board file on disk, shared by Braid's processes and the person editing it.
///
/// Every change goes through `update`, which holds an exclusive lock on a separate lock file,
/// re-reads the file as it is now, applies the change, and replaces the file atomically. So a
/// person's edit saved between Braid's last read and its write is merged in, never overwritten,
/// and two processes adding tasks at once both land, with distinct ids. Reading needs no lock:
/// the file is only ever replaced whole, by `rename`.
public struct BoardStore: Sendable {
    public let path: URL
    public let lockPath: URL
    /// The largest id ever handed out, so that removing the last task never frees its id.
    public let idFloorPath: URL

    public init(path: URL, lockPath: URL) {
        self.path = path
        self.lockPath = lockPath
        self.idFloorPath = lockPath.deletingLastPathComponent().appendingPathComponent(lockPath.deletingPathExtension().lastPathComponent + ".last-id")
    }

    /// The last two boards this process read or wrote, per file, newest first, with their exact
    /// bytes. Reading the same bytes again (the daemon looks after every change of the journal, most
    /// of which leave the board as it was, and after every change Braid itself wrote) gives the board
    /// back without parsing a large file again; any other bytes are parsed. Two, so that a read that
    /// began just before a write (and got the bytes before it) does not push out the newest.
    private static let parsed = Mutex<[String: [(bytes: [UInt8], text: String, board: Board)]]>([:])

    private func remembered(_ bytes: [UInt8]) -> (text: String, board: Board)? {
        let known = Self.parsed.withLock { $0[path.path] } ?? []
        guard let hit = known.first(where: { $0.bytes == bytes }) else { return nil }
        return (hit.text, hit.board)
    }

    private func remember(_ bytes: [UInt8], _ text: String, _ board: Board) {
        var board = board
        board.idFloor = 0  // as parsed: the floor lives outside the file
        Self.parsed.withLock { cache in
            var known = cache[path.path] ?? []
            known.removeAll { $0.bytes == bytes }
            known.insert((bytes, text, board), at: 0)
            cache[path.path] = Array(known.prefix(2))
        }
    }

    /// How often an update is redone when the file was saved by someone else while it ran.
    private static let attemptsAgainstConcurrentSaves = 8

    /// The board as it is on disk; a missing file reads as `Board.empty`.
    public func read() throws -> Board {
        try load()?.board ?? .empty
    }

    /// Applies `body` to the current board under the lock, and writes the result if it changed.
    ///
    /// Waits for the lock while another process (or another `BoardStore`) holds it. If `body`
    /// throws, nothing is written and the error is rethrown.
    @discardableResult
    public func update<T>(_ body: (inout Board) throws -> T) throws -> T {
        do {
            return try FileLock.withExclusiveLock(at: lockPath) { try updateLocked(body) }
        } catch let error as FileLock.LockError {
            throw BoardError.cannotLock(path: error.path, reason: error.reason)
        }
    }

    /// Tasks written by hand without an id get one first. If a person's editor saves the file
    /// while the change is being written, the new file is not put in place: the change is redone
    /// on what they saved.
    private func updateLocked<T>(_ body: (inout Board) throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            let loaded = try load()
            var board = loaded?.board ?? .empty
            board.idFloor = readIDFloor()
            let before = loaded?.text ?? Board.emptyText
            board.assignMissingIDs()
            let result = try body(&board)
            let after = board.render()
            // Compared as bytes: String equality would call canonically equivalent texts equal.
            if !after.utf8.elementsEqual(before.utf8) {
                let bytes = Array(after.utf8)
                // `board` is what reading these bytes gives: known before they are in place, so that
                // a read right after the rename finds it.
                remember(bytes, after, board)
                do {
                    try replaceFile(with: bytes, unlessChangedFrom: loaded?.version)
                } catch is AtomicFile.TargetChanged {
                    if attempt < Self.attemptsAgainstConcurrentSaves { continue }
                    throw BoardError.cannotWrite(path: path.path, reason:
                        "someone else saved it \(attempt) times while Braid was writing it; nothing was written, try again")
                }
                writeIDFloor(board.nextID - 1)
            }
            return result
        }
    }

    private func readIDFloor() -> Int {
        guard let text = try? String(contentsOf: idFloorPath, encoding: .utf8) else { return 0 }
        return Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
    }

    private func writeIDFloor(_ id: Int) {
        guard id > readIDFloor() else { return }
        // Best effort: the board itself still holds every id it shows.
        try? AtomicFile.write("\(id)\n", to: idFloorPath)
    }

    // MARK: Reading

    private func load() throws -> (text: String, board: Board, version: AtomicFile.Version?)? {
        let fd = open(path.path, O_RDONLY | O_CLOEXEC)
        if fd < 0 {
            if errno == ENOENT { return nil }
            throw BoardError.cannotRead(path: path.path, reason: Self.reason(errno))
        }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let count = chunk.withUnsafeMutableBytes { systemRead(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw BoardError.cannotRead(path: path.path, reason: Self.reason(errno))
            }
            if count == 0 { break }
            bytes.append(contentsOf: chunk[0..<count])
        }
        if let known = remembered(bytes) { return (known.text, known.board, AtomicFile.Version.of(descriptor: fd)) }
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BoardError.notUTF8(path: path.path)
        }
        let board = Board.parse(text)
        remember(bytes, text, board)
        return (text, board, AtomicFile.Version.of(descriptor: fd))
    }

    // MARK: Writing

    /// Replaces the board file atomically (see `AtomicFile`), unless it is no longer the version read.
    private func replaceFile(with bytes: [UInt8], unlessChangedFrom version: AtomicFile.Version?) throws {
        do {
            try AtomicFile.write(bytes, to: path) { AtomicFile.Version.of(path.resolvingSymlinksInPath()) == version }
        } catch let error as AtomicFile.WriteError {
            throw BoardError.cannotWrite(path: path.path, reason: error.reason)
        }
    }

    private static func reason(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

// At file scope, where the names mean the system calls rather than `BoardStore`'s methods.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}

