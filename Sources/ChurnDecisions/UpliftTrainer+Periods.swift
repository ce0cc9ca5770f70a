import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// The customer-periods the hazard learner (`HazardLearner`) fits on, and
/// the groups of candidate effect modifiers every learner tests.
extension UpliftTrainer {
  /// Effect modifiers tested together: a one-hot group (a categorical
  /// column, the stage) for differences between its levels, others for
  /// being zero.
  typealias ModifierGroup = (name: String, features: [String], oneHot: Bool)

  /// One customer-period: the feature row at the period's start, churn
  /// within the period, and the treatments given before it that may still
  /// work (days from the period's start, ≤ 0).
  struct PeriodRow {
    let row: Int
    let customer: String
    let churned: Bool
    let treatments: [(action: Int, day: Double)]
    let holdout: Bool
    /// 1 / sampling rate (periods with neither churn nor treatment are sampled).
    let weight: Double
  }

  /// The customer-periods at risk in a stage where some action is
  /// eligible, from the snapshot feature rows.
  func periodRows(
    set: FeatureSet, history: TreatmentHistory, horizon: Int, admitted: ([Double]) -> Bool
  ) -> [PeriodRow] {
    let period = Int64(windowDays) * microsPerDay
    let lookBack = Int64(max(horizon, catalog.actions.compactMap(\.effectDays).max() ?? 0)) * microsPerDay
    var candidates: [(row: Int, customer: Int, plain: Bool)] = []
    for (r, row) in set.rows.enumerated() {
      guard let c32 = history.customers.lookup(row.customerID) else { continue }
      let c = Int(c32), T = row.cutoff.micros
      guard history.churnTime[c] > T, T + period <= history.dataEnd, admitted(set.values(of: row)) else { continue }
      // A period in which a treatment starts is left out: the customer was
      // sure to be alive until the treatment, which would flatter it.
      guard !history.treatments[c].contains(where: { $0.time > T && $0.time <= T + period }) else { continue }
      let treated = history.treatments[c].contains { $0.time > T - lookBack && $0.time <= T }
      candidates.append((r, c, !treated && history.churnTime[c] > T + period))
    }
    let plainCount = candidates.filter(\.plain).count
    let room = max(maxControlRows * 3 - (candidates.count - plainCount), maxControlRows)
    let rate = plainCount == 0 ? 1 : min(1, Double(room) / Double(plainCount))
    var rows: [PeriodRow] = []
    for candidate in candidates {
      let row = set.rows[candidate.row]
      let T = row.cutoff.micros
      if candidate.plain && rate < 1 {
        var key = SplitMix64(seed: Self.hash(row.customerID) ^ UInt64(bitPattern: T) ^ seed ^ 0x5EED)
        guard key.nextUniform() < rate else { continue }
      }
      let treatments = history.treatments[candidate.customer]
        .filter { $0.time > T - lookBack && $0.time <= T }
        .map { (action: $0.action, day: Double($0.time - T) / Double(microsPerDay)) }
      rows.append(
        PeriodRow(
          row: candidate.row, customer: row.customerID, churned: history.churnTime[candidate.customer] <= T + period,
          treatments: treatments,
          holdout: CustomerHoldout.contains(row.customerID, fraction: holdoutFraction, seed: seed),
          weight: candidate.plain ? 1 / rate : 1))
    }
    return rows
  }
}
