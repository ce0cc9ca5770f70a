import ChurnData
import ChurnModels
import Foundation

/// A way of learning what each action does to churn: it checks that it
/// can work with the data, then fits its outcome models on training rows.
/// The trainer (`UpliftTrainer`) owns everything else: the rows, the
/// propensities, the stage effects and the holdout.
protocol UpliftLearner: Sendable {
  /// Whether it learns from customer-periods (`UpliftTrainer.PeriodRow`)
  /// rather than from churn within the horizon after a treatment.
  var learnsFromPeriods: Bool { get }
  /// Refuses an assignment or a churn definition it cannot work with.
  func check(assignment: UpliftModel.Assignment, churn: ChurnDefinition) throws(UpliftError)
  /// Fits the outcome models.
  func fit(_ data: UpliftFitData) throws -> FittedLearner
}

extension UpliftLearner {
  var learnsFromPeriods: Bool { false }
  func check(assignment: UpliftModel.Assignment, churn: ChurnDefinition) throws(UpliftError) {}
}

/// A learner's fitted models: what they say an action does to one
/// customer, and how they describe and check themselves.
protocol FittedUpliftLearner: Sendable, Codable {
  /// Per action, the features its effect varies with, by name (none for
  /// the T-learner, whose effect varies with every feature).
  var effectModifiers: [[String]] { get }
  /// Resolves the effect modifiers' positions among the features; call
  /// once after loading or fitting.
  mutating func bind(features names: [String]) throws(UpliftError)
  /// Per effect modifier of action `a` (in `effectModifiers` order), how
  /// the action's effect on churn changes per unit of it (on the scale of
  /// `effectScale`; negative: the action prevents more churn the higher
  /// the feature) and its standard error (empty: no model for the action,
  /// or no modifiers).
  func modifierCoefficients(_ a: Int) -> [(coefficient: Double, standardError: Double)]
  /// The action's change in churn for x as the learner estimates it before
  /// shrinkage (positive: it raises churn); nil without a model for it.
  func churnChange(_ a: Int, _ x: [Double]) -> Double?
  /// The action's log-odds effect for x and its sampling variance cᵀΣc
  /// (nil: the learner's effects are not on that scale, or it has no model
  /// for the action).
  func logOddsEffect(_ a: Int, _ x: [Double]) -> (delta: Double, variance: Double)?
  /// One customer's churn within the horizon without an action and with
  /// each, as the learner (and the model's shrinkage) sees it.
  func outlook(for x: [Double], stage: Int?, in model: UpliftModel, columns: UpliftModel.Columns) -> ChurnOutlook
  /// How much true effects vary between customers, and how much weight a
  /// customer's own estimate gets (nil: no model for the action).
  func effectSpread(_ a: Int, sample: [[Double]], stages: [Int?], priors: EffectPriors) -> EffectSpread?

  /// One line naming the learner and its outcome, for reports.
  func heading(horizonDays: Int, windowDays: Int) -> String
  /// What the log-odds effects are effects on (nil: its effects are churn
  /// differences, not log-odds).
  var logOddsScale: String? { get }
  /// How many days action `a` works, when the learner knows.
  func effectDays(_ a: Int) -> Int?
  /// Advice when the learner is a poor choice for this many treatments.
  func advice(medianTreatedRows: Int) -> String?
  /// The fits the model file holds, with the terms each must have.
  func fitShapes(features names: [String], field: String) -> [FitShape]
  /// What in the learner's part of a model file does not fit `actions` actions.
  func structureProblems(actions: Int, field: String) -> [(field: String, problem: String)]
}

extension FittedUpliftLearner {
  func effectDays(_ a: Int) -> Int? { nil }
  func modifierCoefficients(_ a: Int) -> [(coefficient: Double, standardError: Double)] { [] }
  func churnChange(_ a: Int, _ x: [Double]) -> Double? { logOddsEffect(a, x)?.delta }
  func advice(medianTreatedRows: Int) -> String? { nil }

