#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

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

    public init(path: URL, lockPath: URL) {
        self.path = path
        self.lockPath = lockPath
    }

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

    private func updateLocked<T>(_ body: (inout Board) throws -> T) throws -> T {
        let loaded = try load()
        var board = loaded?.board ?? .empty
        let before = loaded?.text ?? Board.emptyText
        let result = try body(&board)
        let after = board.render()
        // Compared as bytes: String equality would call canonically equivalent texts equal.
        if !after.utf8.elementsEqual(before.utf8) {
            try replaceFile(with: after)
        }
        return result
    }

    // MARK: Reading

    private func load() throws -> (text: String, board: Board)? {
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
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw BoardError.notUTF8(path: path.path)
        }
        return (text, Board.parse(text))
    }

    // MARK: Writing

    /// Replaces the board file atomically (see `AtomicFile`).
    private func replaceFile(with text: String) throws {
        do {
            try AtomicFile.write(text, to: path)
        } catch {
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

