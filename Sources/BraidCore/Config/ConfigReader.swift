import JSON

/// Validates the parsed config field by field.
struct ConfigReader {
    let locator: FieldLocator
    let file: String

    static let fields = ["board", "baseBranch", "maxSessions", "maxRetries", "defaultAgent", "fallback", "agents", "gate",
                         "stepTimeoutSeconds", "sessionTimeoutSeconds", "stallTimeoutSeconds", "maxCostPerTaskUSD", "maxCostPerRunUSD",
                         "worktreeRoot", "symlink", "copy", "mergeQueue", "review"]

    func fail(_ path: [String], _ message: String) -> ConfigError {
        ConfigError(file: file, line: locator.line(of: path), field: FieldLocator.display(path), message: message)
    }

    func read(_ root: JSONValue) throws(ConfigError) -> BraidConfig {
        guard case .object(let members) = root else { throw fail([], "the config must be a JSON object") }
        try rejectUnknown(members, known: Self.fields, at: [])
        var config = BraidConfig()
        if let v = members["board"] { config.board = try relativePath(v, ["board"]) }
        if let v = members["baseBranch"] { config.baseBranch = try branchName(v, ["baseBranch"]) }
        if let v = members["maxSessions"] { config.maxSessions = try integer(v, ["maxSessions"], 1...64) }
        if let v = members["maxRetries"] { config.maxRetries = try integer(v, ["maxRetries"], 0...20) }
        if let v = members["defaultAgent"] { config.defaultAgent = try name(v, ["defaultAgent"]) }
        if let v = members["fallback"] {
            config.fallback = try array(v, ["fallback"]).enumerated().map { i, e throws(ConfigError) in try name(e, ["fallback", "[\(i)]"]) }
        }
        if let v = members["agents"] { config.agents = try agents(v) }
        if let v = members["gate"] { config.gate = try gate(v) }
        if let v = members["stepTimeoutSeconds"] { config.stepTimeoutSeconds = try integer(v, ["stepTimeoutSeconds"], 1...604_800) }
        if let v = members["sessionTimeoutSeconds"] { config.sessionTimeoutSeconds = try integer(v, ["sessionTimeoutSeconds"], 1...604_800) }
        if let v = members["maxCostPerTaskUSD"] { config.maxCostPerTaskUSD = try dollars(v, ["maxCostPerTaskUSD"]) }
        if let v = members["maxCostPerRunUSD"] { config.maxCostPerRunUSD = try dollars(v, ["maxCostPerRunUSD"]) }
        if let v = members["stallTimeoutSeconds"] { config.stallTimeoutSeconds = try integer(v, ["stallTimeoutSeconds"], 1...604_800) }
        if let v = members["worktreeRoot"] {
            config.worktreeRoot = try relativePath(v, ["worktreeRoot"])
            guard !config.worktreeRoot.split(separator: "/").allSatisfy({ $0 == "." }) else {
                throw fail(["worktreeRoot"], "must be a folder inside the repository, not its top")
            }
        }
        if let v = members["symlink"] {
            config.symlink = try array(v, ["symlink"]).enumerated().map { i, e throws(ConfigError) in try sharedPath(e, ["symlink", "[\(i)]"]) }
        }
        if let v = members["copy"] {
            config.copy = try array(v, ["copy"]).enumerated().map { i, e throws(ConfigError) in try sharedPath(e, ["copy", "[\(i)]"]) }
        }
        if let v = members["mergeQueue"] { config.mergeQueue = try mergeQueue(v) }
        if let v = members["review"] { config.review = try review(v) }
        if let agent = config.review.agent, config.agents[agent] == nil, !AgentProfile.builtInNames.contains(agent) {
            throw fail(["review", "agent"], "names no agent: define agents.\(agent), or use one of " + AgentProfile.builtInNames.joined(separator: ", "))
        }
        return config
    }

