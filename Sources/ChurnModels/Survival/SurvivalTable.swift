import LinearAlgebra

/// Customers followed from a common start: how long each was followed, whether
/// the follow-up ended in churn (otherwise it was censored: still active when
/// the data ends), and their covariates at the start. What a
/// proportional-hazards model is fitted on.
public struct SurvivalTable: Sendable {
  /// One name per covariate column.
  public let names: [String]
  /// Time followed, in days (> 0 for a churn).
  public let durations: [Double]
  public let churned: [Bool]
  /// rows × names.count.
  public let covariates: Matrix

  public init(names: [String], durations: [Double], churned: [Bool], covariates: Matrix) {
    precondition(durations.count == churned.count && covariates.rows == durations.count, "one row per customer")
    precondition(covariates.columns == names.count, "one name per covariate")
    self.names = names
    self.durations = durations
    self.churned = churned
    self.covariates = covariates
  }

  public var rows: Int { durations.count }
  public var churns: Int { churned.reduce(0) { $0 + ($1 ? 1 : 0) } }

  /// The rows at these positions.
  public func selectingRows(_ rows: [Int]) -> SurvivalTable {
    SurvivalTable(
      names: names, durations: rows.map { durations[$0] }, churned: rows.map { churned[$0] },
      covariates: covariates.selectingRows(rows))
  }

  /// The columns at these positions.
  public func selectingColumns(_ columns: [Int]) -> SurvivalTable {
    SurvivalTable(
      names: columns.map { names[$0] }, durations: durations, churned: churned,
      covariates: covariates.selectingColumns(columns))
  }
}
