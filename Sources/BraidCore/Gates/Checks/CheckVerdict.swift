/// What a built-in check decided, worded for the person or agent who reads the gate's output.
public struct CheckVerdict: Sendable, Hashable {
    public let passed: Bool
    /// Why, in lines: on a failure, what is wrong and how to put it right.
    public let message: String

    public static func pass(_ message: String) -> CheckVerdict { CheckVerdict(passed: true, message: message) }
    public static func fail(_ message: String) -> CheckVerdict { CheckVerdict(passed: false, message: message) }
}
