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
    /// The features at the period's start.
    let x: [Double]
    let customer: String
    let churned: Bool
    let treatments: [(action: Int, day: Double)]
    let holdout: Bool
    /// 1 / sampling rate (`SnapshotKeeper`: periods past their caps are sampled).
    let weight: Double
  }
}
