import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Dispatch
import Foundation

/// Scores a feature file (one row per customer, one column per model
/// feature, as `churnkit features` writes it) chunk by chunk: memory stays
/// bounded whatever the number of rows, each chunk is scored on all cores,
/// and rows are written as they are scored, in file order.
public struct FeatureFileScorer: Sendable {
  public let model: ChurnModel

  /// Columns of the file that are not features (besides the model's own
  /// `nonFeatureColumns`).
  public var ignoredColumns: [String] = []

  public init(model: ChurnModel) { self.model = model }

  /// Scores `path`, handing output bytes to `write`; returns the tally.
  ///
  /// - Throws: `FeatureTableError` naming the model features the file lacks
  ///   or a column that is not one (before scoring anything); `IngestError`
  ///   for unreadable files, a row of the wrong width, or a value that is
  ///   not a number (by file:line:column).
  public func score(
    path: String, format: ScoreFormat, write: ([UInt8]) throws -> Void
  ) throws -> ScoreTally {
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    let columns = try FeatureColumns(
      header: header.enumerated().map { (name: $1, position: $0) }, model: model, path: path, ignoring: ignoredColumns
    ).positions
    if let h = format.header(actions: model.uplift != nil) { try write(Array(h.utf8)) }
    return try withoutActuallyEscaping(write) { write in
      try score(csv: csv, header: header, columns: columns, format: format, path: path, write: Sink.Writer(write))
    }
  }

  /// What a feature file's columns are to the scorer.
  private struct Layout {
    let header: [String]
    /// The header column of each model feature.
    let columns: [Int]
    /// Per header column, the model feature it holds, or −1.
    let featureOfColumn: [Int]
    let keyColumn: Int?
    let asOfColumn: Int?
    let format: ScoreFormat
    let path: String

    init(header: [String], columns: [Int], format: ScoreFormat, path: String) {
      self.header = header
      self.columns = columns
      var featureOfColumn = [Int](repeating: -1, count: header.count)
      for (k, c) in columns.enumerated() { featureOfColumn[c] = k }
      self.featureOfColumn = featureOfColumn
      keyColumn = header.firstIndex(of: "customer_id")
      asOfColumn = header.firstIndex(of: "cutoff")
      self.format = format
      self.path = path
    }

    /// A row with the wrong number of fields.
    func wrongWidth(_ fields: Int, line: Int) -> IngestError {
      .badField(
        path: path, line: line, column: nil, problem: "row has \(fields) fields, the header has \(header.count)")
    }

    /// A model feature's value that is not a number.
    func notANumber(column c: Int, value: String, line: Int) -> IngestError {
      .badField(
        path: path, line: line, column: c + 1, problem: "feature '\(header[c])' has value '\(value)', not a number")
    }
  }

