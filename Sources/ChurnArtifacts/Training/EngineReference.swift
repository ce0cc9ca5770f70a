import ByteStreams
import ChurnModels

/// The model file's reference distributions (`ChurnModel.Reference`) of
/// features that stay in the database: each decile and median is an order
/// statistic read by `ROW_NUMBER()`, each bin's share a count, exactly
/// what the in-memory reference computes from sorted values.
struct EngineReference {
  let design: EngineDesign
  let neverDays: Double

  func reference(scores: [Double]) throws -> ChurnModel.Reference {
    let n = design.rows
    let ranks = DistributionReference.ranks(count: n)
    var statistics: [[Int: Double]] = []
    for j in design.featureNames.indices {
      statistics.append(try orderStatistics(column: j, ranks: ranks))
    }
    let features = try design.featureNames.indices.map { j in
      try DistributionReference(count: n, orderStatistics: statistics[j]) { cuts in
        try countsAtMost(column: j, cuts: cuts)
      }
    }
    let typical = try design.featureNames.indices.map { try median(column: $0) }
    return ChurnModel.Reference(
      featureMeans: try design.moments().means, scores: scores, features: features, typicalValues: typical)
  }

  /// The values at some 0-based ranks of the sorted column.
  private func orderStatistics(column j: Int, ranks: [Int]) throws -> [Int: Double] {
    guard !ranks.isEmpty else { return [:] }
    let c = design.column(j)
    let wanted = Set(ranks).sorted().map { String($0 + 1) }.joined(separator: ", ")
    let rows = try design.session.rows(
      """
      SELECT r, v FROM (SELECT \(c) AS v, ROW_NUMBER() OVER (ORDER BY \(c)) AS r FROM \(design.table)) AS o
      WHERE r IN (\(wanted))
      """)
    var values: [Int: Double] = [:]
    for row in rows {
      guard let r = row[0].flatMap({ Int($0) }), let v = row[1].flatMap(Double.init) else { continue }
      values[r - 1] = v
    }
    return values
  }

  private func countsAtMost(column j: Int, cuts: [Double]) throws -> [Int] {
    guard !cuts.isEmpty else { return [] }
    let c = design.column(j)
    let sums = cuts.map { "SUM(CASE WHEN \(c) <= \(design.number($0)) THEN 1 ELSE 0 END)" }
    return try EngineDesign.numbers(design.session, "SELECT \(sums.joined(separator: ", ")) FROM \(design.table)")
      .map { Int($0 ?? 0) }
  }

  /// What reasons call typical (`ChurnModel.Reference.typicalValues`): the
  /// median (numpy's linear) of the column, of a "days since" feature
  /// among the rows that had the event (the never value when none had).
  private func median(column j: Int) throws -> Double {
    let c = design.column(j)
    let never = FeaturePhrases.isNeverable(design.featureNames[j]) ? neverDays : nil
    let filter = never.map { "WHERE \(c) < \(design.number($0))" } ?? ""
    let half = design.dialect == .duckdb ? "(cnt - 1) // 2" : "(cnt - 1) / 2"
    let rows = try design.session.rows(
      """
      SELECT r, cnt, v FROM (
        SELECT \(c) AS v, ROW_NUMBER() OVER (ORDER BY \(c)) AS r, COUNT(*) OVER () AS cnt
        FROM \(design.table) \(filter)
      ) AS o WHERE r = \(half) + 1 OR r = \(half) + 2
      ORDER BY r
      """)
    guard let first = rows.first, let count = first[1].flatMap({ Int($0) }), count > 0 else { return never ?? 0 }
    let values = rows.compactMap { $0[2].flatMap(Double.init) }
    let position = 0.5 * Double(count - 1)
    let lower = Int(position.rounded(.down))
    let low = values[0]
    let high = values.count > 1 && lower + 1 <= count - 1 ? values[1] : low
    return low + (position - Double(lower)) * (high - low)
  }
}
