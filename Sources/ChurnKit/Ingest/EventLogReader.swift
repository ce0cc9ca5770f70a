import Dispatch
import Foundation

/// Reads an event log CSV into typed `EventBatch`es, chunk by chunk, with
/// every problem recorded as a located `ValidationIssue`.
///
/// Rows with an error (no customer id, an unreadable timestamp, a broken
/// record) are skipped; rows with a warning (an amount that is not a number)
/// are kept with the value treated as missing. Each chunk's rows are decoded
/// on all cores; ids are then assigned in file order, so results do not
/// depend on the number of threads.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// var batch = EventBatch()
/// var issues = IssueLog()
/// while try reader.nextBatch(into: &batch, issues: &issues) { … }
/// ```
public struct EventLogReader {
  public let path: String
  public let schema: EventSchema
  public let columns: EventColumns
  /// Interned strings; batch ids index into these.
  public private(set) var customers = Interner()
  public private(set) var eventTypes = Interner()
  public private(set) var channels = Interner()
  public private(set) var stages = Interner()
  /// Data rows read so far (valid or not), and empty values per header column.
  public private(set) var rowsRead = 0
  public private(set) var emptyValues: [Int]
  /// Whether to fill `EventBatch.fingerprint`.
  public var computesFingerprints = false
  /// Threads that decode rows (default: the active processor count).
  public var decodingThreads = ProcessInfo.processInfo.activeProcessorCount

  private var csv: CSVReader
  private var constantEvent: Int32 = -1

  /// Opens `path` and maps its header with `schema`.
  public init(path: String, schema: EventSchema, chunkSize: Int = 1 << 22) throws(IngestError) {
    self.path = path
    self.schema = schema
    csv = try CSVReader(path: path, chunkSize: chunkSize)
    let header = try csv.readHeader()
    columns = try schema.resolve(header: header, path: path)
    emptyValues = Array(repeating: 0, count: header.count)
    if let name = schema.eventName { constantEvent = eventTypes.intern(name) }
  }

  /// Reads the next chunk into `batch` (replacing its contents); false at the end.
  public mutating func nextBatch(into batch: inout EventBatch, issues: inout IssueLog) throws(IngestError) -> Bool {
    batch.removeAll()
    guard try csv.nextChunk() else { return false }
    let chunk = csv.chunk
    rowsRead += chunk.recordCount
    let decoder = EventRowDecoder(
      path: path, columns: columns, timeFormat: schema.timeFormat, computesFingerprints: computesFingerprints)
    let parts = chunk.recordCount >= 8192 ? max(1, decodingThreads) : 1
    let results = DecodedParts(count: parts)
    let n = chunk.recordCount
    DispatchQueue.concurrentPerform(iterations: parts) { p in
      results.store(p, decoder.decode(chunk, rows: (n * p / parts)..<(n * (p + 1) / parts)))
    }
    for part in results.parts { merge(part, chunk.bytes, into: &batch, issues: &issues) }
    return true
  }

  /// Interns the keys of decoded rows in order and appends them to `batch`.
  private mutating func merge(_ rows: EventRowDecoder.Rows, _ bytes: [UInt8], into batch: inout EventBatch, issues: inout IssueLog) {
    for issue in rows.issues { issues.record(issue) }
    for (f, count) in rows.emptyValues.enumerated() { emptyValues[f] += count }
    func intern(_ k: Int, _ interner: inout Interner) -> Int32 {
      let length = Int(rows.keyLength[k])
      if length < 0 { return -1 }
      if let unescaped = rows.escapedKeys[k] { return interner.intern(unescaped, 0..<unescaped.count) }
      let start = Int(rows.keyStart[k])
      return interner.intern(bytes, start..<(start + length), word: rows.keyWord[k], hash: rows.keyHash[k])
    }
    for i in 0..<rows.count {
      let k = i * EventRowDecoder.keyCount
      batch.customer.append(intern(k, &customers))
      batch.event.append(columns.event == nil ? constantEvent : intern(k + 1, &eventTypes))
      batch.channel.append(intern(k + 2, &channels))
      batch.stage.append(intern(k + 3, &stages))
    }
    batch.time += rows.time
    batch.amount += rows.amount
    batch.sentiment += rows.sentiment
    batch.line += rows.line
    batch.fingerprint += rows.fingerprint
  }
}

/// Slots for the results of concurrent decoding, one per part.
private final class DecodedParts: @unchecked Sendable {
  private var slots: [EventRowDecoder.Rows?]
  private let lock = NSLock()

  init(count: Int) { slots = Array(repeating: nil, count: count) }

  func store(_ index: Int, _ rows: EventRowDecoder.Rows) {
    lock.withLock { slots[index] = rows }
  }

  var parts: [EventRowDecoder.Rows] { lock.withLock { slots.compactMap { $0 } } }
}