  private func score(
    csv: CSVReader, header: [String], columns: [Int], format: ScoreFormat, path: String, write: Sink.Writer
  ) throws -> ScoreTally {
    let layout = Layout(header: header, columns: columns, format: format, path: path)
    let scorer = ChurnScorer(model: model)
    let sink = Sink(tally: ScoreTally(model: model))
    let parts = ProcessInfo.processInfo.activeProcessorCount * 4
    // Pieces of about 4 MB cut at line breaks; the first stretch is parsed
    // on all cores, each later one while the one before it is scored.
    // Plain pieces (no quotes) are scanned field by field as they are
    // scored; without a customer_id column rows are named by their
    // position, so every piece's row count must be known first: parsed.
    let ahead = try ReadAhead(csv, parts: parts, plainWhenPossible: layout.keyColumn != nil)
    var rowsDone = 0
    var pending: [PartResult] = []
    while case .success(let pieces) = ahead.result, !pieces.isEmpty {
      let work: [(piece: Int, rows: Range<Int>)]
      let firstRows: [Int]
      switch pieces {
      case .plain(let plain):
        work = plain.indices.map { ($0, 0..<0) }
        firstRows = []
      case .parsed(let chunks):
        // The pieces, or — when a quoted field sent the reader back to one
        // piece — that piece's rows split between the cores.
        work =
          chunks.count == 1 && chunks[0].recordCount >= 4096
          ? (0..<parts).map { p in (0, (chunks[0].recordCount * p / parts)..<(chunks[0].recordCount * (p + 1) / parts))
          }
          : chunks.indices.map { ($0, 0..<chunks[$0].recordCount) }
        // Each piece's first row number in the file.
        firstRows = chunks.indices.map { p in rowsDone + chunks[..<p].reduce(0) { $0 + $1.recordCount } }
        rowsDone += chunks.reduce(0) { $0 + $1.recordCount }
      }
      let results = work.map { _ in PartResult() }
      let ready = pending
      // Three kinds of work at once: the previous stretch goes out, the
      // next is read, this one is scored.
      DispatchQueue.concurrentPerform(iterations: work.count + 2) { i in
        switch i {
        case 0: sink.drain(ready, to: write)
        case 1: ahead.readNext()
        default:
          let item = work[i - 2]
          switch pieces {
          case .plain(let plain):
            results[i - 2].fill(with: scorePlain(plain[item.piece], layout, scorer))
          case .parsed(let chunks):
            results[i - 2].fill(
              with: scoreRows(item.rows, of: chunks[item.piece], firstRow: firstRows[item.piece], layout, scorer))
          }
        }
      }
      if let error = sink.error { throw error }
      pending = results
    }
    // A value the rows read so far cannot score comes before a read error
    // further on in the file.
    sink.drain(pending, to: write)
    if let error = sink.error { throw error }
    if case .failure(let error) = ahead.result { throw error }
    // Nothing scored is not a result (its drift would compare nothing).
    guard !sink.tally.probabilities.isEmpty else { throw FeatureTableError.noRows(path: path) }
    return sink.tally
  }

  /// Scores `rows` of one parsed piece into CSV or JSON Lines bytes and a
  /// tally, or stops at the first row that cannot be scored.
  private func scoreRows(
    _ rows: Range<Int>, of chunk: CSVChunk, firstRow: Int, _ layout: Layout, _ shared: ChurnScorer
  ) -> (bytes: [UInt8], tally: ScoreTally, error: IngestError?) {
    let scorer = shared.unsharedCopy()
    var writer = PieceWriter(scorer, format: layout.format)
    // A table of this piece's own: no reference count shared with the other
    // cores (see `Array.unshared`).
    let columns = layout.columns.unshared
    let width = layout.header.count
    var values = [Double](repeating: 0, count: columns.count)
    /// A field as it came, CSV-escaped, read through a span of the chunk's
    /// bytes: no slice, so no reference count shared with the other pieces
    /// of the same buffer.
    func appendField(_ f: Int, of r: Int, to out: inout ByteBuffer) {
      if chunk.hasEscapedQuotes(record: r, field: f) {
        let unescaped = Array(chunk.fieldBytes(record: r, field: f))
        CSVFormatting.appendEscaped(unescaped.span, 0..<unescaped.count, to: &out)
      } else {
        CSVFormatting.appendEscaped(chunk.bytes.span, chunk.fieldRange(record: r, field: f), to: &out)
      }
    }
    for r in rows {
      guard chunk.fieldCount(record: r) == width else {
        return writer.finish(layout.wrongWidth(chunk.fieldCount(record: r), line: chunk.line(record: r)))
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
        return writer.finish(
          layout.notANumber(column: c, value: chunk.string(record: r, field: c), line: chunk.line(record: r)))
      }
      writer.add(
        values, scorer: scorer,
        writeKeys: { out in
          if let c = layout.keyColumn {
            appendField(c, of: r, to: &out)
          } else {
            // Without a customer_id column a row is named by its position (from 0).
            CSVFormatting.appendInteger(Int64(firstRow + r), to: &out)
          }
          out.append(UInt8(ascii: ","))
          if let c = layout.asOfColumn { appendField(c, of: r, to: &out) }
          out.append(UInt8(ascii: ","))
        },
        keys: {
          (
            layout.keyColumn.map { chunk.string(record: r, field: $0) } ?? String(firstRow + r),
            layout.asOfColumn.map { chunk.string(record: r, field: $0) } ?? ""
          )
        })
      if r - rows.lowerBound == 63 { writer.reserveForAll(done: 64, of: rows.count) }
    }
    return writer.finish()
  }

