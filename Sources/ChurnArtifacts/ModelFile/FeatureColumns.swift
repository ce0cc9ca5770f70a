import ChurnIO

/// Where a feature table holds each of a model's features. Every feature
/// must be there, and every other column must be one the model knows is not
/// a feature (a key, the label, a weight, or one the user names): a renamed
/// or extra feature column would otherwise be ignored without a word.
public struct FeatureColumns: Sendable {
  /// The header position (0-based) of each model feature, in model order.
  public let positions: [Int]

  /// Matches `header` (names with their 0-based positions) to `model`.
  ///
  /// - Throws: `IngestError.duplicateColumn` for a column named twice;
  ///   `FeatureTableError` naming the missing features, or each
  ///   unknown column with its `path:1:column`.
  public init(
    header: [(name: String, position: Int)], model: ChurnModel, path: String, ignoring: [String] = []
  ) throws {
    var positionOf: [String: Int] = [:]
    for column in header {
      if let first = positionOf[column.name] {
        throw IngestError.duplicateColumn(path: path, name: column.name, first: first, second: column.position)
      }
      positionOf[column.name] = column.position
    }
    let missing = model.features.filter { positionOf[$0] == nil }
    guard missing.isEmpty else { throw FeatureTableError.missingFeatures(path: path, names: missing) }
    let known = Set(model.features).union(model.nonFeatureColumns).union(ignoring)
    let unknown = header.filter { !known.contains($0.name) }
    guard unknown.isEmpty else { throw FeatureTableError.unknownColumns(path: path, columns: unknown) }
    positions = model.features.map { positionOf[$0]! }
  }
}

/// A feature table that does not fit the model.
public enum FeatureTableError: Error, CustomStringConvertible {
  case missingFeatures(path: String, names: [String])
  case unknownColumns(path: String, columns: [(name: String, position: Int)])
  /// A header and no row.
  case noRows(path: String)

  public var description: String {
    switch self {
    case .missingFeatures(let path, let names):
      let list = names.prefix(5).joined(separator: ", ") + (names.count > 5 ? ", …" : "")
      return
        "\(path) lacks \(names.count) of the model's features (\(list)): build the table as the model's training table was built, or retrain on this one"
    case .noRows(let path):
      return "\(path) has a header and no rows: nothing to score"
    case .unknownColumns(let path, let columns):
      let first = columns[0]
      let more =
        columns.count > 1
        ? " (and \(columns.count - 1) more: \(columns.dropFirst().prefix(4).map(\.name).joined(separator: ", "))\(columns.count > 5 ? ", …" : ""))"
        : ""
      let names = columns.map(\.name).joined(separator: ",")
      return
        "\(path):1:\(first.position + 1): column '\(first.name)' is not one of the model's features\(more): a feature the model was not trained on would be ignored. Remove it, or pass --ignore-columns \(names) if it is not a feature"
    }
  }
}
