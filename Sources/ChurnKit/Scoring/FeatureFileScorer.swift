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
    let keyColumn = header.firstIndex(of: "customer_id")
    let asOfColumn = header.firstIndex(of: "cutoff")
    if let h = format.header(actions: model.uplift != nil) { try write(Array(h.utf8)) }
    var tally = ScoreTally(model: model)
    let scorer = ChurnScorer(model: model)
    let parts = ProcessInfo.processInfo.activeProcessorCount * 2
    var rowsDone = 0
    while true {
      // Pieces of about 4 MB cut at line breaks, parsed and scored on all cores.
      let chunks = try csv.nextChunks(parts: parts)
      if chunks.isEmpty { break }
      let results = chunks.map { _ in PartResult() }
      // Without a customer_id column a row is named by its position (from 0).
      let firstRows = chunks.indices.map { p in rowsDone + chunks[..<p].reduce(0) { $0 + $1.recordCount } }
      rowsDone += chunks.reduce(0) { $0 + $1.recordCount }
      DispatchQueue.concurrentPerform(iterations: chunks.count) { p in
        let chunk = chunks[p]
        var out: [UInt8] = []
        var partTally = ScoreTally(model: model)
        var values = [Double](repeating: 0, count: columns.count)
        var evaluation = scorer.makeEvaluation()
        let noText: ArraySlice<UInt8> = []
        for r in 0..<chunk.recordCount {
          guard chunk.fieldCount(record: r) == header.count else {
            results[p].error = ModelError.invalidOption(
              "\(path):\(chunk.line(record: r)): row has \(chunk.fieldCount(record: r)) fields, the header has \(header.count)")
            return
          }
          for (k, c) in columns.enumerated() {
            guard let v = parseDecimal(chunk.bytes, chunk.fieldRange(record: r, field: c)) else {
              results[p].error = ModelError.invalidOption(
                "\(path):\(chunk.line(record: r)):\(c + 1): feature '\(header[c])' has value '\(chunk.string(record: r, field: c))', not a number")
              return
            }
            values[k] = v
          }
          switch format {
          case .csv:
            scorer.evaluate(values, into: &evaluation)
            let id = keyColumn.map { chunk.fieldBytes(record: r, field: $0) } ?? Array(String(firstRows[p] + r).utf8)[...]
            ScoreFormat.appendCSV(
              id: id, asOf: asOfColumn.map { chunk.fieldBytes(record: r, field: $0) } ?? noText,
              evaluation: evaluation, values: values, action: scorer.action(values), scorer: scorer, to: &out)
          case .jsonl:
            let s = scorer.score(customerID: keyColumn.map { chunk.string(record: r, field: $0) } ?? String(firstRows[p] + r), values: values)
            evaluation.probability = s.probability
            evaluation.riskBand = s.riskBand
            ScoreFormat.appendJSONLine(s, asOf: asOfColumn.map { chunk.string(record: r, field: $0) } ?? "", to: &out)
          }
          partTally.add(values: values, probability: evaluation.probability, riskBand: evaluation.riskBand)
        }
        results[p].bytes = out
        results[p].tally = partTally
      }
      for result in results {
        if let error = result.error { throw error }
        try write(result.bytes)
        if let t = result.tally { tally.merge(t) }
      }
    }
    return tally
  }

  private final class PartResult: @unchecked Sendable {
    var bytes: [UInt8] = []
    var tally: ScoreTally?
    var error: ModelError?
  }
}
