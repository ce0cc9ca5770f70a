import ChurnIO
import LinearAlgebra

/// A numeric feature matrix with labels, read from a CSV the user brings
/// (or that `churnkit features` wrote): one row per example, a label column
/// of 0/1, every other column a number.
public struct LabelledFeatures: Sendable {
  public let featureNames: [String]
  /// n × p, column-major.
  public let x: Matrix
  public let y: [Double]
  /// Rows skipped because their label was empty (censored).
  public let unlabelledRows: Int
  /// The value of the first key column (`customer_id`) of each row, when
  /// the file has one: holdouts are split by it.
  public let keys: [String]?
  /// Per-row sample weights, when a weight column was named.
  public let weights: [Double]?

  /// Reads `path`. Columns named in `exclude` (by default `customer_id` and
  /// `cutoff`, when present) are keys, not features. `check` sees the
  /// header before any row is read (to refuse a table that does not fit).
  ///
  /// - Throws: `IngestError` for an unreadable file or a missing label
  ///   column; `IngestError.badField` naming file:line:column and the
  ///   value for anything that is not a number (or a label not 0/1).
  public init(
    path: String, label: String, exclude: [String] = ["customer_id", "cutoff"], weightColumn: String? = nil,
    checkingHeader check: ([String]) throws -> Void = { _ in }
  ) throws {
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    try check(header)
    guard let labelIndex = header.firstIndex(of: label) else {
      throw IngestError.missingColumn(path: path, role: "label", expected: label, available: header)
    }
    var weightIndex: Int?
    if let weightColumn {
      guard let i = header.firstIndex(of: weightColumn) else {
        throw IngestError.missingColumn(path: path, role: "weight", expected: weightColumn, available: header)
      }
      weightIndex = i
    }
    try IngestError.requireDistinctColumns(header, path: path)
    let featureIndexes = header.indices.filter {
      $0 != labelIndex && $0 != weightIndex && !exclude.contains(header[$0])
    }
    featureNames = featureIndexes.map { header[$0] }
    var columns = Array(repeating: [Double](), count: featureIndexes.count)
    var labels: [Double] = []
    var unlabelled = 0
    let keyIndex = exclude.first.flatMap { header.firstIndex(of: $0) }
    var keyValues: [String] = []
    var weightValues: [Double] = []
    while try csv.nextChunk() {
      let chunk = csv.chunk
      let bytes = chunk.bytes
      for r in 0..<chunk.recordCount {
        let line = chunk.line(record: r)
        guard chunk.fieldCount(record: r) == header.count else {
          throw IngestError.badField(
            path: path, line: line, column: nil,
            problem: "row has \(chunk.fieldCount(record: r)) fields, the header has \(header.count)")
        }
        let labelRange = chunk.fieldRange(record: r, field: labelIndex)
        if trimmed(bytes, labelRange).isEmpty {
          unlabelled += 1
          continue
        }
        guard let value = parseDecimal(bytes, labelRange), value == 0 || value == 1 else {
          throw IngestError.badField(
            path: path, line: line, column: labelIndex + 1,
            problem: "label '\(chunk.string(record: r, field: labelIndex))' is not 0 or 1")
        }
        if let weightIndex {
          guard let w = parseDecimal(bytes, chunk.fieldRange(record: r, field: weightIndex)), w >= 0, w.isFinite else {
            throw IngestError.badField(
              path: path, line: line, column: weightIndex + 1,
              problem: "weight '\(chunk.string(record: r, field: weightIndex))' is not a number ≥ 0")
          }
          weightValues.append(w)
        }
        labels.append(value)
        if let keyIndex { keyValues.append(chunk.string(record: r, field: keyIndex)) }
        for (c, f) in featureIndexes.enumerated() {
          guard let v = parseDecimal(bytes, chunk.fieldRange(record: r, field: f)) else {
            throw IngestError.badField(
              path: path, line: line, column: f + 1,
              problem: "feature '\(header[f])' has value '\(chunk.string(record: r, field: f))', not a number")
          }
          columns[c].append(v)
        }
      }
    }
    y = labels
    x = Matrix(rows: labels.count, columns: featureIndexes.count, columnMajor: columns.flatMap { $0 })
    unlabelledRows = unlabelled
    keys = keyIndex == nil ? nil : keyValues
    weights = weightIndex == nil ? nil : weightValues
  }

  private init(featureNames: [String], x: Matrix, y: [Double], keys: [String]?, weights: [Double]?) {
    self.featureNames = featureNames
    self.x = x
    self.y = y
    self.keys = keys
    self.weights = weights
    unlabelledRows = 0
  }

  /// A fingerprint of the labelled rows (features and labels, in order), to
  /// tell later whether a model saw the same table.
  public var fingerprint: String {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for v in x.storage + y { h = (h ^ v.bitPattern) &* 0x100_0000_01B3 }
    return String(h, radix: 16)
  }

  /// The rows at `indexes`, in that order.
  public func subset(_ indexes: [Int]) -> LabelledFeatures {
    var m = Matrix(rows: indexes.count, columns: x.columns)
    for j in 0..<x.columns {
      for (r, i) in indexes.enumerated() { m.storage[j * indexes.count + r] = x.storage[j * x.rows + i] }
    }
    return LabelledFeatures(
      featureNames: featureNames, x: m, y: indexes.map { y[$0] }, keys: keys.map { k in indexes.map { k[$0] } },
      weights: weights.map { w in indexes.map { w[$0] } })
  }

  /// Splits rows into training and holdout by customer: each distinct key
  /// goes to the holdout with probability `fraction` (a seeded hash of the
  /// key, so a customer's rows at several cutoffs stay together and the split
  /// is the same on every run).
  public func holdoutSplit(fraction: Double, seed: UInt64) -> (training: [Int], holdout: [Int]) {
    var training: [Int] = []
    var holdout: [Int] = []
    for i in 0..<y.count {
      if CustomerHoldout.contains(keys?[i] ?? String(i), fraction: fraction, seed: seed) {
        holdout.append(i)
      } else {
        training.append(i)
      }
    }
    return (training, holdout)
  }
}
