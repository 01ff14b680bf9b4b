/// Why a program could not be started. A program that started and then failed is not an error
/// here: its `CommandResult` says how it ended, and the caller decides what that means.
public enum CommandError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is not on `PATH`, or the path is not an executable file.
    case executableNotFound(String)
    /// The program exists but could not be started (a missing working directory, for one).
    case launchFailed(executable: String, reason: String)

    public var description: String {
        switch self {
        case .executableNotFound(let name):
            return "\(name): no such executable on PATH; install it or put it on PATH"
        case .launchFailed(let executable, let reason):
            return "\(executable) could not be started: \(reason)"
        }
    }
}
