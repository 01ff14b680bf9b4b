import Foundation

/// A program to run and how: an argv array handed to the program as is, never a shell command line,
/// so that no title, branch or path can be read as shell syntax.
public struct Command: Sendable, Hashable {
    /// A path, or a name looked up on `PATH` the way a shell would.
    public var executable: String
    public var arguments: [String]
    /// Where the program starts; the runner's own directory when nil.
    public var workingDirectory: URL?
    /// Added to the inherited environment, replacing variables of the same name.
    public var environment: [String: String]
    /// Removed from the inherited environment before `environment` is added, for variables that
    /// would change what the program does (a hook's `GIT_DIR`, for one).
    public var unsetEnvironment: Set<String>
    /// Written to the program's standard input, which is then closed. When nil the program reads
    /// `/dev/null`: a child must never share a server's stdin, where JSON-RPC frames arrive.
    public var standardInput: Data?
    /// After this long the program's process group is sent SIGTERM, then SIGKILL after
    /// `terminationGracePeriod`; the result says `timedOut`.
    public var timeLimit: Duration?
    /// Time between SIGTERM and SIGKILL once the limit has passed. Git removes its lock files on
    /// SIGTERM but cannot on SIGKILL, so a stopped git should get the chance.
    public var terminationGracePeriod: Duration
    /// Standard error goes into the same pipe as standard output, interleaved as written (as
    /// `2>&1` would); the result's `stderr` is then empty.
    public var standardErrorToOutput: Bool
    /// Keep only the last this many bytes of each stream, and count the rest in the result's
    /// `droppedOutputBytes`: memory stays bounded whatever the program prints. Nil keeps everything.
    public var outputTailLimit: Int?

    public init(_ executable: String, _ arguments: [String] = [], workingDirectory: URL? = nil,
                environment: [String: String] = [:], unsetEnvironment: Set<String> = [],
                standardInput: Data? = nil, timeLimit: Duration? = nil,
                terminationGracePeriod: Duration = .seconds(2), standardErrorToOutput: Bool = false,
                outputTailLimit: Int? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.workingDirectory = workingDirectory
        self.environment = environment
        self.unsetEnvironment = unsetEnvironment
        self.standardInput = standardInput
        self.timeLimit = timeLimit
        self.terminationGracePeriod = terminationGracePeriod
        self.standardErrorToOutput = standardErrorToOutput
        self.outputTailLimit = outputTailLimit
    }
}
