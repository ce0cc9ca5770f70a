import ChurnIO

/// Converts a run of CSV records into typed values without touching any
/// shared state, so the rows of a chunk can be decoded on several threads.
///
/// Customer ids are only hashed here; `EventLogReader` interns them in file
/// order. The small vocabularies (event, channel, stage) are interned into
/// the decoding thread's own `Vocabularies`, and the reader maps those local
/// ids to global ones, also in file order, so ids never depend on threads.
struct EventRowDecoder: Sendable {
  let path: String
  let columns: EventColumns
  let timeFormat: TimestampFormat
  var computesFingerprints: Bool
  var countsEmptyValues = false

  /// The categorical columns interned per thread, in this order.
  static let categoryCount = 3  // event, channel, stage

  /// One decoding thread's interners for the categorical columns, kept from
  /// chunk to chunk.
  struct Vocabularies: Sendable {
    var categories = Array(repeating: Interner(), count: EventRowDecoder.categoryCount)
    /// Per category, the id last seen in each slot of (length, first byte,
    /// last byte): these columns hold a handful of names, so one byte
    /// comparison usually replaces hashing and probing.
    var recent = Array(repeating: [Int32](repeating: -1, count: 1024), count: EventRowDecoder.categoryCount)

    @inline(__always)
    static func recentSlot(_ bytes: [UInt8], _ range: Range<Int>) -> Int {
      (range.count &* 97 ^ Int(bytes[range.lowerBound]) &* 13 ^ Int(bytes[range.upperBound - 1]) << 3) & 1023
    }
  }

  /// A categorical value located in the chunk: its key word and hash
  /// (`Interner.key`) and byte range; length −1 marks a missing value.
  struct Key: Sendable {
    var word: UInt64
    var hash: UInt64
    var start: Int32
    var length: Int32
  }

  /// The numeric values of a row.
  struct Values: Sendable {
    var time: Int64
    var amount: Double
    var sentiment: Double
    var line: Int
  }

  /// Decoded rows: only rows without errors are kept. One append per value
  /// group keeps the hot loop cheap.
  struct Rows: Sendable {
    /// The customer id of each kept row.
    var customers: [Key] = []
    /// `categoryCount` local ids per kept row (−1 when missing).
    var categories: [Int32] = []
    var values: [Values] = []
    /// Unescaped bytes of customer ids that held doubled quotes, by row.
    var escapedCustomers: [Int: [UInt8]] = [:]
    /// Per category: the first local id created while decoding these rows,
    /// and the strings of the local ids created, in order.
    var firstNewLocal: [Int32] = []
    var newLocalStrings: [[[UInt8]]] = []
    var fingerprint: [UInt64] = []
    var issues: [ValidationIssue] = []
    var emptyValues: [Int]

    init(width: Int) { emptyValues = Array(repeating: 0, count: width) }

    var count: Int { values.count }
  }

  func decode(_ chunk: CSVChunk, rows: Range<Int>, vocabularies: inout Vocabularies) -> Rows {
    var out = Rows(width: columns.header.count)
    let n = rows.count
    out.values.reserveCapacity(n)
    out.customers.reserveCapacity(n)
    out.categories.reserveCapacity(n * EventRowDecoder.categoryCount)
    let before = vocabularies.categories.map { Int32($0.count) }
    let bytes = chunk.bytes
    let width = columns.header.count
    for r in rows {
      let line = chunk.line(record: r)
      if !chunk.malformed.isEmpty, let reason = chunk.malformed[r] {
        out.issues.append(ValidationIssue(severity: .error, file: path, line: line, message: reason))
        continue
      }
      let fields = chunk.fieldCount(record: r)
      if fields != width {
        out.issues.append(
          ValidationIssue(
            severity: .error, file: path, line: line,
            message: "row has \(fields) field\(fields == 1 ? "" : "s"), the header has \(width)"))
        continue
      }
      if countsEmptyValues {
        for f in 0..<width where chunk.fieldRange(record: r, field: f).isEmpty { out.emptyValues[f] += 1 }
      }
      if decodeRow(chunk, bytes, r, line, &out, &vocabularies) && computesFingerprints {
        out.fingerprint.append(fingerprint(chunk, bytes, r, width))
      }
    }
    out.firstNewLocal = before
    out.newLocalStrings = zip(vocabularies.categories, before).map { interner, first in
      (first..<Int32(interner.count)).map { Array(interner.bytes(of: $0)) }
    }
    return out
  }

