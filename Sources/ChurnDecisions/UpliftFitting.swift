import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// Fits every part of an uplift model on one set of rows: the propensity
/// models and their diagnostics, the chosen learner's outcome models, and
/// the stage-level effects and shrinkage. The trainer runs it on the
/// training customers (to judge the result on the holdout) and then on
/// everyone.
struct UpliftFitting {
  let trainer: UpliftTrainer
  let learner: any UpliftLearner
  let spec: FeatureSpec
  /// The features' names, in the rows' order.
  let names: [String]
  let horizon: Int
  let value: CustomerValue

  private var catalog: ActionCatalog { trainer.catalog }
  private var m: Int { catalog.actions.count }
  private var assignment: UpliftModel.Assignment { trainer.assignment }
  private var l2: Double { trainer.l2 }
  private var propensityClip: Double { trainer.propensityClip }
  private var seed: UInt64 { trainer.seed }

  /// Whether action `a` may be given in stage `s`.
  func eligible(_ a: Int, _ s: Int?) -> Bool { Self.eligible(a, s, catalog: catalog, stages: spec.stages) }

  /// Whether action `a` of `catalog` may be given in stage `s` of `stages`.
  static func eligible(_ a: Int, _ s: Int?, catalog: ActionCatalog, stages: [String]) -> Bool {
    let eligibleStages = catalog.actions[a].eligibleStages
    return eligibleStages.isEmpty || (s.map { eligibleStages.contains(stages[$0]) } ?? false)
  }

