#if canImport(Glibc)
import Glibc
#endif
import Foundation

/// The one `posix_spawn` call behind `CommandRunner` and `AgentProcess`, with everything a child
/// must and must not get from the daemon:
/// - its own process group, so that the whole tree it starts can be signalled at once;
/// - default dispositions for every signal and none blocked: the daemon ignores SIGPIPE and Swift's
///   threads block most signals, and a child inherits both (`Foundation.Process` resets neither,
///   so `yes | head` in a gate would print "Broken pipe" and a `git` could not be stopped);
/// - the three descriptors it is given as stdin, stdout and stderr, and no other.
enum ChildSpawn {
    struct Request {
        /// As the caller named it: the child's `argv[0]`, and what errors name.
        let executable: String
        /// The file to run, found by `ExecutableSearch`.
        let path: String
        let arguments: [String]
        /// The child's whole environment.
        let environment: [String: String]
        /// Nil: the daemon's own.
        let workingDirectory: String?
        /// Open descriptors, above 2, that the child gets as 0, 1 and 2.
        let standardInput: Int32
        let standardOutput: Int32
        let standardError: Int32
    }

    /// Starts the program and returns its pid, which is also its process group's id.
    static func start(_ request: Request) throws(CommandError) -> pid_t {
        func failure(_ reason: String) -> CommandError {
            .launchFailed(executable: request.executable, reason: reason)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, request.standardInput, 0)
        posix_spawn_file_actions_adddup2(&actions, request.standardOutput, 1)
        posix_spawn_file_actions_adddup2(&actions, request.standardError, 2)
        if let directory = request.workingDirectory {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: directory, isDirectory: &isDirectory), isDirectory.boolValue else {
                throw failure("working directory \(directory) does not exist")
            }
            guard let addChdir = GlibcExtras.addChdir else {
                throw failure("this C library cannot start a program in another directory (glibc 2.29 or later can)")
            }
            _ = directory.withCString { addChdir(&actions, $0) }
        }
        if let addClosefrom = GlibcExtras.addClosefrom {
            _ = addClosefrom(&actions, 3)
        } else {
            markDescriptorsCloseOnExec()
        }

        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var all = sigset_t()
        sigfillset(&all)
        posix_spawnattr_setsigdefault(&attributes, &all)
        var none = sigset_t()
        sigemptyset(&none)
        posix_spawnattr_setsigmask(&attributes, &none)
        // Group 0: a new group whose id is the child's pid.
        posix_spawnattr_setpgroup(&attributes, 0)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK))

        let argv = CStringArray([request.executable] + request.arguments)
        let envp = CStringArray(request.environment.map { "\($0.key)=\($0.value)" }.sorted())
        var pid: pid_t = 0
        let error = posix_spawn(&pid, request.path, &actions, &attributes, argv.pointers, envp.pointers)
        guard error == 0 else { throw failure(describe(error)) }
        return pid
    }

    /// Where `posix_spawn` cannot close descriptors itself (glibc before 2.34): every descriptor
    /// above stderr is marked close-on-exec. One opened by another thread meanwhile can still leak.
    private static func markDescriptorsCloseOnExec() {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd") else { return }
        for fd in names.compactMap(Int32.init) where fd > 2 {
            let flags = fcntl(fd, F_GETFD)
            if flags >= 0 { _ = fcntl(fd, F_SETFD, flags | FD_CLOEXEC) }
        }
    }

    /// The C library's message for an error number.
    static func describe(_ error: Int32) -> String {
        String(cString: strerror(error))
    }
}

/// A NULL-terminated array of C strings that lives as long as this value, for `argv` and `envp`.
private final class CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
