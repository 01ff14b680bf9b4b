#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// When an agent last showed a sign of life: the newest modification time of its log file and of
/// anything in its worktree (files and folders, so that a removed file counts; symbolic links are
/// not followed, so a linked `node_modules` is not walked). `.git` is included: a commit is work.
enum LatestActivity {
    /// The newest modification time found, or nil when neither the log nor the tree exists.
    static func newest(logFile: URL, worktree: URL) -> Date? {
        var newest: timespec?
        func consider(_ time: timespec) {
            if let current = newest, (current.tv_sec, current.tv_nsec) >= (time.tv_sec, time.tv_nsec) { return }
            newest = time
        }
        var info = stat()
        if stat(logFile.path, &info) == 0 { consider(info.st_mtim) }
        walk(worktree.path, consider)
        return newest.map { Date(timeIntervalSince1970: Double($0.tv_sec) + Double($0.tv_nsec) / 1e9) }
    }

    /// Calls `consider` with the modification time of `path` and of everything below it.
    private static func walk(_ path: String, _ consider: (timespec) -> Void) {
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        consider(info.st_mtim)
        let folder = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        if folder >= 0 { walk(folder: folder, consider) }
    }

    /// Walks an open folder, which it closes. Names are used as bytes, relative to the folder, so
    /// that any file name works and no path grows long.
    private static func walk(folder: Int32, _ consider: (timespec) -> Void) {
        guard let directory = fdopendir(folder) else {
            close(folder)
            return
        }
        defer { closedir(directory) }
        while let entry = readdir(directory) {
            withUnsafeBytes(of: entry.pointee.d_name) { raw in
                let name = raw.baseAddress!.assumingMemoryBound(to: CChar.self)
                if strcmp(name, ".") == 0 || strcmp(name, "..") == 0 { return }
                var info = stat()
                guard fstatat(folder, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { return }
                consider(info.st_mtim)
                guard (info.st_mode & S_IFMT) == S_IFDIR else { return }
                let child = openat(folder, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
                if child >= 0 { walk(folder: child, consider) }
            }
        }
    }
}
