/// Reads an event log CSV into typed `EventBatch`es, chunk by chunk, with
/// every problem recorded as a located `ValidationIssue`.
///
/// Rows with an error (no customer id, an unreadable timestamp, a broken
/// record) are skipped; rows with a warning (an amount that is not a number)
/// are kept with the value treated as missing.
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
    let bytes = chunk.bytes
    let width = columns.header.count
    rowsRead += chunk.recordCount
    for r in 0..<chunk.recordCount {
      let line = chunk.line(record: r)
      if !chunk.malformed.isEmpty, let reason = chunk.malformed[r] {
        issues.record(ValidationIssue(severity: .error, file: path, line: line, message: reason))
        continue
      }
      let fields = chunk.fieldCount(record: r)
      if fields != width {
        issues.record(ValidationIssue(
          severity: .error, file: path, line: line,
          message: "row has \(fields) field\(fields == 1 ? "" : "s"), the header has \(width)"))
        continue
      }
      for f in 0..<width where chunk.fieldRange(record: r, field: f).isEmpty { emptyValues[f] += 1 }
      if readRow(chunk, bytes, r, line, &batch, &issues) && computesFingerprints {
        batch.fingerprint.append(fingerprint(chunk, bytes, r, width))
      }
    }
    return true
  }

  /// Converts one record and appends it to `batch`; false when it has an error.
  private mutating func readRow(
    _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ line: Int, _ batch: inout EventBatch,
    _ issues: inout IssueLog
  ) -> Bool {
    func issue(_ severity: ValidationIssue.Severity, _ f: Int, _ message: String) {
      issues.record(ValidationIssue(
        severity: severity, file: path, line: line, column: f + 1, columnName: columns.header[f],
        value: chunk.string(record: r, field: f), message: message))
    }
    let idField = columns.customerID
    let idRange = trimmed(bytes, chunk.fieldRange(record: r, field: idField))
    if idRange.isEmpty {
      issue(.error, idField, "customer id is empty")
      return false
    }
    let timeField = columns.timestamp
    let time: Int64
    switch schema.timeFormat.parse(chunk.fieldBytes(record: r, field: timeField)) {
    case .success(let t): time = t
    case .failure(let e):
      issue(.error, timeField, e.description)
      return false
    }
    var event = constantEvent
    if let f = columns.event {
      let range = trimmed(bytes, chunk.fieldRange(record: r, field: f))
      if range.isEmpty {
        issue(.error, f, "event type is empty")
        return false
      }
      event = chunk.hasEscapedQuotes(record: r, field: f)
        ? eventTypes.intern(chunk.string(record: r, field: f)) : eventTypes.intern(bytes, range)
    }
    let customer = chunk.hasEscapedQuotes(record: r, field: idField)
      ? customers.intern(chunk.string(record: r, field: idField)) : customers.intern(bytes, idRange)
    batch.customer.append(customer)
    batch.time.append(time)
    batch.event.append(event)
    batch.channel.append(category(columns.channel, chunk, bytes, r, &channels))
    batch.stage.append(category(columns.stage, chunk, bytes, r, &stages))
    batch.amount.append(number(columns.amount, chunk, bytes, r, issue))
    let sentiment = number(columns.sentiment, chunk, bytes, r, issue)
    if sentiment.isFinite && (sentiment < -1 || sentiment > 1), let f = columns.sentiment {
      issue(.warning, f, "sentiment outside −1…1; kept, but check its scale")
    }
    batch.sentiment.append(sentiment)
    batch.line.append(line)
    return true
  }

  private func category(
    _ field: Int?, _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ interner: inout Interner
  ) -> Int32 {
    guard let f = field else { return -1 }
    let range = trimmed(bytes, chunk.fieldRange(record: r, field: f))
    if range.isEmpty { return -1 }
    return chunk.hasEscapedQuotes(record: r, field: f)
      ? interner.intern(chunk.string(record: r, field: f)) : interner.intern(bytes, range)
  }

  private func number(
    _ field: Int?, _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int,
    _ issue: (ValidationIssue.Severity, Int, String) -> Void
  ) -> Double {
    guard let f = field else { return .nan }
    let range = chunk.fieldRange(record: r, field: f)
    if range.isEmpty { return .nan }
    if let value = parseDecimal(bytes, range) { return value }
    issue(.warning, f, "not a number; treated as missing")
    return .nan
  }

  /// FNV-1a over the record's raw fields, with a separator between fields.
  private func fingerprint(_ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ width: Int) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for f in 0..<width {
      for i in chunk.fieldRange(record: r, field: f) { h = (h ^ UInt64(bytes[i])) &* 0x100_0000_01B3 }
      h = (h ^ 0x1F) &* 0x100_0000_01B3
    }
    return h
  }
}

/// `range` without leading and trailing spaces.
@inline(__always)
func trimmed(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
  var lo = range.lowerBound
  var hi = range.upperBound
  while lo < hi && bytes[lo] == 0x20 { lo += 1 }
  while hi > lo && bytes[hi - 1] == 0x20 { hi -= 1 }
  return lo..<hi
}