    func review(_ value: JSONValue) throws(ConfigError) -> ReviewConfig {
        let path = ["review"]
        guard case .object(let fields) = value else { throw fail(path, "must be an object") }
        try rejectUnknown(fields, known: ["agent", "auto", "threshold", "veto", "maxDiffBytes"], at: path)
        var review = ReviewConfig()
        if let v = fields["agent"] { review.agent = try name(v, path + ["agent"]) }
        for key in ["auto", "veto"] {
            guard let v = fields[key] else { continue }
            guard case .bool(let flag) = v else { throw fail(path + [key], "must be true or false") }
            if key == "auto" { review.auto = flag } else { review.veto = flag }
        }
        if let v = fields["threshold"] {
            let text = try string(v, path + ["threshold"])
            guard let severity = ReviewSeverity(rawValue: text) else {
                throw fail(path + ["threshold"], "must be one of " + ReviewSeverity.allCases.map(\.rawValue).joined(separator: ", "))
            }
            review.threshold = severity
        }
        if let v = fields["maxDiffBytes"] { review.maxDiffBytes = try integer(v, path + ["maxDiffBytes"], 1_000...50_000_000) }
        return review
    }

    func mergeQueue(_ value: JSONValue) throws(ConfigError) -> MergeQueueConfig {
        let path = ["mergeQueue"]
        guard case .object(let fields) = value else { throw fail(path, "must be an object") }
        try rejectUnknown(fields, known: ["batch", "strategy", "auto", "removeWorktree", "deleteBranch"], at: path)
        var queue = MergeQueueConfig()
        if let v = fields["batch"] { queue.batch = try integer(v, path + ["batch"], 1...64) }
        if let v = fields["strategy"] {
            let name = try string(v, path + ["strategy"])
            guard let strategy = MergeQueueConfig.Strategy(rawValue: name) else {
                throw fail(path + ["strategy"], "must be \"squash\" or \"merge\"")
            }
            queue.strategy = strategy
        }
        func flag(_ key: String) throws(ConfigError) -> Bool? {
            guard let v = fields[key] else { return nil }
            guard case .bool(let b) = v else { throw fail(path + [key], "must be true or false") }
            return b
        }
        if let b = try flag("auto") { queue.auto = b }
        if let b = try flag("removeWorktree") { queue.removeWorktree = b }
        if let b = try flag("deleteBranch") { queue.deleteBranch = b }
        return queue
    }

    func rejectUnknown(_ members: [String: JSONValue], known: [String], at path: [String]) throws(ConfigError) {
        for key in members.keys.sorted() where !known.contains(key) {
            let near = known.map { ($0, Similarity.editDistance(key.lowercased(), $0.lowercased())) }.min { $0.1 < $1.1 }
            let hint = near.flatMap { $0.1 <= 3 ? " (did you mean '\($0.0)'?)" : nil } ?? " (known: \(known.joined(separator: ", ")))"
            throw fail(path + [key], "unknown field" + hint)
        }
    }

