import Dispatch
import Foundation

/// Scores a feature file (one row per customer, one column per model
/// feature, as `churnkit features` writes it) chunk by chunk: memory stays
/// bounded whatever the number of rows, each chunk is scored on all cores,
/// and rows are written as they are scored, in file order.
public struct FeatureFileScorer: Sendable {
  public let model: ChurnModel

  public init(model: ChurnModel) { self.model = model }

  /// Scores `path`, handing output bytes to `write`; returns the tally.
  ///
  /// - Throws: `ModelError` naming the model features the file lacks
  ///   (before scoring anything) and the file:line:column of any value that
  ///   is not a number; `IngestError` for unreadable files.
  public func score(
    path: String, format: ScoreFormat, write: ([UInt8]) throws -> Void
  ) throws -> ScoreTally {
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    let missing = model.features.filter { !header.contains($0) }
    guard missing.isEmpty else {
      throw ModelError.invalidOption(
        "\(path) lacks \(missing.count) of the model's features: \(missing.prefix(5).joined(separator: ", "))\(missing.count > 5 ? ", …" : "")")
    }
    let columns = model.features.map { header.firstIndex(of: $0)! }
    if let h = format.header(actions: model.uplift != nil) { try write(Array(h.utf8)) }
    return try withoutActuallyEscaping(write) { write in
      try score(csv: csv, header: header, columns: columns, format: format, path: path, write: Sink.Writer(write))
    }
  }

  private func score(
    csv: CSVReader, header: [String], columns: [Int], format: ScoreFormat, path: String, write: Sink.Writer
  ) throws -> ScoreTally {
    let sink = Sink(tally: ScoreTally(model: model))
    let parts = ProcessInfo.processInfo.activeProcessorCount * 4
    // Pieces of about 4 MB cut at line breaks; the first stretch is parsed
    // on all cores, each later one while the one before it is scored.
    let ahead = try ReadAhead(csv, parts: parts)
    var rowsDone = 0
    var pending: [PartResult] = []
    while case .success(let chunks) = ahead.result, !chunks.isEmpty {
      // Work items: the pieces, or — when a quoted field sent the reader
      // back to one piece — that piece's rows split between the cores.
      let items: [(chunk: Int, rows: Range<Int>)] =
        chunks.count == 1 && chunks[0].recordCount >= 4096
        ? (0..<parts).map { p in (0, (chunks[0].recordCount * p / parts)..<(chunks[0].recordCount * (p + 1) / parts)) }
        : chunks.indices.map { ($0, 0..<chunks[$0].recordCount) }
      let results = items.map { _ in PartResult() }
      // Each piece's first row number in the file.
      let firstRows = chunks.indices.map { p in rowsDone + chunks[..<p].reduce(0) { $0 + $1.recordCount } }
      rowsDone += chunks.reduce(0) { $0 + $1.recordCount }
      let ready = pending
      // Three kinds of work at once: the previous stretch goes out, the
      // next is read and parsed, this one is scored.
      DispatchQueue.concurrentPerform(iterations: items.count + 2) { i in
        switch i {
        case 0: sink.drain(ready, to: write)
        case 1: ahead.readNext()
        default:
          let item = items[i - 2]
          results[i - 2].fill(
            with: scoreRows(
              item.rows, of: chunks[item.chunk], firstRow: firstRows[item.chunk],
              header: header, columns: columns, format: format, path: path))
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
    return sink.tally
  }

  /// Scores `rows` of one piece into CSV or JSON Lines bytes and a tally,
  /// or stops at the first row that cannot be scored.
  private func scoreRows(
    _ rows: Range<Int>, of chunk: CSVChunk, firstRow: Int, header: [String], columns sharedColumns: [Int],
    format: ScoreFormat, path: String
  ) -> (bytes: [UInt8], tally: ScoreTally, error: ModelError?) {
    // A scorer and tables of this piece's own: no reference count shared
    // with the other cores (see `Array.unshared`).
    let scorer = ChurnScorer(model: model)
    let columns = sharedColumns.unshared
    let keyColumn = header.firstIndex(of: "customer_id")
    let asOfColumn = header.firstIndex(of: "cutoff")
    let width = header.count
    var out: [UInt8] = []
    var tally = ScoreTally(model: model)
    var values = [Double](repeating: 0, count: columns.count)
    var evaluation = scorer.makeEvaluation()
    /// A field as it came, CSV-escaped, read through a span of the chunk's
    /// bytes: no slice, so no reference count shared with the other pieces
    /// of the same buffer.
    func appendField(_ f: Int, of r: Int, to out: inout [UInt8]) {
      if chunk.hasEscapedQuotes(record: r, field: f) {
        let unescaped = Array(chunk.fieldBytes(record: r, field: f))
        CSVFormatting.appendEscaped(unescaped.span, 0..<unescaped.count, to: &out)
      } else {
        CSVFormatting.appendEscaped(chunk.bytes.span, chunk.fieldRange(record: r, field: f), to: &out)
      }
    }
    for r in rows {
      guard chunk.fieldCount(record: r) == width else {
        let error = ModelError.invalidOption(
          "\(path):\(chunk.line(record: r)): row has \(chunk.fieldCount(record: r)) fields, the header has \(width)")
        return (out, tally, error)
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
        let error = ModelError.invalidOption(
          "\(path):\(chunk.line(record: r)):\(c + 1): feature '\(header[c])' has value '\(chunk.string(record: r, field: c))', not a number")
        return (out, tally, error)
      }
      switch format {
      case .csv:
        scorer.evaluate(values, into: &evaluation)
        if let c = keyColumn {
          appendField(c, of: r, to: &out)
        } else {
          // Without a customer_id column a row is named by its position (from 0).
          CSVFormatting.appendInteger(Int64(firstRow + r), to: &out)
        }
        out.append(UInt8(ascii: ","))
        if let c = asOfColumn { appendField(c, of: r, to: &out) }
        out.append(UInt8(ascii: ","))
        ScoreFormat.appendCSVColumns(evaluation, values: values, action: scorer.action(values), scorer: scorer, to: &out)
      case .jsonl:
        let s = scorer.score(customerID: keyColumn.map { chunk.string(record: r, field: $0) } ?? String(firstRow + r), values: values)
        evaluation.probability = s.probability
        evaluation.riskBand = s.riskBand
        ScoreFormat.appendJSONLine(s, asOf: asOfColumn.map { chunk.string(record: r, field: $0) } ?? "", to: &out)
      }
      tally.add(values: values, probability: evaluation.probability, riskBand: evaluation.riskBand)
    }
    return (out, tally, nil)
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
    private(set) var result: Result<[CSVChunk], IngestError>

    /// Reads the first stretch, its pieces parsed on all cores.
    init(_ csv: CSVReader, parts: Int) throws(IngestError) {
      self.csv = csv
      self.parts = parts
      result = .success(try self.csv.nextChunks(parts: parts))
    }

    /// Reads the next stretch on this thread (the others are scoring).
    func readNext() {
      result = Result { () throws(IngestError) in try csv.nextChunks(parts: parts, concurrently: false) }
    }
  }

  private final class PartResult: @unchecked Sendable {
    var bytes: [UInt8] = []
    var tally: ScoreTally?
    var error: ModelError?

    func fill(with result: (bytes: [UInt8], tally: ScoreTally, error: ModelError?)) {
      (bytes, tally, error) = (result.bytes, result.tally, result.error)
    }
  }
}
