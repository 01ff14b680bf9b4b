#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// All of standard input. A regular file (`braid secrets --stdin-diff < big.diff`) is mapped into
/// memory rather than copied, which for a diff of 150 MB saves a third of the run.
enum StandardInput {
    static func readAll() -> Data {
        var info = stat()
        // Mapped only when nothing of it was read yet: a mapping starts at the file's start.
        if fstat(0, &info) == 0, info.st_mode & S_IFMT == S_IFREG, info.st_size > 0, lseek(0, 0, SEEK_CUR) == 0,
           let mapped = mmap(nil, Int(info.st_size), PROT_READ, MAP_PRIVATE, 0, 0), mapped != MAP_FAILED {
            let length = Int(info.st_size)
            return Data(bytesNoCopy: mapped, count: length, deallocator: .custom { pointer, count in munmap(pointer, count) })
        }
        return FileHandle.standardInput.readDataToEndOfFile()
    }
}
