import BraidCore
import Foundation
import JSON

/// `braid secrets [--diff REV] [--json] [PATH...]`: the secret scanner from the command line.
///
/// With `--diff REV`, the added lines of `git diff REV` (the working tree's tracked files against
/// REV; PATHs narrow it); with PATHs, those files and folders; with nothing, every tracked file.
/// Findings allowed by the repository's `.braid/secrets-allow` are not printed. Exit status: 0 no
/// finding, 1 findings, 2 a usage error or a scan that could not run (so that 1 always means
/// "secrets found"). The hidden `--stdin-diff` scans a diff read from standard input, for
/// benchmarks and pipelines (`git diff | braid secrets --stdin-diff`).
enum SecretsCommand {
    static let usage = "secrets: usage: braid secrets [--diff REV] [--json] [PATH...]"

    static func run(_ argv: [String]) -> Int32 {
        let arguments: Arguments
        do {
            arguments = try Arguments(argv, options: ["--diff"], flags: ["--json", "--stdin-diff"])
        } catch {
            return Usage.fail("secrets: \(error)")
        }
        let paths = arguments.positionals
        let revision = arguments.value("--diff")
        let fromStandardInput = arguments.has("--stdin-diff")
        if fromStandardInput && (revision != nil || !paths.isEmpty) {
            return Usage.fail("secrets: --stdin-diff reads the diff from standard input and takes no --diff or PATH")
        }
        if let revision, revision.isEmpty || revision.hasPrefix("-") {
            return Usage.fail("secrets: --diff needs a revision, not '\(revision)'")
        }
        do {
            let scan = try Scan(paths: paths, revision: revision, fromStandardInput: fromStandardInput)
            return report(scan, json: arguments.has("--json"))
        } catch {
            return Usage.fail("secrets: \(error)")
        }
    }

    /// Prints the findings (sorted by file and line) and returns the exit status.
    private static func report(_ scan: Scan, json: Bool) -> Int32 {
        for problem in scan.allowList.problems {
            FileDescriptorOutput.standardError.write("braid: warning: \(SecretAllowList.path): \(problem)\n")
        }
        let findings = scan.reported.sorted { ($0.path, $0.line) < ($1.path, $1.line) }
        if json {
            printJSON(.object([
                "findings": .array(findings.map { finding in
                    .object(["path": .string(finding.path), "line": .number(JSONNumber(finding.line)),
                             "rule": .string(finding.rule.rawValue), "excerpt": .string(finding.excerpt),
                             "fingerprint": .string(finding.fingerprint)])
                }),
                "allowed": .number(JSONNumber(scan.allowed.count)),
            ]))
        } else {
            FileDescriptorOutput(fd: 1).write(findings.map { $0.description + "\n" }.joined())
        }
        guard !findings.isEmpty else { return 0 }
        if !json {
            FileDescriptorOutput.standardError.write("braid: secrets: \(findings.count) finding\(findings.count == 1 ? "" : "s"); "
                + "allow a false positive by adding its fingerprint to \(SecretAllowList.path)\n")
        }
        return 1
    }

    /// One run of the scanner, over what the arguments name.
    private struct Scan {
        var reported: [SecretFinding] = []
        var allowed: [SecretFinding] = []
        var allowList = SecretAllowList.empty

        init(paths: [String], revision: String?, fromStandardInput: Bool) throws {
            let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
            let top = Self.repositoryTop(from: here)
            if let top, let text = try? String(contentsOf: top.appendingPathComponent(SecretAllowList.path), encoding: .utf8) {
                allowList = SecretAllowList(text: text)
            }
            let scanner = SecretScanner()
            var findings: [SecretFinding] = []
            var relative: [String: String] = [:]
            if fromStandardInput {
                findings = scanner.scanDiff(StandardInput.readAll())
            } else if let revision {
                guard let top else { throw CommandFailure("\(here.path) is not inside a git repository (--diff needs one)") }
                let git = Git(repository: top)
                guard try git.commit(of: revision, context: "reading --diff") != nil else {
                    throw CommandFailure("unknown revision '\(revision)'")
                }
                let pathspecs = paths.map { Self.relativePath(of: URL(fileURLWithPath: $0, relativeTo: here), to: top) ?? $0 }
                findings = scanner.scanDiff(try SecretSources.diff(git, from: revision, paths: pathspecs, context: "diffing against \(revision)"))
            } else if paths.isEmpty {
                guard let top else {
                    throw CommandFailure("\(here.path) is not inside a git repository: name the files or folders to scan")
                }
                for path in try SecretSources.trackedFiles(Git(repository: top), context: "listing the tracked files") {
                    findings += try Self.scanFile(top.appendingPathComponent(path), as: path, with: scanner, skipMissing: true)
                }
            } else {
                for path in paths {
                    let url = URL(fileURLWithPath: path, relativeTo: here).standardizedFileURL
                    guard FileManager.default.fileExists(atPath: url.path) else { throw CommandFailure("no such file or folder: \(path)") }
                    for file in SecretSources.files(under: url) {
                        let shown = file == url ? path : Self.join(path, Self.suffix(of: file, below: url))
                        let found = try Self.scanFile(file, as: shown, with: scanner, skipMissing: false)
                        if let top, let fromTop = Self.relativePath(of: file, to: top) {
                            for finding in found { relative[finding.path] = fromTop }
                        }
                        findings += found
                    }
                }
            }
            (reported, allowed) = allowList.partition(findings) { relative[$0.path] }
        }

        /// A file's findings; binary files (a NUL in the first 8,000 bytes) are skipped.
        static func scanFile(_ url: URL, as path: String, with scanner: SecretScanner, skipMissing: Bool) throws -> [SecretFinding] {
            let values = try? url.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            if values?.isSymbolicLink == true || values?.isRegularFile == false { return [] }
            let data: Data
            do {
                data = try Data(contentsOf: url, options: .alwaysMapped)
            } catch {
                if skipMissing && !FileManager.default.fileExists(atPath: url.path) { return [] }
                throw CommandFailure("cannot read \(path): \(error.localizedDescription)")
            }
            return SecretScanner.looksBinary(data) ? [] : scanner.scanText(data, path: path)
        }

        /// The top of the repository around `folder`, or nil outside one.
        static func repositoryTop(from folder: URL) -> URL? {
            guard let output = try? Git(repository: folder).output(["rev-parse", "--show-toplevel"], context: "finding the repository"),
                  !output.isEmpty else { return nil }
            return URL(fileURLWithPath: output.trimmingCharacters(in: .newlines))
        }

        /// `file`'s path from `top`, both with symbolic links resolved; nil when it is outside.
        static func relativePath(of file: URL, to top: URL) -> String? {
            let path = file.standardizedFileURL.resolvingSymlinksInPath().path
            let root = top.standardizedFileURL.resolvingSymlinksInPath().path
            if path == root { return "." }
            return path.hasPrefix(root + "/") ? String(path.dropFirst(root.count + 1)) : nil
        }

        static func suffix(of file: URL, below folder: URL) -> String {
            let base = folder.path.hasSuffix("/") ? folder.path : folder.path + "/"
            return file.path.hasPrefix(base) ? String(file.path.dropFirst(base.count)) : file.lastPathComponent
        }

        static func join(_ folder: String, _ name: String) -> String {
            folder.hasSuffix("/") ? folder + name : folder + "/" + name
        }
    }
}
