import ChurnData
import ChurnIO
import ChurnTestSupport
import Foundation
import Testing

/// The seeded customer sample that uplift learning falls back to on a
/// large log: every event of each kept customer, nothing of the others.
struct EventLogSampleTests {
  @Test func keepsEveryEventOfTheSampledCustomersOnly() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var lines = ["customer_id,timestamp,event,note"]
    for k in 0..<400 {
      lines.append("C\(k % 50),2024-01-\(String(format: "%02d", k % 28 + 1)),visit,\"a, \"\"quoted\"\" note\"")
    }
    let path = try dir.write("e.csv", lines.joined(separator: "\n") + "\n")
    let sample = try EventLogSample.write(events: path, schema: EventSchema(), share: 0.3, seed: 7)
    defer { sample.remove() }
    let kept = Set((0..<50).map { "C\($0)" }.filter { EventLogSample.contains($0, share: 0.3, seed: 7) })
    #expect(kept.count > 5 && kept.count < 30)
    var csv = try CSVReader(path: sample.path)
    #expect(try csv.readHeader() == ["customer_id", "timestamp", "event", "note"])
    var seen: [String: Int] = [:]
    while try csv.nextChunk() {
      for r in 0..<csv.chunk.recordCount {
        seen[csv.chunk.string(record: r, field: 0), default: 0] += 1
        #expect(csv.chunk.string(record: r, field: 3) == "a, \"quoted\" note")
      }
    }
    #expect(Set(seen.keys) == kept)
    #expect(seen.values.allSatisfy { $0 == 8 })  // each customer has 400 / 50 events
    #expect(sample.rows == kept.count * 8)
    // Same seed, same sample.
    let again = try EventLogSample.write(events: path, schema: EventSchema(), share: 0.3, seed: 7)
    defer { again.remove() }
    #expect(FileManager.default.contents(atPath: again.path) == FileManager.default.contents(atPath: sample.path))
  }
}
