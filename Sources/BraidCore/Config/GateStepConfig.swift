/// One gate step: an argv array, or a shell string only when the step says `shell: true`.
public struct GateStepConfig: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        case argv([String])
        case shell(String)
    }

    public var name: String
    public var command: Command
    /// Overrides `stepTimeoutSeconds`.
    public var timeoutSeconds: Int?

    public init(name: String, command: Command, timeoutSeconds: Int? = nil) {
        self.name = name
        self.command = command
        self.timeoutSeconds = timeoutSeconds
    }
}