  /// Fits every model on `training` (and, for the hazard learner, its
  /// customer-periods); returns the model and the clipped propensity of an
  /// action for a row.
  func fit(
    _ training: [UpliftTrainer.Row], _ periods: [UpliftTrainer.PeriodRow]
  ) throws -> (model: UpliftModel, propensity: (Int, UpliftTrainer.Row) -> Double) {
    let (propensityFits, diagnostics) = try propensityModels(training)
    func propensity(_ a: Int, _ row: UpliftTrainer.Row) -> Double {
      guard eligible(a, row.stage), let fit = propensityFits[a] else { return 0 }
      return min(max(fit.probability(row.x), propensityClip), 1 - propensityClip)
    }
    func weight(_ row: UpliftTrainer.Row) -> Double {
      guard assignment == .observational else { return 1 }
      if row.action >= 0 { return 1 / max(propensity(row.action, row), propensityClip) }
      let any = (0..<m).reduce(0) { $0 + propensity($1, row) }
      return 1 / max(1 - any, propensityClip)
    }
    let controls = training.filter { $0.action == -1 }
    guard controls.count >= 20 else {
      throw UpliftError.tooFewUntreated(controls.count)
    }
    let data = UpliftFitData(
      rows: training, periods: periods, controls: controls, names: names, groups: candidateGroups(training),
      catalog: catalog, chosenModifiers: trainer.effectModifiers, modifierSignificance: trainer.modifierSignificance,
      windowDays: trainer.windowDays, horizon: horizon,
      estimator: LogisticRegression.keepingEveryTerm(l2: l2), observational: assignment == .observational,
      seed: seed, weight: weight, eligible: eligible)
    var learned = try learner.fit(data)
    try learned.bind(features: names)
    let effects = (0..<m).map { actionEffects($0, training, controls, weight: weight, learned: learned) }
    let model = UpliftModel(
      catalog: catalog, horizonDays: horizon, windowDays: trainer.windowDays, assignment: assignment,
      learner: learned, effects: effects, value: value, propensity: diagnostics,
      evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []), stages: spec.stages)
    return (model, propensity)
  }

  /// The action's effect overall and per stage (direct differences shrunk
  /// toward the overall one), and the spread of customer effects the
  /// learner sees around them.
  private func actionEffects(
    _ a: Int, _ training: [UpliftTrainer.Row], _ controls: [UpliftTrainer.Row],
    weight: (UpliftTrainer.Row) -> Double, learned: FittedLearner
  ) -> UpliftModel.ActionEffects {
    func rate(_ part: [UpliftTrainer.Row]) -> ChurnRate { ChurnRate(part, weight: weight) }
    let treatedRows = training.filter { $0.action == a }
    let controlRows = controls.filter { eligible(a, $0.stage) }
    let t = rate(treatedRows), c = rate(controlRows)
    let overall = treatedRows.isEmpty ? 0 : c.rate - t.rate
    let overallSE = treatedRows.isEmpty ? Double.infinity : (t.se * t.se + c.se * c.se).squareRoot()
    var direct: [(d: Double, se: Double)?] = []
    var counts: [(Int, Int)] = []
    for s in spec.stages.indices {
      let ts = treatedRows.filter { $0.stage == s }, cs = controlRows.filter { $0.stage == s }
      counts.append((ts.count, cs.count))
      if ts.count >= 5 && cs.count >= 5 && eligible(a, s) {
        let tr = rate(ts), cr = rate(cs)
        direct.append((cr.rate - tr.rate, max((tr.se * tr.se + cr.se * cr.se).squareRoot(), 1e-6)))
      } else {
        direct.append(nil)
      }
    }
    let priors = Self.shrunk(direct, toward: overall)
    let sample = spreadSample(a, training)
    let spread =
      learned.fitted.effectSpread(
        a, sample: sample.map(\.x), stages: sample.map(\.stage), priors: EffectPriors(stages: priors, overall: overall))
      ?? .none(stages: spec.stages.count)
    var effects = UpliftModel.ActionEffects(
      action: catalog.actions[a].id, treatedRows: treatedRows.count, overall: overall, overallStandardError: overallSE,
      stages: spec.stages.indices.map { s in
        UpliftModel.StageEffect(
          stage: spec.stages[s], treatedRows: counts[s].0, controlRows: counts[s].1, direct: direct[s]?.d,
          standardError: direct[s]?.se, prior: priors[s], customerWeight: spread.customerWeights[s],
          logOddsPrior: spread.logOddsPriors[s])
      },
      heterogeneityVariance: spread.heterogeneity)
    if !sample.isEmpty {
      (effects.modifiers, effects.harmedShare) = modifierEffects(a, sample.map(\.x), learned: learned)
    }
    return effects
  }

  /// Action `a`'s modifiers with their coefficients and the spread of each
  /// feature among `sample` (eligible customers), and the share of them
  /// the model expects the action to harm.
  private func modifierEffects(
    _ a: Int, _ sample: [[Double]], learned: FittedLearner
  ) -> (modifiers: [UpliftModel.ModifierEffect], harmedShare: Double?) {
    let fitted = learned.fitted
    let terms = fitted.modifierCoefficients(a)
    let modifiers = zip(fitted.effectModifiers[a], terms).compactMap { name, term -> UpliftModel.ModifierEffect? in
      guard let j = names.firstIndex(of: name) else { return nil }
      let values = sample.map { $0[j] }
      let mean = values.reduce(0, +) / Double(values.count), sd = SampleMoments.standardDeviation(values)
      let binary = values.allSatisfy { $0 == 0 || $0 == 1 }
      return UpliftModel.ModifierEffect(
        feature: name, coefficient: term.coefficient, standardError: term.standardError,
        low: binary ? 0 : mean - sd, high: binary ? 1 : mean + sd, binary: binary)
    }
    let effects = sample.compactMap { fitted.churnChange(a, $0) }
    let harmed = effects.isEmpty ? nil : Double(effects.filter { $0 > 0 }.count) / Double(effects.count)
    return (modifiers, harmed)
  }

  /// Empirical Bayes: each stage's direct difference shrunk toward the
  /// overall one by the spread between stages beyond their sampling
  /// variance; a stage without one takes the overall.
  static func shrunk(_ direct: [(d: Double, se: Double)?], toward overall: Double) -> [Double] {
    let observed = direct.compactMap { $0 }
    var between = 0.0
    if observed.count >= 2 {
      let spread = SampleMoments.variance(observed.map(\.d))
      between = max(0, spread - observed.reduce(0) { $0 + $1.se * $1.se } / Double(observed.count))
    }
    return direct.map { d -> Double in
      guard let d else { return overall }
      let k = between / (between + d.se * d.se)
      return overall + k * (d.d - overall)
    }
  }

  /// The rows the spread of action `a`'s effects is measured on: those in
  /// its eligible stages, at most 4,000 (a seeded sample).
  private func spreadSample(_ a: Int, _ training: [UpliftTrainer.Row]) -> [UpliftTrainer.Row] {
    let population = training.filter { eligible(a, $0.stage) }
    guard population.count > 4000 else { return population }
    var rng = SplitMix64(seed: seed ^ UInt64(a + 1))
    return (0..<4000).map { _ in population[Int(rng.next() % UInt64(population.count))] }
  }

  /// Per action, a propensity model of treated rows against the controls
  /// in its eligible stages (nil with fewer than 5 treated), and its
  /// diagnostics: AUC, quantiles, the share clipped, the effective number
  /// of treated rows.
  private func propensityModels(
    _ training: [UpliftTrainer.Row]
  ) throws -> (fits: [LogisticRegressionFit?], diagnostics: [UpliftModel.PropensityDiagnostics]) {
    let estimator = LogisticRegression.keepingEveryTerm(l2: l2)
    var propensityFits: [LogisticRegressionFit?] = []
    var diagnostics: [UpliftModel.PropensityDiagnostics] = []
    for a in 0..<m {
      let part = training.filter { ($0.action == a || $0.action == -1) && eligible(a, $0.stage) }
      let y = part.map { $0.action == a ? 1.0 : 0.0 }
      let treatedCount = Int(y.reduce(0, +))
      guard treatedCount >= 5, treatedCount < part.count else {
        propensityFits.append(nil)
        continue
      }
      let fit = try estimator.fit(Matrix(rowMajor: part.map(\.x)), y, featureNames: names)
      let e = part.map { fit.probability($0.x) }
      let clipped = e.filter { $0 < propensityClip || $0 > 1 - propensityClip }.count
      let treatedE = zip(e, y).filter { $1 == 1 }.map { $0.0 }
      let controlE = zip(e, y).filter { $1 == 0 }.map { $0.0 }
      let w = treatedE.map { 1 / min(max($0, propensityClip), 1 - propensityClip) }
      let ess = pow(w.reduce(0, +), 2) / w.reduce(0) { $0 + $1 * $1 }
      diagnostics.append(
        UpliftModel.PropensityDiagnostics(
          action: catalog.actions[a].id, treatedRows: treatedCount, controlRows: part.count - treatedCount,
          auc: BinaryMetrics(probabilities: e, labels: y).rocAUC,
          treatedQuantiles: Quantiles.linear(treatedE, at: [0, 0.25, 0.5, 0.75, 1]),
          controlQuantiles: Quantiles.linear(controlE, at: [0, 0.25, 0.5, 0.75, 1]),
          clippedShare: Double(clipped) / Double(part.count), clip: propensityClip, effectiveTreatedRows: ess))
      propensityFits.append(fit)
    }
    return (propensityFits, diagnostics)
  }

  /// Candidate effect modifiers in groups, each tested as one: every
  /// customers-table column and the stage, less the columns constant over
  /// the rows (or the user's list as one group).
  private func candidateGroups(_ training: [UpliftTrainer.Row]) -> [UpliftTrainer.ModifierGroup] {
    // Candidate effect modifiers in groups: each customers-table column, and the stage.
    // A one-hot group (categorical column, stage) is tested for differences
    // between its levels; other groups for being zero.
    var groups: [UpliftTrainer.ModifierGroup] = (spec.staticEncodings ?? []).map { e in
      (e.column, names.filter { $0 == e.column || $0.hasPrefix(e.column + "_") }, e.kind == .categorical)
    }
    groups.append(("stage", names.filter { $0.hasPrefix("stage_") }, true))
    // Columns constant over the rows tell nothing about the effect.
    let varying = Set(names.indices.filter { j in training.contains { $0.x[j] != training[0].x[j] } }.map { names[$0] })
    groups = groups.map { ($0.name, $0.features.filter(varying.contains), $0.oneHot) }.filter {
      $0.features.count > ($0.oneHot ? 1 : 0)
    }
    if let chosen = trainer.effectModifiers { groups = [("chosen", chosen, false)] }
    return groups
  }
}

