import ChurnModels
import Foundation

/// The T-learner: one churn model for untreated customers and one per
/// action for its treated customers; an action's uplift for x is
/// p_control(x) − p_a(x), shrunk toward the action's effect in the
/// customer's stage by the stage's weight.
struct TLearner: UpliftLearner {
  func fit(_ data: UpliftFitData) throws -> FittedLearner {
    let control = try data.fitOutcome(data.controls)
    var treated: [LogisticRegressionFit?] = []
    for a in 0..<data.actions {
      let part = data.rows.filter { $0.action == a }
      treated.append(part.count >= UpliftFitData.minimumTreatedRows ? try data.fitOutcome(part) : nil)
    }
    return .t(TLearnerFit(control: control, treated: treated))
  }
}

/// The T-learner's models.
public struct TLearnerFit: FittedUpliftLearner {
  public var control: LogisticRegressionFit
  /// Per action, the model of its treated customers (nil: too few of them;
  /// the stage prior is used).
  public var treated: [LogisticRegressionFit?]

  public init(control: LogisticRegressionFit, treated: [LogisticRegressionFit?]) {
    self.control = control
    self.treated = treated
  }

  var effectModifiers: [[String]] { Array(repeating: [], count: treated.count) }

  mutating func bind(features names: [String]) throws(UpliftError) {}

  func logOddsEffect(_ a: Int, _ x: [Double]) -> (delta: Double, variance: Double)? { nil }

  func churnChange(_ a: Int, _ x: [Double]) -> Double? {
    treated[a].map { $0.probability(x) - control.probability(x) }
  }

  func outlook(for x: [Double], stage s: Int?, in model: UpliftModel, columns: UpliftModel.Columns) -> ChurnOutlook {
    let pControl = control.probability(x)
    return ChurnOutlook(
      baseline: pControl,
      actions: treated.indices.map { a in
        guard let fit = treated[a] else { return nil }
        let effects = model.effects[a]
        let prior = s.map { effects.stages[$0].prior } ?? effects.overall
        let weight = s.map { effects.stages[$0].customerWeight } ?? 0
        let uplift = prior + weight * (pControl - fit.probability(x) - prior)
        return ChurnOutlook.Action(churnWithout: pControl, churnWith: pControl - uplift, uplift: uplift)
      })
  }

  func effectSpread(_ a: Int, sample: [[Double]], stages: [Int?], priors: EffectPriors) -> EffectSpread? {
    guard let fit = treated[a] else { return nil }
    let estimates = sample.map { x in
      (
        effect: control.probability(x) - fit.probability(x),
        variance: UpliftTrainer.probabilityVariance(control, x) + UpliftTrainer.probabilityVariance(fit, x)
      )
    }
    return probabilitySpread(estimates, stages: stages, priors: priors)
  }

  func heading(horizonDays: Int, windowDays: Int) -> String {
    "T-learner, churn within \(horizonDays) days of the treatment"
  }

  var logOddsScale: String? { nil }

  func fitShapes(features names: [String], field: String) -> [FitShape] {
    [FitShape(field: field + ".control", fit: control, featureNames: names, terms: names.count + 1)]
      + treated.indices.compactMap { a in
        treated[a].map {
          FitShape(field: field + ".treated[\(a)]", fit: $0, featureNames: names, terms: names.count + 1)
        }
      }
  }

  func structureProblems(actions: Int, field: String) -> [(field: String, problem: String)] {
    treated.count == actions ? [] : [(field + ".treated", "has \(treated.count) entries, the actions \(actions)")]
  }
}
