#if canImport(Glibc)
import Glibc
#endif

/// Functions of the C library that Swift's Glibc module does not export, looked up by name at run
/// time. Each is nil where the C library lacks it (glibc before 2.29, 2.34 and 2.36 respectively).
enum GlibcExtras {
    typealias AddChdir = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32
    typealias AddClosefrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    typealias PidfdOpen = @convention(c) (pid_t, UInt32) -> Int32

    /// `posix_spawn_file_actions_addchdir_np`: the child's working directory.
    static let addChdir: AddChdir? = symbol("posix_spawn_file_actions_addchdir_np")
    /// `posix_spawn_file_actions_addclosefrom_np`: close every descriptor from a number up.
    static let addClosefrom: AddClosefrom? = symbol("posix_spawn_file_actions_addclosefrom_np")
    /// `pidfd_open`: a descriptor that becomes readable when a process (not only a child) ends.
    static let pidfdOpen: PidfdOpen? = symbol("pidfd_open")

    private static func symbol<Function>(_ name: String) -> Function? {
        // A null handle is RTLD_DEFAULT: search the libraries already loaded.
        guard let address = dlsym(nil, name) else { return nil }
        return unsafeBitCast(address, to: Function.self)
    }
}
