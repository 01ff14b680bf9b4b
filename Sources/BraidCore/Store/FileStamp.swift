import Foundation

/// A file's identity and version, cheap to compare (one `stat`): a file replaced by rename gets a
/// new inode, a save a new size or modification time. Tells whether to read a file again.
public struct FileStamp: Equatable, Sendable {
    public let inode: UInt64
    public let size: Int64
    public let modified: Int
    public let modifiedNanos: Int

    /// Nil when the file does not exist (or cannot be looked at).
    public init?(of url: URL) {
        var info = stat()
        guard stat(url.path, &info) == 0 else { return nil }
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = info.st_mtim.tv_sec
        modifiedNanos = info.st_mtim.tv_nsec
    }
}
