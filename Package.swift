// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Braid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "braid", targets: ["braid"]),
        .library(name: "JSONRPC", targets: ["JSONRPC"]),
        .library(name: "JSON", targets: ["JSON"]),
    ],
    targets: [
        // JSON values, a strict parser and a writer: shared by the protocol and the domain's files.
        .target(name: "JSON"),
        // Framing, messages and connections: knows nothing of Braid.
        .target(name: "JSONRPC", dependencies: ["JSON"]),
        // The domain: board, git, agents, gates, merge queue, journal, supervisor.
        .target(name: "BraidCore", dependencies: ["JSON"]),
        // The protocol surface: Braid's methods and notifications over a JSONRPC connection.
        .target(name: "BraidServer", dependencies: ["BraidCore", "JSONRPC"]),
        // `braid serve` and the headless CLI client.
        .executableTarget(name: "braid", dependencies: ["BraidServer", "BraidCore", "JSONRPC"]),

        // Helpers shared by the test targets: a raw peer for the real binary, frames, a fuzz corpus.
        .target(name: "TestSupport", dependencies: ["JSONRPC"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "TestSupport"]),
        // Board fixtures are read through #filePath, not bundled as resources.
        .testTarget(name: "BraidCoreTests", dependencies: ["BraidCore"], exclude: ["Fixtures"]),
        .testTarget(name: "BraidServerTests", dependencies: ["BraidServer", "BraidCore", "JSONRPC", "TestSupport"]),
        // Drives the real `braid` binary over pipes; depends on it so `swift test` builds it.
        .testTarget(name: "EndToEndTests", dependencies: ["braid", "JSON", "JSONRPC", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