  /// The spread of log-odds effects (S-learner, hazard learner): the
  /// stage means as the priors, σ² the spread of customer effects around
  /// them beyond their sampling variance.
  func logOddsSpread(_ a: Int, sample: [[Double]], stages: [Int?], stageCount: Int) -> EffectSpread {
    let effects = sample.map { logOddsEffect(a, $0)! }
    var sums = [Double](repeating: 0, count: stageCount), counts = [Int](repeating: 0, count: stageCount)
    for (s, e) in zip(stages, effects) {
      if let s {
        sums[s] += e.delta
        counts[s] += 1
      }
    }
    let overall = effects.reduce(0) { $0 + $1.delta } / Double(max(effects.count, 1))
    var logOddsPriors = [Double?](repeating: nil, count: stageCount)
    for s in 0..<stageCount where counts[s] > 0 { logOddsPriors[s] = sums[s] / Double(counts[s]) }
    var squares = 0.0, variances = 0.0
    for (s, e) in zip(stages, effects) {
      let prior = s.flatMap { logOddsPriors[$0] } ?? overall
      squares += (e.delta - prior) * (e.delta - prior)
      variances += e.variance
    }
    let n = Double(max(sample.count, 1))
    return EffectSpread(
      heterogeneity: max(0, squares / n - variances / n),
      customerWeights: Array(repeating: 0, count: stageCount), logOddsPriors: logOddsPriors)
  }
}

/// One customer's churn within the horizon: the learner's baseline, and
/// per action (nil: no model for it; the stage prior is used) churn
/// without and with it and the churn it prevents.
struct ChurnOutlook {
  var baseline: Double
  var actions: [Action?]

  struct Action {
    let churnWithout: Double
    let churnWith: Double
    let uplift: Double
  }
}

/// The stage-level effects of one action the spread is measured against.
struct EffectPriors {
  /// Per stage, the (shrunk) difference in churn rates.
  let stages: [Double]
  /// The action's overall difference.
  let overall: Double
}

/// How much true effects of one action vary between customers.
struct EffectSpread {
  /// σ²: the variance of true effects (≥ 0).
  var heterogeneity: Double
  /// Per stage, the weight of a customer's own estimate against the prior.
  var customerWeights: [Double]
  /// Per stage, the mean log-odds effect (log-odds learners).
  var logOddsPriors: [Double?]

  static func none(stages: Int) -> EffectSpread {
    EffectSpread(
      heterogeneity: 0, customerWeights: Array(repeating: 0, count: stages),
      logOddsPriors: Array(repeating: nil, count: stages))
  }
}

/// A fit a model file holds, and the terms it must have to be read.
public struct FitShape {
  public let field: String
  public let fit: LogisticRegressionFit
  /// The features its terms must be named after (nil: any names).
  public let featureNames: [String]?
  /// Terms including the intercept.
  public let terms: Int
}

/// The positions of `features` among `names`; an effect modifier the
/// model does not have is an error.
func positions(of features: [String], in names: [String]) throws(UpliftError) -> [Int] {
  var columns: [Int] = []
  for m in features {
    guard let j = names.firstIndex(of: m) else {
      throw .missingFeature(m, use: .effectModifier)
    }
    columns.append(j)
  }
  return columns
}

extension LogisticRegressionFit {
  /// The effect cᵀβ of the term at `base` plus the terms after it, which
  /// interact with x's `modifiers` (c = (1, x_m1, x_m2, …)), and its
  /// sampling variance cᵀΣc.
  func linearEffect(at base: Int, modifiers: [Int], of x: [Double]) -> (delta: Double, variance: Double) {
    var c: [(term: Int, value: Double)] = [(base, 1)]
    for (k, j) in modifiers.enumerated() where x[j] != 0 { c.append((base + 1 + k, x[j])) }
    var delta = 0.0, variance = 0.0
    for (i, vi) in c {
      delta += terms[i].coefficient * vi
      for (j, vj) in c { variance += vi * vj * covariance[i][j] }
    }
    return (delta, max(variance, 0))
  }
}
