import ByteStreams
import ChurnData
import ChurnIO

/// Rows to score, one at a time: each row's feature values (in the model's
/// order) and its keys — the customer id and the as-of time — as CSV
/// fields or as text. Implemented for features built from events, for
/// parsed CSV pieces and for plain ones; `scorePiece` scores any of them.
protocol ScoreRowSource {
  /// Moves to the next row and reads its values into `values` (as many as
  /// the model has features); false after the last row, or at a row that
  /// cannot be scored (then `failure` says why, located).
  mutating func next(into values: inout [Double]) -> Bool
  /// Why `next` stopped before the end, if it did.
  var failure: IngestError? { get }
  /// Appends the current row's `customer_id,as_of,` as CSV (with a
  /// leading `'` before a formula, when neutralising).
  func appendKeys(to out: inout ByteBuffer, neutralisingFormulas: Bool)
  /// The current row's id and as-of time as text.
  func keys() -> (id: String, asOf: String)
  /// How far into the piece the rows so far reach, and its size (in rows
  /// or bytes), to make room for the whole output at once.
  var progress: (done: Int, total: Int) { get }
  /// The standard error of the current row's `clv` feature, where the
  /// rows were computed from events (a feature file does not carry it).
  var clvStandardError: Double? { get }
}

extension ScoreRowSource {
  var clvStandardError: Double? { nil }
}

/// A piece scored: its output bytes and tally, and the error that stopped
/// it early, if one did.
struct ScoredPiece {
  var bytes: [UInt8]
  var tally: ScoreTally
  var error: IngestError?
}

/// Scores every row of `source` into output bytes and a tally, stopping at
/// the first row that cannot be scored. The scorer and writer are copied
/// into storage of this piece's own: no reference count is shared with
/// the other cores.
func scorePiece<Source: ScoreRowSource>(
  _ source: inout Source, scorer shared: ChurnScorer, writer sharedWriter: ScoreWriter
) -> ScoredPiece {
  let scorer = shared.unsharedCopy()
  let writer = sharedWriter.unsharedCopy()
  var evaluation = scorer.makeEvaluation()
  var out = ByteBuffer()
  var tally = ScoreTally(model: scorer.model)
  var values = [Double](repeating: 0, count: scorer.model.features.count)
  var rows = 0
  while source.next(into: &values) {
    // Columns from elsewhere are looked up by id (a String only then).
    let extra = writer.extra.flatMap { $0.byCustomer[source.keys().id] }
    switch writer.format {
    case .csv:
      scorer.evaluate(values, into: &evaluation)
      source.appendKeys(to: &out, neutralisingFormulas: writer.neutralisesFormulas)
      let action = scorer.action(values, clvStandardError: source.clvStandardError)
      writer.appendCSVColumns(evaluation, values: values, action: action, extra: extra, to: &out)
    case .jsonl:
      let (id, asOf) = source.keys()
      let s = scorer.score(customerID: id, values: values, clvStandardError: source.clvStandardError)
      evaluation.probability = s.probability
      evaluation.riskBand = s.riskBand
      writer.appendJSONLine(s, asOf: asOf, extra: extra, to: &out)
    }
    tally.add(values: values, probability: evaluation.probability, riskBand: evaluation.riskBand)
    rows += 1
    if rows == 64 {
      // Room for the whole piece at the rate so far, so the output is
      // not copied as it grows.
      let (done, total) = source.progress
      if done > 0 { out.reserveCapacity(Int(Double(out.count) * Double(total) / Double(done) * 1.1) + 4096) }
    }
  }
  return ScoredPiece(bytes: out.finish(), tally: tally, error: source.failure)
}

// MARK: - Features built from events

/// Rows of a feature set built from events at one as-of time.
struct FeatureSetRows: ScoreRowSource {
  let features: FeatureSet
  let rows: Range<Int>
  let asOf: String
  /// `,<as-of>,` as CSV.
  let asOfField: [UInt8]
  private var current: Int

  init(_ features: FeatureSet, rows: Range<Int>, asOf: String) {
    self.features = features
    self.rows = rows
    self.asOf = asOf
    asOfField = Array(("," + CSVFormatting.escape(asOf) + ",").utf8)
    current = rows.lowerBound - 1
  }

  mutating func next(into values: inout [Double]) -> Bool {
    current += 1
    guard current < rows.upperBound else { return false }
    values = features.values(of: features.rows[current])
    return true
  }

  var failure: IngestError? { nil }

