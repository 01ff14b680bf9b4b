/// A command's arguments: options (`--name value`, `--name=value`, flags) and positionals, parsed
/// against what the command declares, so every command rejects unknown options the same way.
struct Arguments {
    enum Failure: Error, CustomStringConvertible {
        case unknownOption(String, suggestion: String)
        case missingValue(String)

        var description: String {
            switch self {
            case .unknownOption(let option, let suggestion): return "unknown option '\(option)'\(suggestion)"
            case .missingValue(let option): return "\(option) needs a value"
            }
        }
    }

    private(set) var values: [String: [String]] = [:]
    private(set) var flags: Set<String> = []
    private(set) var positionals: [String] = []

    /// - Parameters:
    ///   - options: names taking a value (may repeat).
    ///   - flags: names taking none.
    init(_ arguments: [String], options: Set<String> = [], flags allowedFlags: Set<String> = []) throws(Failure) {
        var rest = arguments[...]
        var onlyPositionals = false
        while let argument = rest.popFirst() {
            if onlyPositionals || !argument.hasPrefix("--") || argument == "-" {
                positionals.append(argument)
                continue
            }
            if argument == "--" {
                onlyPositionals = true
                continue
            }
            let (name, inline) = Self.split(argument)
            if allowedFlags.contains(name) && inline == nil {
                flags.insert(name)
            } else if options.contains(name) {
                guard let value = inline ?? rest.popFirst() else { throw .missingValue(name) }
                values[name, default: []].append(value)
            } else {
                throw .unknownOption(argument, suggestion: Usage.suggestion(for: name, among: Array(options.union(allowedFlags)).sorted()))
            }
        }
    }

    func value(_ name: String) -> String? { values[name]?.last }
    func has(_ flag: String) -> Bool { flags.contains(flag) }

    /// `--name=value` → ("--name", "value"); `--name` → ("--name", nil).
    static func split(_ argument: String) -> (String, String?) {
        guard argument.hasPrefix("--"), let eq = argument.firstIndex(of: "=") else { return (argument, nil) }
        return (String(argument[..<eq]), String(argument[argument.index(after: eq)...]))
    }

    /// `#12` or `12` → 12.
    static func taskID(_ text: String) -> Int? {
        let digits = text.hasPrefix("#") ? String(text.dropFirst()) : text
        guard let id = Int(digits), id > 0, digits.allSatisfy(\.isASCII) else { return nil }
        return id
    }
}