  /// Scores a plain piece (no quotes: every field ends at the next
  /// delimiter or line feed), walking each row's fields once and parsing
  /// the model's values as it meets them; the same bytes, tally and errors
  /// as `scoreRows` over the same records.
  private func scorePlain(
    _ piece: PlainCSVPiece, _ layout: Layout, _ shared: ChurnScorer
  ) -> (bytes: [UInt8], tally: ScoreTally, error: IngestError?) {
    let scorer = shared.unsharedCopy()
    var writer = PieceWriter(scorer, format: layout.format)
    let featureOfColumn = layout.featureOfColumn.unshared
    let width = layout.header.count
    let (keyColumn, asOfColumn) = (layout.keyColumn ?? -1, layout.asOfColumn ?? -1)
    let bytes = piece.bytes
    let end = piece.range.upperBound
    let lineFeed = UInt8(ascii: "\n")
    let separators = SeparatorMasks(bytes, from: piece.range.lowerBound, to: end, delimiter: piece.delimiter)
    // Every separator ends a field or a line, in order: one pop each.
    var nextSeparator = separators.cursor()
    var values = [Double](repeating: 0, count: layout.columns.count)
    var pos = piece.range.lowerBound
    var line = piece.firstLine
    while pos < end {
      if bytes[pos] == lineFeed {  // a blank line
        _ = nextSeparator.next()
        pos += 1
        line += 1
        continue
      }
      let rowStart = pos
      var fields = 0
      var key = 0..<0
      var asOf = 0..<0
      var firstBad = Int.max  // the first model feature (in model order) that is not a number
      do {
        var row = values.mutableSpan
        while true {
          let fieldEnd = nextSeparator.next()
          if fields < width {
            let k = featureOfColumn[fields]
            if k >= 0 {
              if let v = parseDecimal(bytes, pos..<fieldEnd) { row[k] = v } else { firstBad = min(firstBad, k) }
            }
            if fields == keyColumn { key = pos..<fieldEnd }
            if fields == asOfColumn { asOf = pos..<fieldEnd }
          }
          fields += 1
          pos = fieldEnd + 1
          if fieldEnd == end || bytes[fieldEnd] == lineFeed { break }
        }
      }
      if fields != width { return writer.finish(layout.wrongWidth(fields, line: line)) }
      if firstBad != Int.max {
        // Walk to the offending field again for its text.
        let c = layout.columns[firstBad]
        var start = rowStart
        for _ in 0..<c { start = separators.next(from: start, limit: end) + 1 }
        let text = String(decoding: bytes[start..<separators.next(from: start, limit: end)], as: UTF8.self)
        return writer.finish(layout.notANumber(column: c, value: text, line: line))
      }
      writer.add(
        values, scorer: scorer,
        writeKeys: { out in
          CSVFormatting.appendEscaped(bytes.span, key, to: &out)
          out.append(UInt8(ascii: ","))
          if asOfColumn >= 0 { CSVFormatting.appendEscaped(bytes.span, asOf, to: &out) }
          out.append(UInt8(ascii: ","))
        },
        keys: {
          (
            String(decoding: bytes[key], as: UTF8.self),
            asOfColumn >= 0 ? String(decoding: bytes[asOf], as: UTF8.self) : ""
          )
        })
      line += 1
      if line - piece.firstLine == 64 {
        writer.reserveForAll(done: pos - piece.range.lowerBound, of: piece.range.count)
      }
    }
    return writer.finish()
  }

  /// One piece's output bytes and tally. The piece's scorer (a copy whose
  /// tables are its own: no reference count shared with the other cores) is
  /// a local of the caller's, passed in by reference: kept in here, every
  /// row would copy its 1.4 KB out before using it.
  private struct PieceWriter: ~Copyable {
    let format: ScoreFormat
    var evaluation: ChurnScorer.Evaluation
    var out = ByteBuffer()
    var tally: ScoreTally