  /// Decodes one record into `out`; false (with an issue) when it has an error.
  private func decodeRow(
    _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ line: Int, _ out: inout Rows,
    _ vocabularies: inout Vocabularies
  ) -> Bool {
    var pending: [ValidationIssue] = []
    func issue(_ severity: ValidationIssue.Severity, _ f: Int, _ message: String) {
      pending.append(
        ValidationIssue(
          severity: severity, file: path, line: line, column: f + 1, columnName: columns.header[f],
          value: chunk.string(record: r, field: f), message: message))
    }
    let idRange = trimmed(bytes, chunk.fieldRange(record: r, field: columns.customerID))
    if idRange.isEmpty {
      issue(.error, columns.customerID, "customer id is empty")
      out.issues += pending
      return false
    }
    if let problem = IdentifierProblem(bytes, idRange) {
      // Shown as text, two ids that differ only in such bytes would read as one.
      issue(
        .error, columns.customerID,
        problem == .nulByte
          ? "customer id holds a NUL byte (a binary or UTF-16 file?)"
          : "customer id is not valid UTF-8: convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
      out.issues += pending
      return false
    }
    let time: Int64
    let timeRange = chunk.fieldRange(record: r, field: columns.timestamp)
    let parsed =
      chunk.hasEscapedQuotes(record: r, field: columns.timestamp)
      ? timeFormat.parse(chunk.fieldBytes(record: r, field: columns.timestamp))
      : timeFormat.parse(bytes.span.extracting(timeRange))
    switch parsed {
    case .success(let t): time = t
    case .failure(let e):
      issue(.error, columns.timestamp, e.description)
      out.issues += pending
      return false
    }
    guard Self.plausibleTimes.contains(time) else {
      issue(
        .error, columns.timestamp,
        "year outside 1900–2200: a placeholder date, or a unit mix-up (epoch milliseconds read as seconds: see --time-format)"
      )
      out.issues += pending
      return false
    }
    if let f = columns.event, trimmed(bytes, chunk.fieldRange(record: r, field: f)).isEmpty {
      issue(.error, f, "event type is empty")
      out.issues += pending
      return false
    }
    // Three locals, not an array: this runs for every row.
    let event = category(columns.event, 0, chunk, bytes, r, &vocabularies)
    let channel = category(columns.channel, 1, chunk, bytes, r, &vocabularies)
    let stage = category(columns.stage, 2, chunk, bytes, r, &vocabularies)
    if event == Self.unreadableCategory || channel == Self.unreadableCategory || stage == Self.unreadableCategory {
      let (c, field) =
        event == Self.unreadableCategory
        ? (0, columns.event!) : channel == Self.unreadableCategory ? (1, columns.channel!) : (2, columns.stage!)
      let name = ["event type", "channel", "stage"][c]
      let value = Array(chunk.fieldBytes(record: r, field: field))
      issue(
        .error, field,
        IdentifierProblem(value, 0..<value.count) == .nulByte
          ? "\(name) holds a NUL byte (a binary or UTF-16 file?)"
          : "\(name) is not valid UTF-8: convert the file to UTF-8 (e.g. iconv -f latin1 -t utf-8)")
      out.issues += pending
      return false
    }
    appendCustomer(chunk, bytes, r, idRange, &out)
    out.categories.append(event)
    out.categories.append(channel)
    out.categories.append(stage)
    let amount = number(columns.amount, chunk, bytes, r, issue)
    let sentiment = number(columns.sentiment, chunk, bytes, r, issue)
    if sentiment.isFinite && (sentiment < -1 || sentiment > 1), let f = columns.sentiment {
      issue(.warning, f, "sentiment outside −1…1; kept, but check its scale")
    }
    out.values.append(Values(time: time, amount: amount, sentiment: sentiment, line: line))
    if !pending.isEmpty { out.issues += pending }
    return true
  }

  private func appendCustomer(_ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ range: Range<Int>, _ out: inout Rows) {
    if chunk.hasEscapedQuotes(record: r, field: columns.customerID) {
      out.escapedCustomers[out.customers.count] = Array(chunk.fieldBytes(record: r, field: columns.customerID))
    }
    let (word, hash) = Interner.key(bytes, range)
    out.customers.append(Key(word: word, hash: hash, start: Int32(range.lowerBound), length: Int32(range.count)))
  }

  /// A categorical value that is not text (a NUL byte, invalid UTF-8): the
  /// row is an error, and the value never enters the vocabulary.
  static let unreadableCategory: Int32 = -2

  /// The local id of a categorical field, −1 when the column is absent or
  /// empty, or `unreadableCategory`.
  private func category(
    _ field: Int?, _ c: Int, _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int, _ vocabularies: inout Vocabularies
  ) -> Int32 {
    guard let f = field else { return -1 }
    let range = trimmed(bytes, chunk.fieldRange(record: r, field: f))
    if range.isEmpty { return -1 }
    if chunk.hasEscapedQuotes(record: r, field: f) {
      let unescaped = Array(chunk.fieldBytes(record: r, field: f))
      let inner = trimmed(unescaped, 0..<unescaped.count)
      if IdentifierProblem(unescaped, inner) != nil { return Self.unreadableCategory }
      return vocabularies.categories[c].intern(unescaped, inner)
    }
    let slot = Vocabularies.recentSlot(bytes, range)
    let seen = vocabularies.recent[c][slot]
    if seen >= 0 && vocabularies.categories[c].equals(Int(seen), bytes, range) { return seen }
    // Not among the recent names: check it is text before keeping it.
    if IdentifierProblem(bytes, range) != nil { return Self.unreadableCategory }
    let id = vocabularies.categories[c].intern(bytes, range)
    vocabularies.recent[c][slot] = id
    return id
  }

  /// 1900-01-01 to the end of 2200, in µs since the epoch.
  static let plausibleTimes =
    Int64(CivilDate.daysSinceEpoch(year: 1900, month: 1, day: 1)) * microsPerDay..<Int64(
      CivilDate.daysSinceEpoch(year: 2201, month: 1, day: 1)) * microsPerDay

  private func number(
    _ field: Int?, _ chunk: CSVChunk, _ bytes: [UInt8], _ r: Int,
    _ issue: (ValidationIssue.Severity, Int, String) -> Void
  ) -> Double {
    guard let f = field else { return .nan }
    let range = chunk.fieldRange(record: r, field: f)
    if range.isEmpty { return .nan }
    guard let value = parseDecimal(bytes, range) else {
      issue(.warning, f, "not a number; treated as missing")
      return .nan
    }
    // 10¹⁵ and beyond (or ±∞) is no amount or score: a sum of a few would
    // overflow the fit.
    guard abs(value) < 1e15 else {
      issue(.warning, f, "\(value.isFinite ? "beyond ±10¹⁵" : "not finite"); treated as missing")
      return .nan
    }
    return value
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
