import ByteStreams
import ChurnModels
import LinearAlgebra

/// The training rows of `train --engine`, a table in the database (`y` and
/// one column per feature), seen by the fit only through aggregate
/// queries: counts, moments, each feature's extremes per label, and at
/// each Newton step the loss, Xᵀ(y − p) and XᵀWX (upper triangle) in one
/// round trip (`EngineObjective`). No row leaves the database.
final class EngineDesign: SummarisedLogisticDesign {
  let session: any SQLSession
  let dialect: ModelExport.Dialect
  /// The table (already quoted), e.g. `churnkit_training`.
  let table: String
  let featureNames: [String]
  let rows: Int
  let positives: Int
  private var cachedMoments: (means: [Double], deviations: [Double])?
  private var classRanges: (low: [[Double]], high: [[Double]])?

  init(session: any SQLSession, dialect: ModelExport.Dialect, table: String, featureNames: [String]) throws(ModelError)
  {
    self.session = session
    self.dialect = dialect
    self.table = table
    self.featureNames = featureNames
    let counts = try Self.numbers(session, "SELECT COUNT(*), SUM(y) FROM \(table)")
    rows = Int(counts[0] ?? 0)
    positives = Int(counts[1] ?? 0)
  }

  func column(_ j: Int) -> String { ModelExport.identifier(featureNames[j], dialect) }
  func number(_ v: Double) -> String { Self.number(v, dialect) }

  /// A double as SQL, exactly: DuckDB reads a plain literal such as
  /// 0.39215686274509803 as a DECIMAL and rounds it on the way to DOUBLE, so
  /// there it goes as text, which every engine converts correctly rounded.
  static func number(_ v: Double, _ dialect: ModelExport.Dialect) -> String {
    switch dialect {
    case .duckdb: return "CAST('\(ModelExport.literal(v))' AS DOUBLE)"
    case .postgres: return "CAST(\(ModelExport.literal(v)) AS DOUBLE PRECISION)"
    case .sqlite, .spark: return "CAST(\(ModelExport.literal(v)) AS DOUBLE)"
    }
  }

  /// `logistic(η)` in SQL as ChurnKit computes it — 1/(1 + e^−η) for η ≥ 0,
  /// e^η/(1 + e^η) below — with exp kept in range (PostgreSQL refuses to
  /// overflow or underflow).
  static func logistic(_ eta: String) -> String {
    let e = expOfMinusAbs(eta)
    return "CASE WHEN \(eta) >= 0 THEN 1 / (1 + \(e)) ELSE \(e) / (1 + \(e)) END"
  }

  /// e^−|η|, its argument bounded at −700.
  static func expOfMinusAbs(_ eta: String) -> String {
    "EXP(-(CASE WHEN ABS(\(eta)) > 700 THEN 700 ELSE ABS(\(eta)) END))"
  }

  // MARK: - What the screen reads

  /// Means, then the population deviations about them: the two passes of
  /// `columnMoments`.
  func moments() throws(ModelError) -> (means: [Double], deviations: [Double]) {
    if let cachedMoments { return cachedMoments }
    let n = Double(rows)
    let sums = try Self.numbers(
      session, "SELECT \(featureNames.indices.map { "SUM(\(column($0)))" }.joined(separator: ", ")) FROM \(table)")
    let means = sums.map { ($0 ?? 0) / n }
    let squares = try Self.numbers(
      session,
      "SELECT \(featureNames.indices.map { j in let d = "(\(column(j)) - \(number(means[j])))"; return "SUM(\(d) * \(d))" }.joined(separator: ", ")) FROM \(table)"
    )
    let moments = (means, squares.map { (($0 ?? 0) / n).squareRoot() })
    cachedMoments = moments
    return moments
  }

  func firstValue(column j: Int) throws(ModelError) -> Double {
    try Self.numbers(session, "SELECT MIN(\(column(j))) FROM \(table)")[0] ?? 0
  }

  func separation(column j: Int, name: String) throws(ModelError) -> DroppedFeature? {
    let (low, high) = try ranges()
    guard let (boundary, labelAbove) = FeatureScreen.separatingBoundary(low: low[j], high: high[j]) else {
      return nil
    }
    let b = number(boundary)
    let sides = try Self.numbers(
      session,
      "SELECT SUM(CASE WHEN \(column(j)) > \(b) THEN 1 ELSE 0 END), SUM(CASE WHEN \(column(j)) < \(b) THEN 1 ELSE 0 END) FROM \(table)"
    )
    return DroppedFeature(
      name: name, reason: .separating, constant: boundary, labelAbove: labelAbove, rowsAbove: Int(sides[0] ?? 0),
      rowsBelow: Int(sides[1] ?? 0))
  }

  /// Every feature's smallest and largest value among rows of each label, in one query.
  private func ranges() throws(ModelError) -> (low: [[Double]], high: [[Double]]) {
    if let classRanges { return classRanges }
    let aggregates = featureNames.indices.flatMap { j in
      (0...1).flatMap { k in
        ["MIN(CASE WHEN y = \(k) THEN \(column(j)) END)", "MAX(CASE WHEN y = \(k) THEN \(column(j)) END)"]
      }
    }
    let values = try Self.numbers(session, "SELECT \(aggregates.joined(separator: ", ")) FROM \(table)")
    let ranges = (
      low: featureNames.indices.map { j in [values[4 * j] ?? .infinity, values[4 * j + 2] ?? .infinity] },
      high: featureNames.indices.map { j in [values[4 * j + 1] ?? -.infinity, values[4 * j + 3] ?? -.infinity] }
    )
    classRanges = ranges
    return ranges
  }