extension LogisticRegression {
  /// An estimator that fits every column it is given: the uplift models
  /// read their terms by position (treatment, interactions), so none may
  /// be screened out; their L2 penalty keeps such designs estimable.
  static func keepingEveryTerm(l2: Double) -> LogisticRegression {
    var estimator = LogisticRegression(l2: l2)
    estimator.screensFeatures = false
    return estimator
  }
}

/// A (weighted) churn rate and its standard error from the Kish effective
/// number of rows.
struct ChurnRate {
  let rate: Double
  let se: Double

  init(_ part: [UpliftTrainer.Row], weight: (UpliftTrainer.Row) -> Double) {
    let w = part.map(weight)
    let total = w.reduce(0, +)
    guard total > 0 else {
      (rate, se) = (0, .infinity)
      return
    }
    let r = zip(part, w).reduce(0) { $0 + ($1.0.churned ? $1.1 : 0) } / total
    let effective = total * total / w.reduce(0) { $0 + $1 * $1 }
    (rate, se) = (r, (r * (1 - r) / max(effective, 1)).squareRoot())
  }
}

/// What a learner fits on: the training rows (and customer-periods), the
/// candidate effect modifiers, and the trainer's settings.
struct UpliftFitData {
  /// An action with fewer treated rows gets no model of its own.
  static let minimumTreatedRows = 20

