// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Braid",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "braid", targets: ["braid"]),
        .library(name: "JSONRPC", targets: ["JSONRPC"]),
    ],
    targets: [
        // Framing, messages and connections: knows nothing of Braid.
        .target(name: "JSONRPC"),
        // The domain: board, git, agents, gates, merge queue, journal, supervisor.
        .target(name: "BraidCore"),
        // The protocol surface: Braid's methods and notifications over a JSONRPC connection.
        .target(name: "BraidServer", dependencies: ["BraidCore", "JSONRPC"]),
        // `braid serve` and the headless CLI client.
        .executableTarget(name: "braid", dependencies: ["BraidServer", "BraidCore", "JSONRPC"]),

        // Helpers shared by the test targets: a raw peer for the real binary, frames, a fuzz corpus.
        .target(name: "TestSupport", dependencies: ["JSONRPC"], path: "Tests/TestSupport"),
        .testTarget(name: "JSONRPCTests", dependencies: ["JSONRPC", "TestSupport"]),
        // Board fixtures are read through #filePath, not bundled as resources.
        .testTarget(name: "BraidCoreTests", dependencies: ["BraidCore"], exclude: ["Fixtures"]),
        .testTarget(name: "BraidServerTests", dependencies: ["BraidServer", "BraidCore", "JSONRPC", "TestSupport"]),
        // Drives the real `braid` binary over pipes; depends on it so `swift test` builds it.
        .testTarget(name: "EndToEndTests", dependencies: ["braid", "JSONRPC", "TestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