  func appendKeys(to out: inout ByteBuffer, neutralisingFormulas: Bool) {
    let id = features.rows[current].customerID
    out.append(contentsOf: Array(CSVFormatting.escape(id, neutralisingFormula: neutralisingFormulas).utf8))
    out.append(contentsOf: asOfField)
  }

  func keys() -> (id: String, asOf: String) { (features.rows[current].customerID, asOf) }

  var progress: (done: Int, total: Int) { (current + 1 - rows.lowerBound, rows.count) }

  var clvStandardError: Double? { features.clvStandardError(of: features.rows[current]) }
}

// MARK: - Feature files

/// What a feature file's columns are to the scorer.
struct FeatureFileLayout: Sendable {
  let header: [String]
  /// The header column of each model feature.
  let columns: [Int]
  /// Per header column, the model feature it holds, or −1.
  let featureOfColumn: [Int]
  let keyColumn: Int?
  let asOfColumn: Int?
  let path: String

  init(header: [String], columns: [Int], path: String) {
    self.header = header
    self.columns = columns
    var featureOfColumn = [Int](repeating: -1, count: header.count)
    for (k, c) in columns.enumerated() { featureOfColumn[c] = k }
    self.featureOfColumn = featureOfColumn
    keyColumn = header.firstIndex(of: "customer_id")
    asOfColumn = header.firstIndex(of: "cutoff")
    self.path = path
  }

  /// A row with the wrong number of fields.
  func wrongWidth(_ fields: Int, line: Int) -> IngestError {
    .badField(path: path, line: line, column: nil, problem: "row has \(fields) fields, the header has \(header.count)")
  }

  /// A model feature's value that is not a number.
  func notANumber(column c: Int, value: String, line: Int) -> IngestError {
    .badField(
      path: path, line: line, column: c + 1, problem: "feature '\(header[c])' has value '\(value)', not a number")
  }
}

/// Rows of a piece of a feature file already split into fields.
struct ParsedCSVRows: ScoreRowSource {
  let chunk: CSVChunk
  let rows: Range<Int>
  /// The piece's first row's number in the file (names rows without a
  /// customer_id column).
  let firstRow: Int
  let layout: FeatureFileLayout
  /// A table of this piece's own: no reference count shared with the other
  /// cores (see `Array.unshared`).
  private let columns: [Int]
  private var current: Int
  private(set) var failure: IngestError?

  init(_ chunk: CSVChunk, rows: Range<Int>, firstRow: Int, layout: FeatureFileLayout) {
    self.chunk = chunk
    self.rows = rows
    self.firstRow = firstRow
    self.layout = layout
    columns = layout.columns.unshared
    current = rows.lowerBound - 1
  }

  mutating func next(into values: inout [Double]) -> Bool {
    current += 1
    let r = current
    guard r < rows.upperBound else { return false }
    guard chunk.fieldCount(record: r) == layout.header.count else {
      failure = layout.wrongWidth(chunk.fieldCount(record: r), line: chunk.line(record: r))
      return false
    }
    var bad: Int?
    do {
      // One uniqueness check per row, not one per value written.
      var row = values.mutableSpan
      for k in columns.indices {
        guard let v = parseDecimal(chunk.bytes, chunk.fieldRange(record: r, field: columns[k])) else {
          bad = columns[k]
          break
        }
        row[k] = v
      }
    }
    if let c = bad {
      failure = layout.notANumber(column: c, value: chunk.string(record: r, field: c), line: chunk.line(record: r))
      return false
    }
    return true
  }

  func appendKeys(to out: inout ByteBuffer, neutralisingFormulas: Bool) {
    if let c = layout.keyColumn {
      appendField(c, neutralisingFormula: neutralisingFormulas, to: &out)
    } else {
      // Without a customer_id column a row is named by its position (from 0).
      CSVFormatting.appendInteger(Int64(firstRow + current), to: &out)
    }
    out.append(UInt8(ascii: ","))
    if let c = layout.asOfColumn { appendField(c, neutralisingFormula: neutralisingFormulas, to: &out) }
    out.append(UInt8(ascii: ","))
  }

  /// A field as it came, CSV-escaped, read through a span of the chunk's
  /// bytes: no slice, so no reference count shared with the other pieces
  /// of the same buffer.
  private func appendField(_ f: Int, neutralisingFormula: Bool, to out: inout ByteBuffer) {
    if chunk.hasEscapedQuotes(record: current, field: f) {
      let unescaped = Array(chunk.fieldBytes(record: current, field: f))
      CSVFormatting.appendEscaped(
        unescaped.span, 0..<unescaped.count, neutralisingFormula: neutralisingFormula, to: &out)
    } else {
      CSVFormatting.appendEscaped(
        chunk.bytes.span, chunk.fieldRange(record: current, field: f), neutralisingFormula: neutralisingFormula,
        to: &out)
    }
  }