  let rows: [UpliftTrainer.Row]
  let periods: [UpliftTrainer.PeriodRow]
  let controls: [UpliftTrainer.Row]
  let names: [String]
  let groups: [UpliftTrainer.ModifierGroup]
  let catalog: ActionCatalog
  /// The user's effect modifiers (nil: chosen among `groups`).
  let chosenModifiers: [String]?
  let modifierSignificance: Double
  let windowDays: Int
  let horizon: Int
  let estimator: LogisticRegression
  let observational: Bool
  let seed: UInt64
  let weight: (UpliftTrainer.Row) -> Double
  let eligible: (Int, Int?) -> Bool

  var actions: Int { catalog.actions.count }

  /// The rows' inverse-propensity weights scaled to mean 1 (nil: treatment
  /// was random, the rows count alike).
  func normalisedWeights(_ part: [UpliftTrainer.Row]) -> [Double]? {
    guard observational else { return nil }
    let w = part.map(weight)
    let mean = w.reduce(0, +) / Double(max(w.count, 1))
    return w.map { $0 / mean }
  }

  /// The candidate groups whose interaction terms in `fit` (one group
  /// after another from `firstTerm`) are jointly significant by a Wald test.
  /// With several groups the test is Holm's step-down over them, so that
  /// the chance of keeping any group whose effect does not vary stays at
  /// `modifierSignificance` (five groups at 5% each kept a spurious one
  /// for one action in three on generated logs).
  func significantModifiers(in fit: LogisticRegressionFit, from firstTerm: Int) -> [String] {
    var pValues: [Double] = []
    var term = firstTerm
    for group in groups {
      let terms = Array(term..<(term + group.features.count))
      term += group.features.count
      pValues.append(UpliftTrainer.waldPValue(fit, terms: terms, contrasts: group.oneHot))
    }
    var significant = Set<Int>()
    for (rank, g) in pValues.indices.sorted(by: { (pValues[$0], $0) < (pValues[$1], $1) }).enumerated() {
      guard pValues[g] < modifierSignificance / Double(pValues.count - rank) else { break }
      significant.insert(g)
    }
    return groups.indices.filter(significant.contains).flatMap { groups[$0].features }
  }

  /// The behavioural features (not the candidate groups, tested apart, nor
  /// the treatment history) a lasso keeps as an action's effect modifiers
  /// on `rows` (where the action works), by name, in feature order.
  func selectModifiers(_ rows: ModifierSelection.Rows) throws -> [String] {
    var selection = ModifierSelection(names: names)
    selection.excluded = Set(
      catalog.actions.flatMap { ["treatment_count_\($0.id)", "days_since_treatment_\($0.id)"] }
        + groups.flatMap(\.features))
    selection.l2 = estimator.l2
    selection.seed = seed
    return try selection.select(rows).kept.map { names[$0] }
  }

  /// Action `a`'s treated rows, and those with the controls in its
  /// eligible stages (nil: too few treated rows for a model of its own).
  func actionRows(_ a: Int) -> (treated: [UpliftTrainer.Row], withControls: [UpliftTrainer.Row])? {
    let treated = rows.filter { $0.action == a }
    guard treated.count >= Self.minimumTreatedRows else { return nil }
    return (treated, treated + controls.filter { eligible(a, $0.stage) })
  }

  /// A churn model of `part` over the features.
  func fitOutcome(_ part: [UpliftTrainer.Row]) throws -> LogisticRegressionFit {
    try estimator.fit(
      Matrix(rowMajor: part.map(\.x)), part.map { $0.churned ? 1 : 0 }, featureNames: names,
      weights: normalisedWeights(part))
  }
}
