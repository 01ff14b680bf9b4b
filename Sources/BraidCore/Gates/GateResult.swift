import Foundation

/// A whole gate run: the steps that ran, in order, up to and including the first that failed.
public struct GateResult: Sendable, Hashable, Codable {
    public let steps: [GateStepResult]
    /// Steps not run because an earlier one failed.
    public let skipped: [String]

    public init(steps: [GateStepResult], skipped: [String]) {
        self.steps = steps
        self.skipped = skipped
    }

    /// Every step ran and passed (a gate with no steps passes).
    public var passed: Bool { skipped.isEmpty && steps.allSatisfy(\.passed) }

    public var failedStep: GateStepResult? { steps.first { !$0.passed } }

    /// For a person, or an agent's retry prompt: which step failed, how, and the end of its output.
    public var summary: String {
        guard let index = steps.firstIndex(where: { !$0.passed }) else {
            let total = steps.reduce(0) { $0 + $1.seconds }
            let names = steps.map(\.name).joined(separator: ", ")
            return steps.isEmpty ? "The gate passed (it has no steps)."
                : "The gate passed: \(names) (\(steps.count) step\(steps.count == 1 ? "" : "s"), \(Self.format(total)))."
        }
        let failed = steps[index]
        let stepCount = steps.count + skipped.count
        var lines = ["The gate failed at step \"\(failed.name)\" (\(index + 1) of \(stepCount)): "
                     + "\(failed.outcome) after \(Self.format(failed.seconds))"
                     + (failed.outcome == .timedOut ? " (limit \(Self.format(failed.timeLimitSeconds)))." : ".")]
        lines.append("Command: \(Self.display(failed.command))")
        if index > 0 { lines.append("Passed before it: \(steps[..<index].map(\.name).joined(separator: ", ")).") }
        if !skipped.isEmpty { lines.append("Not run: \(skipped.joined(separator: ", ")).") }
        let output = failed.output
        if output.text.isEmpty && output.droppedBytes == 0 {
            lines.append("It printed nothing.")
        } else {
            lines.append(output.droppedBytes > 0
                ? "End of its output (\(output.droppedBytes) earlier bytes left out):"
                : "Its output:")
            lines.append(output.text.hasSuffix("\n") ? String(output.text.dropLast()) : output.text)
        }
        return lines.joined(separator: "\n")
    }

    private static func format(_ seconds: Double) -> String {
        String(format: "%.1f s", seconds)
    }

    /// An argv as one line, each argument that a reader could misread single-quoted.
    private static func display(_ argv: [String]) -> String {
        argv.map { argument in
            let plain = !argument.isEmpty && argument.allSatisfy { $0.isLetter || $0.isNumber || "-_./=:,+@%".contains($0) }
            return plain ? argument : "'" + argument.replacingOccurrences(of: "'", with: "'\\''") + "'"
        }.joined(separator: " ")
    }
}
