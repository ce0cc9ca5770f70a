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
    while try csv.nextChunk() {
      let chunk = csv.chunk
      let n = chunk.recordCount
      let results = (0..<parts).map { _ in PartResult() }
      DispatchQueue.concurrentPerform(iterations: parts) { p in
        let range = (n * p / parts)..<(n * (p + 1) / parts)
        var out: [UInt8] = []
        var partTally = ScoreTally(model: model)
        var values = [Double](repeating: 0, count: columns.count)
        for r in range {
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
          let id = keyColumn.map { chunk.string(record: r, field: $0) } ?? String(r)
          let s = scorer.score(customerID: id, values: values)
          partTally.add(values: values, score: s)
          ScoreFormat.append(s, asOf: asOfColumn.map { chunk.string(record: r, field: $0) } ?? "", format: format, scorer: scorer, to: &out)
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
