import Foundation
import JSON
import Synchronization

/// The review records on disk, one file per task, kept in memory too: the supervisor writes them,
/// every listing reads them (without touching the disk).
public final class ReviewStore: Sendable {
    public let directory: URL
    private let records: Mutex<[Int: ReviewRecord]>
    /// Bumped at each change, so a reader can tell whether to look again.
    private let changes = Atomic<Int>(0)

    public init(directory: URL) {
        self.directory = directory
        var loaded: [Int: ReviewRecord] = [:]
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        for name in names where name.hasSuffix(".json") {
            guard let data = try? Data(contentsOf: directory.appendingPathComponent(name)),
                  let json = try? JSONParser.parse(Array(data)), let record = ReviewRecord(json: json) else { continue }
            loaded[record.task] = record
        }
        records = Mutex(loaded)
    }

    public func record(_ task: Int) -> ReviewRecord? { records.withLock { $0[task] } }
    public var version: Int { changes.load(ordering: .acquiring) }

    /// Writes the record (atomically: a crash leaves the old one or the new one).
    public func save(_ record: ReviewRecord) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        var bytes = JSONWriter.encode(record.json, pretty: true)
        bytes.append(0x0A)
        try AtomicFile.write(bytes, to: directory.appendingPathComponent("\(record.task).json"))
        records.withLock { $0[record.task] = record }
        changes.add(1, ordering: .releasing)
    }

    public func remove(_ task: Int) {
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("\(task).json"))
        records.withLock { _ = $0.removeValue(forKey: task) }
        changes.add(1, ordering: .releasing)
    }
}