  func gram(of columns: [Int], means: [Double], scales: [Double]) throws(ModelError) -> Matrix {
    let objective = objective(
      columns: columns, means: means, scales: scales, l2PerTerm: [Double](repeating: 0, count: columns.count + 1))
    return objective.hessian(at: try objective.state(at: [Double](repeating: 0, count: columns.count + 1)))
  }

  func objective(columns: [Int], means: [Double], scales: [Double], l2PerTerm: [Double]) -> EngineObjective {
    EngineObjective(design: self, columns: columns, means: means, scales: scales, l2PerTerm: l2PerTerm)
  }

  // MARK: - Queries

  /// The one row of an aggregate query, as numbers (nil for NULL).
  static func numbers(_ session: any SQLSession, _ sql: String) throws(ModelError) -> [Double?] {
    let rows: [[String?]]
    do {
      rows = try session.rows(sql)
    } catch {
      throw .summaries("the database could not compute the fit's sums: \(error)")
    }
    guard let row = rows.first else { throw .summaries("the database returned no row for an aggregate query") }
    return try row.map { (text: String?) throws(ModelError) -> Double? in
      guard let text else { return nil }
      guard let value = Double(text) else { throw .summaries("the database returned '\(text)' where a number belongs") }
      return value
    }
  }
}

/// The penalised logistic loss over the training table at one γ: a query
/// standardises the columns, forms η, p and the log-likelihood per row, and
/// returns Σ log-likelihood, Σ (p − y)·z and Σ p(1 − p)·zᵢzⱼ (i ≤ j) — the
/// state from which `LogisticLoss`'s value, gradient and Hessian follow.
struct EngineObjective: LogisticObjective {
  struct State {
    var logLikelihood: Double
    /// Σ (p − y) zⱼ, z₀ = 1.
    var residuals: [Double]
    /// Σ p(1 − p) zᵢ zⱼ, both triangles.
    var information: Matrix
    var saturated: Int
  }

  let design: EngineDesign
  let columns: [Int]
  let means: [Double]
  let scales: [Double]
  let l2PerTerm: [Double]

  var rows: Int { design.rows }
  var parameters: Int { columns.count + 1 }

  /// Aggregates per query: PostgreSQL takes at most 1,664 columns in a SELECT.
  static let aggregatesPerQuery = 1_200

  func state(at gamma: [Double]) throws(ModelError) -> State {
    let q = parameters
    let z = ["1.0"] + columns.indices.map { "z\($0)" }
    var aggregates = ["SUM(ll)", "SUM(CASE WHEN eta > 23 OR eta < -23 THEN 1 ELSE 0 END)"]
    aggregates += z.map { "SUM(r * \($0))" }
    var pairs: [(Int, Int)] = []
    for i in 0..<q { for j in i..<q { pairs.append((i, j)) } }
    aggregates += pairs.map { i, j in "SUM(w * \(z[i]) * \(z[j]))" }
    var values: [Double?] = []
    for start in stride(from: 0, to: aggregates.count, by: Self.aggregatesPerQuery) {
      let part = aggregates[start..<min(start + Self.aggregatesPerQuery, aggregates.count)]
      values += try EngineDesign.numbers(design.session, query(gamma, part.joined(separator: ", ")))
    }
    var information = Matrix(rows: q, columns: q)
    for (k, (i, j)) in pairs.enumerated() {
      let v = values[2 + q + k] ?? 0
      information[i, j] = v
      information[j, i] = v
    }
    return State(
      logLikelihood: values[0] ?? 0, residuals: (0..<q).map { values[2 + $0] ?? 0 }, information: information,
      saturated: Int(values[1] ?? 0))
  }

  /// The query around some aggregates: z, η, p, the row's log-likelihood,
  /// residual and weight.
  private func query(_ gamma: [Double], _ aggregates: String) -> String {
    let standardised = columns.enumerated().map { k, j in
      "(\(design.column(j)) - \(design.number(means[k]))) / \(design.number(scales[k])) AS z\(k)"
    }
    let eta = ([design.number(gamma[0])] + columns.indices.map { "\(design.number(gamma[$0 + 1])) * z\($0)" })
      .joined(separator: " + ")
    // Materialised, so that the engine does not substitute these
    // expressions into every aggregate (SQLite's planner then compares the
    // huge trees pairwise).
    return """
      WITH per_row AS MATERIALIZED (
        SELECT z.*, p - y AS r, p * (1 - p) AS w,
          y * eta - (CASE WHEN eta > 0 THEN eta ELSE 0 END) - LN(1 + e) AS ll
        FROM (
          SELECT s.*, \(EngineDesign.expOfMinusAbs("eta")) AS e, \(EngineDesign.logistic("eta")) AS p
          FROM (SELECT y, \(columns.indices.map { "z\($0)" }.joined(separator: ", ")), \(eta) AS eta FROM (
            SELECT y, \(standardised.joined(separator: ", ")) FROM \(design.table)) AS t) AS s
        ) AS z
      )
      SELECT \(aggregates) FROM per_row
      """
  }

  func value(_ gamma: [Double], at state: State) -> Double {
    var penalty = 0.0
    for j in 1..<parameters { penalty += l2PerTerm[j] * gamma[j] * gamma[j] }
    return -state.logLikelihood + 0.5 * penalty
  }

  func gradient(_ gamma: [Double], at state: State) -> [Double] {
    (0..<parameters).map { j in state.residuals[j] + l2PerTerm[j] * gamma[j] }
  }

  func hessian(at state: State) -> Matrix {
    var h = state.information
    for j in 1..<parameters { h[j, j] += l2PerTerm[j] }
    return h
  }

  func logLikelihood(at state: State) -> Double { state.logLikelihood }
  func saturatedRows(at state: State) -> Int { state.saturated }
}
