#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
@testable import BraidCore

@Suite struct JournalLockTests {
    private func flockSucceeds(_ lock: URL) throws -> Bool {
        try CommandRunner.run(Command("/usr/bin/flock", ["-n", lock.path, "true"])).status == 0
    }

    @Test func anotherProcessCannotTakeTheLockWhileTheJournalIsOpen() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        #expect(try !flockSucceeds(dir.journalLock))
        journal.close()
        #expect(try flockSucceeds(dir.journalLock))
    }

    @Test func aSecondOpenInThisProcessFailsNamingIt() throws {
        let dir = try TemporaryDirectory()
        let journal = try dir.openJournal()
        do {
            _ = try dir.openJournal()
            Issue.record("opened the journal twice")
        } catch let error as JournalError {
            #expect(error == .locked(lockFile: dir.journalLock.path, pid: getpid()))
            #expect(error.description.contains("this process (pid \(getpid()))"))
        }
        journal.close()
        _ = try dir.openJournal()
    }

    @Test func openingWhileAnotherProcessHoldsTheLockFailsWithItsPid() throws {
        let dir = try TemporaryDirectory()
        // flock(1) holds the lock while its shell records its pid, says it, and waits for stdin to close.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/flock")
        holder.arguments = ["-n", dir.journalLock.path, "/bin/sh", "-c", #"echo $$ > "$0"; echo $$; read line || true"#,
                            dir.journalLock.path]
        let input = Pipe(), output = Pipe()
        holder.standardInput = input
        holder.standardOutput = output
        let exited = DispatchSemaphore(value: 0)
        holder.terminationHandler = { _ in exited.signal() }
        try holder.run()
        var released = false
        defer {
            if !released {
                try? input.fileHandleForWriting.close()
                _ = exited.wait(timeout: .now() + 30)
            }
        }
        var said: [UInt8] = []
        while said.last != 0x0A {
            guard let byte = try output.fileHandleForReading.read(upToCount: 1), !byte.isEmpty else { break }
            said += byte
        }
        let pid = Int32(String(decoding: said, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines))
        #expect(pid != nil)

        do {
            _ = try dir.openJournal()
            Issue.record("opened a journal that another process holds")
        } catch let error as JournalError {
            #expect(error == .locked(lockFile: dir.journalLock.path, pid: pid))
            #expect(error.description.contains("Braid process \(pid ?? 0) holds it"))
        }

        try input.fileHandleForWriting.close()
        released = true
        #expect(exited.wait(timeout: .now() + 30) == .success)
        #expect(holder.terminationStatus == 0)
        _ = try dir.openJournal()
    }

    @Test func aHolderThatRecordedNoPidIsStillReportedClearly() throws {
        let dir = try TemporaryDirectory()
        let fd = try #require(try FileLock.tryAcquire(dir.journalLock))
        defer { FileLock.release(fd) }
        #expect(throws: JournalError.locked(lockFile: dir.journalLock.path, pid: nil)) { try dir.openJournal() }
        #expect(JournalError.locked(lockFile: "l", pid: nil).description.contains("another Braid process holds it"))
    }
}
