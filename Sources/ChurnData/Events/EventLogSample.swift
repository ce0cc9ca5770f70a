import ByteStreams
import ChurnIO
import Foundation

/// A seeded sample of a log's customers, every event of each kept, written
/// to a temporary file: for learning what needs every customer at many
/// dates (uplift) from a log too large for that.
///
/// ```swift
/// let sample = try EventLogSample.write(events: "events.csv", schema: schema, share: 0.1, seed: 42)
/// defer { sample.remove() }
/// ```
public enum EventLogSample {
  /// A temporary sampled log; `remove()` deletes it.
  public struct Written: Sendable {
    public let path: String
    public let rows: Int
    public func remove() { try? FileManager.default.removeItem(atPath: path) }
  }

  /// Whether customer `id` is in the seeded sample of the given share (the
  /// holdout's seeded hash, with a seed of its own so the two are independent).
  public static func contains(_ id: String, share: Double, seed: UInt64) -> Bool {
    CustomerHoldout.contains(id, fraction: share, seed: seed ^ 0x5A3B_1E)
  }

  /// Copies the header and the rows of the sampled customers of `events`
  /// (fields re-escaped for CSV, rows in file order).
  public static func write(events: String, schema: EventSchema, share: Double, seed: UInt64) throws -> Written {
    var csv = try CSVReader(path: events, delimiter: schema.delimiter)
    csv.maxRecordBytes = schema.maxRowBytes
    let header = try csv.readHeader()
    let separator = csv.rowSeparator  // the copy reads back with the same schema
    let id = try schema.resolve(header: header, path: events).customerID
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("churnkit-sample-\(UUID().uuidString).csv")
      .path
    let out = try AtomicFileWriter(path: path)
    try out.write(header.map(CSVFormatting.escape).joined(separator: separator) + "\n")
    var rows = 0
    while try csv.nextChunk() {
      let chunk = csv.chunk
      var text = ""
      for r in 0..<chunk.recordCount where chunk.fieldCount(record: r) > id {
        let customer = chunk.string(record: r, field: id).trimmingCharacters(in: .whitespaces)
        guard contains(customer, share: share, seed: seed) else { continue }
        text +=
          (0..<chunk.fieldCount(record: r)).map { CSVFormatting.escape(chunk.string(record: r, field: $0)) }.joined(
            separator: separator) + "\n"
        rows += 1
      }
      try out.write(text)
    }
    try out.commit()
    return Written(path: path, rows: rows)
  }
}
