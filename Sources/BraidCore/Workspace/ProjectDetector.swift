import Foundation

/// Guesses a project's test command from the files at its root, for `braid init`.
public enum ProjectDetector {
    public struct Detection: Sendable, Equatable {
        /// What was recognised, e.g. "Swift package (Package.swift)".
        public let kind: String
        public let testCommand: [String]
    }

    /// The first rule whose marker file exists wins; the order puts the more specific first.
    public static func detect(in root: URL) -> Detection? {
        let fileManager = FileManager.default
        func exists(_ name: String) -> Bool { fileManager.fileExists(atPath: root.appendingPathComponent(name).path) }
        if exists("Package.swift") { return Detection(kind: "Swift package (Package.swift)", testCommand: ["swift", "test"]) }
        if exists("Cargo.toml") { return Detection(kind: "Rust crate (Cargo.toml)", testCommand: ["cargo", "test"]) }
        if exists("go.mod") { return Detection(kind: "Go module (go.mod)", testCommand: ["go", "test", "./..."]) }
        if exists("package.json") { return Detection(kind: "Node package (package.json)", testCommand: ["npm", "test"]) }
        for marker in ["pyproject.toml", "setup.cfg", "pytest.ini"] where exists(marker) {
            return Detection(kind: "Python project (\(marker))", testCommand: ["python3", "-m", "pytest"])
        }
        if let makefile = ["Makefile", "makefile", "GNUmakefile"].first(where: exists),
           let text = try? String(contentsOf: root.appendingPathComponent(makefile), encoding: .utf8),
           hasTestTarget(text) {
            return Detection(kind: "Makefile with a test target", testCommand: ["make", "test"])
        }
        return nil
    }

    /// A rule `test:` or `test: deps` (or `test::`) defines the target; `test := x`,
    /// `test ?= x` and `test = a:b` are variable assignments.
    static func hasTestTarget(_ makefile: String) -> Bool {
        makefile.split(whereSeparator: \.isNewline).contains { line in
            guard line.hasPrefix("test") else { return false }
            let rest = line.dropFirst(4).drop { $0 == " " || $0 == "\t" }
            guard rest.first == ":" else { return false }
            return !rest.hasPrefix(":=") && !rest.hasPrefix("::=")
        }
    }

    /// Splits a user's `--test` text into a gate step: an argv of words when it is plain words,
    /// a shell step when it uses shell syntax (quotes, pipes, `&&`, variables, globs): the user
    /// asked for a shell then, and Braid never quotes by hand.
    public static func gateStep(forCommandLine line: String, name: String = "test") -> GateStepConfig {
        let shellSyntax = CharacterSet(charactersIn: "'\"`$|&;<>(){}*?[]~\\#=!")
        if line.rangeOfCharacter(from: shellSyntax) != nil {
            return GateStepConfig(name: name, command: .shell(line))
        }
        return GateStepConfig(name: name, command: .argv(line.split(whereSeparator: \.isWhitespace).map(String.init)))
    }
}