  func keys() -> (id: String, asOf: String) {
    (
      layout.keyColumn.map { chunk.string(record: current, field: $0) } ?? String(firstRow + current),
      layout.asOfColumn.map { chunk.string(record: current, field: $0) } ?? ""
    )
  }

  var progress: (done: Int, total: Int) { (current + 1 - rows.lowerBound, rows.count) }
}

/// Rows of a plain piece of a feature file (no quotes: every field ends at
/// the next delimiter or line feed): each row's fields walked once, the
/// model's values parsed as they are met. The same values, keys and errors
/// as `ParsedCSVRows` over the same records.
struct PlainCSVRows: ScoreRowSource {
  let piece: PlainCSVPiece
  let layout: FeatureFileLayout
  private let featureOfColumn: [Int]
  /// Fields per row.
  private let width: Int
  private let keyColumn: Int
  private let asOfColumn: Int
  private let separators: SeparatorMasks
  /// Every separator ends a field or a line, in order: one pop each.
  private var nextSeparator: SeparatorMasks.Cursor
  private var position: Int
  private var line: Int
  /// The current row's key and as-of fields.
  private var key = 0..<0
  private var asOf = 0..<0
  private(set) var failure: IngestError?

  init(_ piece: PlainCSVPiece, layout: FeatureFileLayout) {
    self.piece = piece
    self.layout = layout
    featureOfColumn = layout.featureOfColumn.unshared
    width = layout.header.count
    (keyColumn, asOfColumn) = (layout.keyColumn ?? -1, layout.asOfColumn ?? -1)
    separators = SeparatorMasks(
      piece.bytes, from: piece.range.lowerBound, to: piece.range.upperBound, delimiter: piece.delimiter)
    nextSeparator = separators.cursor()
    position = piece.range.lowerBound
    line = piece.firstLine - 1
  }

  @inline(__always)
  mutating func next(into values: inout [Double]) -> Bool {
    let bytes = piece.bytes
    let end = piece.range.upperBound
    let lineFeed = UInt8(ascii: "\n")
    line += 1
    while position < end && bytes[position] == lineFeed {  // blank lines
      _ = nextSeparator.next()
      position += 1
      line += 1
    }
    guard position < end else { return false }
    let rowStart = position
    var fields = 0
    var firstBad = Int.max  // the first model feature (in model order) that is not a number
    do {
      var row = values.mutableSpan
      while true {
        let fieldEnd = nextSeparator.next()
        if fields < width {
          let k = featureOfColumn[fields]
          if k >= 0 {
            if let v = parseDecimal(bytes, position..<fieldEnd) { row[k] = v } else { firstBad = min(firstBad, k) }
          }
          if fields == keyColumn { key = position..<fieldEnd }
          if fields == asOfColumn { asOf = position..<fieldEnd }
        }
        fields += 1
        position = fieldEnd + 1
        if fieldEnd == end || bytes[fieldEnd] == lineFeed { break }
      }
    }
    if fields != width {
      failure = layout.wrongWidth(fields, line: line)
      return false
    }
    if firstBad != Int.max {
      // Walk to the offending field again for its text.
      let c = layout.columns[firstBad]
      var start = rowStart
      for _ in 0..<c { start = separators.next(from: start, limit: end) + 1 }
      let text = String(decoding: bytes[start..<separators.next(from: start, limit: end)], as: UTF8.self)
      failure = layout.notANumber(column: c, value: text, line: line)
      return false
    }
    return true
  }

  @inline(__always)
  func appendKeys(to out: inout ByteBuffer, neutralisingFormulas: Bool) {
    CSVFormatting.appendEscaped(piece.bytes.span, key, neutralisingFormula: neutralisingFormulas, to: &out)
    out.append(UInt8(ascii: ","))
    if asOfColumn >= 0 {
      CSVFormatting.appendEscaped(piece.bytes.span, asOf, neutralisingFormula: neutralisingFormulas, to: &out)
    }
    out.append(UInt8(ascii: ","))
  }

  func keys() -> (id: String, asOf: String) {
    (
      String(decoding: piece.bytes[key], as: UTF8.self),
      asOfColumn >= 0 ? String(decoding: piece.bytes[asOf], as: UTF8.self) : ""
    )
  }

  var progress: (done: Int, total: Int) { (position - piece.range.lowerBound, piece.range.count) }
}
