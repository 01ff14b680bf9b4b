/// One gate step: an argv array, a shell string only when the step says `shell: true`, or one of
/// Braid's built-in checks (`"run": "braid:secrets"`).
public struct GateStepConfig: Sendable, Equatable {
    public enum Command: Sendable, Equatable {
        case argv([String])
        case shell(String)
        case builtin(BuiltinGateStep)
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

    /// The built-in check this step runs, if it is one.
    public var builtin: BuiltinGateStep? {
        if case .builtin(let step) = command { return step }
        return nil
    }
}
