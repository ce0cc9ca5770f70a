import ByteStreams
import ChurnIO
import Foundation

/// Treatments kept apart from the event log (a campaign tool's export: one
/// row per customer, time and action id), merged into a temporary copy of
/// the log in which each becomes an event of that type — so features,
/// uplift learning, cooldowns and scoring all read one log.
///
/// ```swift
/// let merged = try InterventionLog.merge(events: "events.csv", interventions: "campaigns.csv", schema: schema)
/// defer { merged.remove() }
/// var reader = try EventLogReader(path: merged.path, schema: schema)
/// ```
public enum InterventionLog {
  /// A temporary merged log; `remove()` deletes it.
  public struct Merged: Sendable {
    public let path: String
    /// Treatment rows appended.
    public let rows: Int
    /// Deletes the copy and its private directory.
    public func remove() {
      let directory = (path as NSString).deletingLastPathComponent
      try? FileManager.default.removeItem(atPath: directory)
      AtomicFileWriter.keep(path)
      AtomicFileWriter.keep(directory)
    }
  }

  /// Copies `events` (decompressed if gzip) and appends one event per row of
  /// `interventions`, whose columns are the log's customer id and timestamp
  /// columns and `actionColumn` (default `action`; `event` also works).
  public static func merge(
    events: String, interventions: String, schema: EventSchema, actionColumn: String? = nil
  ) throws -> Merged {
    guard events != "-" else {
      throw IngestError.unreadable("--interventions needs the event log as a file, not standard input")
    }
    var eventsCSV = try CSVReader(path: events, delimiter: schema.delimiter)
    eventsCSV.maxRecordBytes = schema.maxRowBytes
    let header = try eventsCSV.readHeader()
    let separator = eventsCSV.rowSeparator  // treatment rows are written in the log's own layout
    let columns = try schema.resolve(header: header, path: events)
    guard let eventIndex = columns.event else {
      throw IngestError.unreadable("\(events): the log has no event column, so treatments cannot be added to it")
    }
    var treatments = try CSVReader(path: interventions)
    let theirs = try treatments.readHeader()
    func index(_ name: String, role: String) throws(IngestError) -> Int {
      guard let i = theirs.firstIndex(of: name) else {
        throw .missingColumn(path: interventions, role: role, expected: name, available: theirs)
      }
      return i
    }
    let id = try index(schema.customerID, role: "customer id")
    let time = try index(schema.timestamp, role: "timestamp")
    let action = try index(actionColumn ?? (theirs.contains("action") ? "action" : "event"), role: "action")
    // In a directory of its own that only this user can enter (0700): the
    // copy holds the whole log. Removed on every path out, signals included.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("churnkit-\(UUID().uuidString)")
    do {
      try FileManager.default.createDirectory(
        at: directory, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
    } catch {
      throw IngestError.unreadable(
        "cannot create a temporary directory for the merged log: \(error.localizedDescription)")
    }
    let path = directory.appendingPathComponent("merged.csv").path
    AtomicFileWriter.removeOnSignal(directory.path)
    AtomicFileWriter.removeOnSignal(path)
    let out = try AtomicFileWriter(path: path)
    // The log as it is (decompressed), ending with a newline.
    let source = try ByteReader(path: events)
    var buffer = [UInt8](repeating: 0, count: 1 << 20)
    var last: UInt8 = 0x0A
    while true {
      let n = try source.read(into: &buffer, from: 0)
      if n == 0 { break }
      try out.write(Array(buffer[0..<n]))
      last = buffer[n - 1]
    }
    if last != 0x0A && last != 0x0D { try out.write("\n") }
    var rows = 0
    while try treatments.nextChunk() {
      let chunk = treatments.chunk
      var text = ""
      for r in 0..<chunk.recordCount {
        guard chunk.fieldCount(record: r) == theirs.count, chunk.malformed[r] == nil else {
          throw IngestError.unreadable(
            "\(interventions):\(chunk.line(record: r)): row has \(chunk.fieldCount(record: r)) fields, the header has \(theirs.count)"
          )
        }
        var fields = [String](repeating: "", count: header.count)
        fields[columns.customerID] = chunk.string(record: r, field: id)
        fields[columns.timestamp] = chunk.string(record: r, field: time)
        fields[eventIndex] = chunk.string(record: r, field: action)
        text += fields.map(CSVFormatting.escape).joined(separator: separator) + "\n"
        rows += 1
      }
      try out.write(text)
    }
    try out.commit()
    return Merged(path: path, rows: rows)
  }
}