    init(_ scorer: ChurnScorer, format: ScoreFormat) {
      self.format = format
      evaluation = scorer.makeEvaluation()
      tally = ScoreTally(model: scorer.model)
    }

    /// Makes room for the whole piece's output at the rate so far (`done`
    /// of `total` rows or bytes in), so the output is not copied as it grows.
    mutating func reserveForAll(done: Int, of total: Int) {
      guard done > 0 else { return }
      out.reserveCapacity(Int(Double(out.count) * Double(total) / Double(done) * 1.1) + 4096)
    }

    /// Scores one row: `writeKeys` appends its id and as-of fields and
    /// their commas (CSV); `keys` gives them as text (JSON Lines).
    @inline(__always)
    mutating func add(
      _ values: [Double], scorer: borrowing ChurnScorer, writeKeys: (inout ByteBuffer) -> Void,
      keys: () -> (String, String)
    ) {
      switch format {
      case .csv:
        scorer.evaluate(values, into: &evaluation)
        writeKeys(&out)
        ScoreFormat.appendCSVColumns(
          evaluation, values: values, action: scorer.action(values), scorer: scorer, to: &out)
      case .jsonl:
        let (id, asOf) = keys()
        let s = scorer.score(customerID: id, values: values)
        evaluation.probability = s.probability
        evaluation.riskBand = s.riskBand
        ScoreFormat.appendJSONLine(s, asOf: asOf, to: &out)
      }
      tally.add(values: values, probability: evaluation.probability, riskBand: evaluation.riskBand)
    }

    /// The piece's bytes and tally, and why it stopped early, if it did.
    consuming func finish(_ error: IngestError? = nil) -> (bytes: [UInt8], tally: ScoreTally, error: IngestError?) {
      (out.finish(), tally, error)
    }
  }

  /// Where scored pieces go, in file order: their bytes to the output,
  /// their tallies into one; the first error stops both.
  private final class Sink: @unchecked Sendable {
    var tally: ScoreTally
    var error: (any Error)?

    init(tally: ScoreTally) { self.tally = tally }

    /// The caller's output, handed to the thread that writes each stretch:
    /// only one thread calls it at a time, in file order.
    struct Writer: @unchecked Sendable {
      let write: ([UInt8]) throws -> Void
      init(_ write: @escaping ([UInt8]) throws -> Void) { self.write = write }
    }

    func drain(_ results: [PartResult], to writer: Writer) {
      for result in results where error == nil {
        if let failure = result.error {
          error = failure
          return
        }
        do {
          try writer.write(result.bytes)
        } catch {
          self.error = error
          return
        }
        if let t = result.tally { tally.merge(t) }
      }
    }
  }

  /// The reader and the pieces of the stretch it read last (empty at the
  /// end); one thread at a time reads: the caller, then a scoring thread.
  private final class ReadAhead: @unchecked Sendable {
    private var csv: CSVReader
    private let parts: Int
    private let plainWhenPossible: Bool
    private(set) var result: Result<CSVPieces, IngestError>

    /// Reads the first stretch (any parsing on all cores).
    init(_ csv: CSVReader, parts: Int, plainWhenPossible: Bool) throws(IngestError) {
      self.csv = csv
      self.parts = parts
      self.plainWhenPossible = plainWhenPossible
      result = .success(try self.csv.nextPieces(parts: parts, plainWhenPossible: plainWhenPossible))
    }

    /// Reads the next stretch on this thread (the others are scoring).
    func readNext() {
      result = Result { () throws(IngestError) in
        try csv.nextPieces(parts: parts, concurrently: false, plainWhenPossible: plainWhenPossible)
      }
    }
  }

  private final class PartResult: @unchecked Sendable {
    var bytes: [UInt8] = []
    var tally: ScoreTally?
    var error: IngestError?

    func fill(with result: (bytes: [UInt8], tally: ScoreTally, error: IngestError?)) {
      (bytes, tally, error) = (result.bytes, result.tally, result.error)
    }
  }
}