    func string(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> String {
        guard case .string(let s) = value else { throw fail(path, "must be a string") }
        return s
    }

    func array(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> [JSONValue] {
        guard case .array(let a) = value else { throw fail(path, "must be an array") }
        return a
    }

    func integer(_ value: JSONValue, _ path: [String], _ range: ClosedRange<Int>) throws(ConfigError) -> Int {
        guard case .number(let n) = value, let i = Int(n.text), range.contains(i) else {
            throw fail(path, "must be a whole number from \(range.lowerBound) to \(range.upperBound)")
        }
        return i
    }

    func dollars(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> Double {
        guard case .number(let n) = value, let amount = n.doubleValue, amount > 0, amount.isFinite else {
            throw fail(path, "must be an amount in US dollars above zero, like 5 or 0.50")
        }
        return amount
    }

    func name(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> String {
        let s = try string(value, path)
        guard !s.isEmpty, s.unicodeScalars.allSatisfy({ $0.properties.isAlphabetic || ("0"..."9").contains($0) || "-_.".unicodeScalars.contains($0) }) else {
            throw fail(path, "must be a name of letters, digits, '-', '_' or '.'")
        }
        return s
    }

    /// The same rule the git layer applies (`git check-ref-format --branch`), so a bad name is
    /// reported here, with its line, rather than when a worktree is first created.
    func branchName(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> String {
        let s = try string(value, path)
        guard BranchName.isValid(s) else {
            throw fail(path, "must be a valid git branch name (not starting with '-', no spaces, '..', '~', '^', ':', '?', '*', '[', '@{' or a '.lock' ending)")
        }
        return s
    }

    /// A path inside the repository: relative, without `..`, and never into `.git` (a committed
    /// config must not be able to make Braid overwrite git's own files).
    func relativePath(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> String {
        let s = try string(value, path)
        let parts = s.split(separator: "/", omittingEmptySubsequences: true)
        guard !s.isEmpty, !s.hasPrefix("/"), !s.hasPrefix("~"), !parts.contains(".."), !s.contains("\0"),
              !s.unicodeScalars.contains(where: { $0.value < 0x20 }) else {
            throw fail(path, "must be a relative path inside the repository (no leading '/' or '~', no '..')")
        }
        guard !parts.contains(where: { $0.lowercased() == ".git" }) else {
            throw fail(path, "must not point into .git")
        }
        return s
    }

    /// A folder or file shared into worktrees: checked by the same rule the git layer uses.
    func sharedPath(_ value: JSONValue, _ path: [String]) throws(ConfigError) -> String {
        let s = try relativePath(value, path)
        do {
            _ = try RepositoryPath(s, context: "reading the config")
        } catch {
            guard case .unsafePath(_, _, let reason) = error else { throw fail(path, "\(error)") }
            throw fail(path, "must name a file or folder inside the repository: \(reason)")
        }
        return s
    }

    func agents(_ value: JSONValue) throws(ConfigError) -> [String: AgentProfileConfig] {
        guard case .object(let members) = value else { throw fail(["agents"], "must be an object of agent profiles") }
        var profiles: [String: AgentProfileConfig] = [:]
        for (agentName, profileValue) in members {
            let path = ["agents", agentName]
            _ = try name(.string(agentName), path)
            guard case .object(let fields) = profileValue else { throw fail(path, "must be an object") }
            try rejectUnknown(fields, known: ["command", "extraArguments", "environment"], at: path)
            var profile = AgentProfileConfig()
            if let command = fields["command"] {
                let argv = try array(command, path + ["command"]).enumerated().map { i, e throws(ConfigError) in
                    try string(e, path + ["command", "[\(i)]"])
                }
                guard !argv.isEmpty, !argv[0].isEmpty else { throw fail(path + ["command"], "must name a program first") }
                profile.command = argv
            }
            if let extra = fields["extraArguments"] {
                profile.extraArguments = try array(extra, path + ["extraArguments"]).enumerated().map { i, e throws(ConfigError) in
                    try string(e, path + ["extraArguments", "[\(i)]"])
                }
            }
            if let environment = fields["environment"] {
                guard case .object(let variables) = environment else { throw fail(path + ["environment"], "must be an object of strings") }
                for (key, v) in variables { profile.environment[key] = try string(v, path + ["environment", key]) }
            }
            profiles[agentName] = profile
        }
        return profiles
    }

    func gate(_ value: JSONValue) throws(ConfigError) -> [GateStepConfig] {
        var steps: [GateStepConfig] = []
        for (i, element) in try array(value, ["gate"]).enumerated() {
            let path = ["gate", "[\(i)]"]
            guard case .object(let fields) = element else { throw fail(path, "must be an object with \"name\" and \"run\"") }
            guard let run = fields["run"] else { throw fail(path, "missing \"run\"") }
            let shell = try fields["shell"].map { v throws(ConfigError) -> Bool in
                guard case .bool(let b) = v else { throw fail(path + ["shell"], "must be true or false") }
                return b
            } ?? false
            if case .string(let line) = run, line.hasPrefix("braid:"), !shell {
                steps.append(try builtinStep(line, fields, path))
                continue
            }
            try rejectUnknown(fields, known: ["name", "run", "shell", "timeoutSeconds"], at: path)
            guard let nameValue = fields["name"] else { throw fail(path, "missing \"name\"") }
            let stepName = try string(nameValue, path + ["name"])
            let command: GateStepConfig.Command
            switch run {
            case .string(let line):
                guard shell else {
                    throw fail(path + ["run"], "a command line needs \"shell\": true; otherwise give an argv array "
                               + "(or a built-in step: \(BuiltinGateStep.names.joined(separator: ", ")))")
                }
                command = .shell(line)
            case .array(let elements):
                guard !shell else { throw fail(path + ["run"], "with \"shell\": true, give the command line as one string") }
                let argv = try elements.enumerated().map { j, e throws(ConfigError) in try string(e, path + ["run", "[\(j)]"]) }
                guard !argv.isEmpty, !argv[0].isEmpty else { throw fail(path + ["run"], "must name a program first") }
                command = .argv(argv)
            default:
                throw fail(path + ["run"], "must be an argv array (or a string with \"shell\": true)")
            }
            let timeout = try fields["timeoutSeconds"].map { v throws(ConfigError) in try integer(v, path + ["timeoutSeconds"], 1...604_800) }
            steps.append(GateStepConfig(name: stepName, command: command, timeoutSeconds: timeout))
        }
        return steps
    }

    /// `{"run": "braid:docs", "paths": {...}}`: a built-in step and its options. Its name is
    /// optional (the `run` string by default); it takes no time limit, since it runs in Braid.
    func builtinStep(_ run: String, _ fields: [String: JSONValue], _ path: [String]) throws(ConfigError) -> GateStepConfig {
        let options: [String]
        switch run {
        case "braid:changelog": options = ["file", "conventionalCommits"]
        case "braid:docs": options = ["paths"]
        case "braid:conventions": options = ["files"]
        case "braid:secrets", "braid:acceptance": options = []
        default:
            let near = BuiltinGateStep.names.map { ($0, Similarity.editDistance(run, $0)) }.min { $0.1 < $1.1 }
            let hint = near.flatMap { $0.1 <= 3 ? " (did you mean '\($0.0)'?)" : nil } ?? ""
            throw fail(path + ["run"], "unknown built-in step '\(run)'\(hint); the built-in steps are \(BuiltinGateStep.names.joined(separator: ", "))")
        }
        for key in fields.keys.sorted() where !["name", "run", "shell"].contains(key) && !options.contains(key) {
            let takes = options.isEmpty ? "it takes no option" : "its options are " + options.joined(separator: ", ")
            throw fail(path + [key], "\(run) does not take \"\(key)\": \(takes)"
                       + (key == "timeoutSeconds" ? " (built-in steps run inside Braid, without a time limit)" : ""))
        }
        let stepName = try fields["name"].map { v throws(ConfigError) in try string(v, path + ["name"]) } ?? run
        let step: BuiltinGateStep
        switch run {
        case "braid:changelog":
            let file = try fields["file"].map { v throws(ConfigError) in try relativePath(v, path + ["file"]) } ?? BuiltinGateStep.defaultChangelog
            let conventional = try fields["conventionalCommits"].map { v throws(ConfigError) -> Bool in
                guard case .bool(let b) = v else { throw fail(path + ["conventionalCommits"], "must be true or false") }
                return b
            } ?? true
            step = .changelog(file: file, conventionalCommits: conventional)
        case "braid:docs":
            guard let paths = fields["paths"] else {
                throw fail(path, "braid:docs needs \"paths\": an object from a glob to the doc that files matching it must keep up to date")
            }
            guard case .object(let members) = paths, !members.isEmpty else {
                throw fail(path + ["paths"], "must be an object from a glob to a doc file, e.g. {\"Sources/api/\": \"docs/api.md\"}")
            }
            var requirements: [BuiltinGateStep.DocRequirement] = []
            for glob in members.keys.sorted() {
                guard !glob.isEmpty, !glob.hasPrefix("/") else { throw fail(path + ["paths", glob], "the glob must be relative to the repository's top") }
                let doc = try relativePath(members[glob] ?? .null, path + ["paths", glob])
                requirements.append(BuiltinGateStep.DocRequirement(paths: glob, doc: doc))
            }
            step = .docs(requirements)
        case "braid:conventions":
            var files = BuiltinGateStep.defaultConventionsFiles
            if let v = fields["files"] {
                files = try array(v, path + ["files"]).enumerated().map { j, e throws(ConfigError) in try relativePath(e, path + ["files", "[\(j)]"]) }
                guard !files.isEmpty else { throw fail(path + ["files"], "must name at least one file") }
            }
            step = .conventions(files: files)
        case "braid:acceptance":
            step = .acceptance
        default:
            step = .secrets
        }
        return GateStepConfig(name: stepName, command: .builtin(step))
    }
}
