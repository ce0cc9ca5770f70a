import ChurnModels
import Foundation
import LinearAlgebra

/// The S-learner: per action one churn model of its treated customers and
/// the eligible untreated ones over the features, the treatment t and
/// t × each effect modifier. The modifiers are the user's list, or the
/// candidate groups (customers-table attributes, the stage) whose
/// interactions are jointly significant (Wald test) and then the
/// behavioural features a lasso on t × each of them keeps
/// (`ModifierSelection`, the model with the kept groups as its base); the
/// model is refitted with them all, without the lasso.
struct SLearner: UpliftLearner {
  func fit(_ data: UpliftFitData) throws -> FittedLearner {
    var fitted = SLearnerFit(
      control: try data.fitOutcome(data.controls), treated: [],
      effectModifiers: Array(repeating: [], count: data.actions))
    for a in 0..<data.actions {
      guard let (part, rows) = data.actionRows(a) else {
        fitted.treated.append(nil)
        continue
      }
      if let chosen = data.chosenModifiers {
        fitted.effectModifiers[a] = chosen
      } else {
        fitted.effectModifiers[a] = data.groups.flatMap(\.features)
        try fitted.bind(features: data.names)
        let full = try fitted.fitInteractions(a, rows, data)
        fitted.effectModifiers[a] = data.significantModifiers(in: full, from: data.names.count + 2)
        try fitted.bind(features: data.names)
        let grouped = try fitted.fitInteractions(a, rows, data)
        var selection = ModifierSelection.Rows()
        for row in part {
          selection.append(
            base: grouped.logOdds(fitted.interactionRow(row.x, treated: true, action: a)), multiplier: 1, x: row.x,
            churned: row.churned, weight: 1, customer: row.customer)
        }
        fitted.effectModifiers[a] += try data.selectModifiers(selection)
      }
      try fitted.bind(features: data.names)
      fitted.treated.append(try fitted.fitInteractions(a, rows, data))
    }
    return .s(fitted)
  }
}

/// The S-learner's models.
public struct SLearnerFit: FittedUpliftLearner {
  /// The untreated customers' model: churn for actions without a model.
  public var control: LogisticRegressionFit
  /// Per action, the model with the treatment and its interactions (nil:
  /// too few treated rows; the stage prior is used).
  public var treated: [LogisticRegressionFit?]
  public var effectModifiers: [[String]]
  /// The modifiers' positions among the features (set by `bind`).
  private var modifierColumns: [[Int]] = []

  enum CodingKeys: String, CodingKey { case control, treated, effectModifiers }

  public init(control: LogisticRegressionFit, treated: [LogisticRegressionFit?], effectModifiers: [[String]]) {
    self.control = control
    self.treated = treated
    self.effectModifiers = effectModifiers
  }

  mutating func bind(features names: [String]) throws(UpliftError) {
    modifierColumns = try effectModifiers.map { list throws(UpliftError) in try positions(of: list, in: names) }
  }

  /// The inputs for action `a`: features, then t, then t × each of its
  /// effect modifiers.
  func interactionRow(_ x: [Double], treated: Bool, action a: Int) -> [Double] {
    x + [treated ? 1 : 0] + modifierColumns[a].map { treated ? x[$0] : 0 }
  }

  /// Fits action `a`'s model on its treated rows and eligible controls.
  func fitInteractions(_ a: Int, _ rows: [UpliftTrainer.Row], _ data: UpliftFitData) throws -> LogisticRegressionFit {
    try data.estimator.fit(
      Matrix(rowMajor: rows.map { interactionRow($0.x, treated: $0.action == a, action: a) }),
      rows.map { $0.churned ? 1 : 0 },
      featureNames: data.names + ["treated"] + effectModifiers[a].map { "treated × " + $0 },
      weights: data.normalisedWeights(rows))
  }

  func modifierCoefficients(_ a: Int) -> [(coefficient: Double, standardError: Double)] {
    guard let fit = treated[a] else { return [] }
    let first = fit.terms.count - effectModifiers[a].count
    return fit.terms[first...].map { ($0.coefficient, $0.standardError) }
  }

  func logOddsEffect(_ a: Int, _ x: [Double]) -> (delta: Double, variance: Double)? {
    treated[a]?.linearEffect(at: x.count + 1, modifiers: modifierColumns[a], of: x)
  }

  func outlook(for x: [Double], stage: Int?, in model: UpliftModel, columns: UpliftModel.Columns) -> ChurnOutlook {
    ChurnOutlook(
      baseline: control.probability(x),
      actions: treated.indices.map { a in
        guard let shrunk = model.shrunkLogOddsEffect(a, x, stage: stage), let fit = treated[a] else { return nil }
        let without = fit.probability(interactionRow(x, treated: false, action: a))
        let with = logistic(log(without / (1 - without)) + shrunk)
        return ChurnOutlook.Action(churnWithout: without, churnWith: with, uplift: without - with)
      })
  }

  func effectSpread(_ a: Int, sample: [[Double]], stages: [Int?], priors: EffectPriors) -> EffectSpread? {
    treated[a] == nil ? nil : logOddsSpread(a, sample: sample, stages: stages, stageCount: priors.stages.count)
  }

  func heading(horizonDays: Int, windowDays: Int) -> String {
    "S-learner, churn within \(horizonDays) days of the treatment"
  }

  var logOddsScale: String? { "" }

  func fitShapes(features names: [String], field: String) -> [FitShape] {
    [FitShape(field: field + ".control", fit: control, featureNames: names, terms: names.count + 1)]
      + treated.indices.compactMap { a in
        treated[a].map {
          FitShape(
            field: field + ".treated[\(a)]", fit: $0, featureNames: nil,
            terms: names.count + 2 + effectModifiers[a].count)
        }
      }
  }

  func structureProblems(actions: Int, field: String) -> [(field: String, problem: String)] {
    var problems: [(field: String, problem: String)] = []
    if treated.count != actions {
      problems.append((field + ".treated", "has \(treated.count) entries, the actions \(actions)"))
    }
    if effectModifiers.count != actions {
      problems.append((field + ".effectModifiers", "has \(effectModifiers.count) entries, the actions \(actions)"))
    }
    return problems
  }
}
