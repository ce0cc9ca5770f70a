import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// Fits every part of an uplift model on one set of rows: the propensity
/// models and their diagnostics, the chosen learner's outcome models with
/// their effect modifiers, and the stage-level effects and shrinkage. The
/// trainer runs it on the training customers (to judge the result on the
/// holdout) and then on everyone.
struct UpliftFitting {
  let trainer: UpliftTrainer
  let learner: UpliftModel.Learner
  let spec: FeatureSpec
  /// The snapshot features (the hazard learner's periods point into them).
  let snapshots: FeatureSet
  let horizon: Int
  let value: CustomerValue

  private var names: [String] { snapshots.featureNames }
  private var catalog: ActionCatalog { trainer.catalog }
  private var m: Int { catalog.actions.count }
  private var assignment: UpliftModel.Assignment { trainer.assignment }
  private var l2: Double { trainer.l2 }
  private var propensityClip: Double { trainer.propensityClip }
  private var effectModifiers: [String]? { trainer.effectModifiers }
  private var modifierSignificance: Double { trainer.modifierSignificance }
  private var windowDays: Int { trainer.windowDays }
  private var seed: UInt64 { trainer.seed }

  /// Whether action `a` may be given in stage `s`.
  func eligible(_ a: Int, _ s: Int?) -> Bool {
    let stages = catalog.actions[a].eligibleStages
    return stages.isEmpty || (s.map { stages.contains(spec.stages[$0]) } ?? false)
  }

  /// Fits every model on `training` (and, for the hazard learner, its
  /// customer-periods); returns the model and the clipped propensity of an
  /// action for a row.
  func fit(
    _ training: [UpliftTrainer.Row], _ periods: [UpliftTrainer.PeriodRow]
  ) throws -> (model: UpliftModel, propensity: (Int, UpliftTrainer.Row) -> Double) {
    let estimator = LogisticRegression.keepingEveryTerm(l2: l2)
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

    // Outcome models: one for controls, one per action.
    func fitOutcome(_ part: [UpliftTrainer.Row]) throws -> LogisticRegressionFit {
      var w = part.map(weight)
      let mean = w.reduce(0, +) / Double(max(w.count, 1))
      w = w.map { $0 / mean }
      return try estimator.fit(
        Matrix(rowMajor: part.map(\.x)), part.map { $0.churned ? 1 : 0 }, featureNames: names,
        weights: assignment == .observational ? w : nil)
    }
    let controls = training.filter { $0.action == -1 }
    guard controls.count >= 20 else {
      throw ModelError.invalidOption("too few untreated rows (\(controls.count)) to learn uplift")
    }
    var treatedFits: [LogisticRegressionFit?] = []
    let groups = candidateGroups(training)
    // The hazard learner's one model is kept as `control`.
    let controlOutcome = try fitOutcome(controls)
    var shell = UpliftModel(
      catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
      control: controlOutcome, treated: [], effectModifiers: Array(repeating: groups.flatMap(\.features), count: m),
      effects: [],
      value: CustomerValue(source: .feature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: 0),
      propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []),
      stages: spec.stages)
    let control =
      learner == .hazard
      ? try trainer.fitHazard(periods, set: snapshots, names: names, groups: groups, horizon: horizon, shell: &shell)
      : controlOutcome
    let hazardTerms = shell.hazard
    let hazardModifiers = shell.effectModifiers
    shell = UpliftModel(
      catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
      control: control, treated: [], effectModifiers: Array(repeating: groups.flatMap(\.features), count: m),
      effects: [],
      value: CustomerValue(source: .feature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: 0),
      propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []),
      stages: spec.stages)
    try shell.bind(features: names)
    shell.hazard = hazardTerms
    if learner == .hazard {
      shell.effectModifiers = hazardModifiers
      try shell.bind(features: names)
    }
    var modifiers: [[String]] = learner == .hazard ? hazardModifiers : Array(repeating: [], count: m)
    for a in 0..<m {
      guard learner != .hazard else {
        treatedFits.append(nil)
        continue
      }
      let part = training.filter { $0.action == a }
      guard part.count >= 20 else {
        treatedFits.append(nil)
        continue
      }
      switch learner {
      case .t: treatedFits.append(try fitOutcome(part))
      case .hazard: treatedFits.append(nil)
      case .s:
        let both = part + controls.filter { eligible(a, $0.stage) }
        var w = both.map(weight)
        let mean = w.reduce(0, +) / Double(max(w.count, 1))
        w = w.map { $0 / mean }
        func fitS() throws -> LogisticRegressionFit {
          try estimator.fit(
            Matrix(rowMajor: both.map { shell.interactionRow($0.x, treated: $0.action == a, action: a) }),
            both.map { $0.churned ? 1 : 0 },
            featureNames: names + ["treated"] + shell.effectModifiers[a].map { "treated × " + $0 },
            weights: assignment == .observational ? w : nil)
        }
        var fit = try fitS()
        if effectModifiers == nil {
          // Keep the groups whose interactions are jointly significant
          // (Wald test, 5%), then refit with those only.
          var kept: [String] = []
          var offset = 0
          for group in groups {
            let terms = (0..<group.features.count).map { names.count + 2 + offset + $0 }
            offset += group.features.count
            if UpliftTrainer.waldPValue(fit, terms: terms, contrasts: group.oneHot) < modifierSignificance {
              kept += group.features
            }
          }
          shell.effectModifiers[a] = kept
          try shell.bind(features: names)
          fit = try fitS()
        }
        modifiers[a] = shell.effectModifiers[a]
        treatedFits.append(fit)
      }
    }

    // Stage-level effects, shrunk toward the action's overall effect.
    var effects: [UpliftModel.ActionEffects] = []
    for a in 0..<m {
      func rate(_ part: [UpliftTrainer.Row]) -> (rate: Double, n: Int, se: Double) {
        let w = part.map(weight)
        let total = w.reduce(0, +)
        guard total > 0 else { return (0, 0, .infinity) }
        let r = zip(part, w).reduce(0) { $0 + ($1.0.churned ? $1.1 : 0) } / total
        let effective = total * total / w.reduce(0) { $0 + $1 * $1 }
        return (r, part.count, (r * (1 - r) / max(effective, 1)).squareRoot())
      }
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
      let observed = direct.compactMap { $0 }
      var between = 0.0
      if observed.count >= 2 {
        let mean = observed.reduce(0) { $0 + $1.d } / Double(observed.count)
        let spread = observed.reduce(0) { $0 + ($1.d - mean) * ($1.d - mean) } / Double(observed.count - 1)
        between = max(0, spread - observed.reduce(0) { $0 + $1.se * $1.se } / Double(observed.count))
      }
      let priors = direct.map { d -> Double in
        guard let d else { return overall }
        let k = between / (between + d.se * d.se)
        return overall + k * (d.d - overall)
      }
      // Heterogeneity of customer effects around the stage priors, and the
      // sampling variance of the customer estimates (delta method), per stage.
      var weights = [Double](repeating: 0, count: spec.stages.count)
      var heterogeneity = 0.0
      var logOddsPriors = [Double?](repeating: nil, count: spec.stages.count)
      if learner == .s ? treatedFits[a] != nil : learner == .hazard {
        // Log-odds effects: stage means as priors, σ² their spread within
        // stages beyond the sampling variance.
        shell.treated = treatedFits
        let population = training.filter { eligible(a, $0.stage) }
        var rng = SplitMix64(seed: seed ^ UInt64(a + 1))
        let sample =
          population.count <= 4000
          ? population : (0..<4000).map { _ in population[Int(rng.next() % UInt64(population.count))] }
        let effectsOfSample = sample.map { shell.logOddsEffect(a, $0.x)! }
        var sums = [Double](repeating: 0, count: spec.stages.count),
          counts = [Int](repeating: 0, count: spec.stages.count)
        for (row, e) in zip(sample, effectsOfSample) {
          if let s = row.stage {
            sums[s] += e.delta
            counts[s] += 1
          }
        }
        let overallDelta = effectsOfSample.reduce(0) { $0 + $1.delta } / Double(max(effectsOfSample.count, 1))
        for s in spec.stages.indices where counts[s] > 0 { logOddsPriors[s] = sums[s] / Double(counts[s]) }
        var squares = 0.0, variances = 0.0
        for (row, e) in zip(sample, effectsOfSample) {
          let prior = row.stage.flatMap { logOddsPriors[$0] } ?? overallDelta
          squares += (e.delta - prior) * (e.delta - prior)
          variances += e.variance
        }
        let n = Double(max(sample.count, 1))
        heterogeneity = max(0, squares / n - variances / n)
      } else if let fit = treatedFits[a] {
        shell.treated = treatedFits
        var rng = SplitMix64(seed: seed ^ UInt64(a + 1))
        let population = training.filter { eligible(a, $0.stage) }
        let sample =
          population.count <= 4000
          ? population : (0..<4000).map { _ in population[Int(rng.next() % UInt64(population.count))] }
        var deviations: [Double] = [], variances: [Double] = []
        var varianceByStage = [[Double]](repeating: [], count: spec.stages.count)
        for row in sample {
          let raw = shell.rawUplift(a, row.x) ?? 0
          let v =
            learner == .t
            ? UpliftTrainer.probabilityVariance(control, row.x) + UpliftTrainer.probabilityVariance(fit, row.x)
            : UpliftTrainer.differenceVariance(
              fit, shell.interactionRow(row.x, treated: false, action: a),
              shell.interactionRow(row.x, treated: true, action: a))
          deviations.append(raw - (row.stage.map { priors[$0] } ?? overall))
          variances.append(v)
          if let s = row.stage { varianceByStage[s].append(v) }
        }
        if deviations.count >= 2 {
          let mean = deviations.reduce(0, +) / Double(deviations.count)
          let spread = deviations.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(deviations.count - 1)
          heterogeneity = max(0, spread + mean * mean - variances.reduce(0, +) / Double(variances.count))
        }
        for s in spec.stages.indices where !varianceByStage[s].isEmpty {
          let v = varianceByStage[s].reduce(0, +) / Double(varianceByStage[s].count)
          weights[s] = heterogeneity / (heterogeneity + v)
        }
      }
      effects.append(
        UpliftModel.ActionEffects(
          action: catalog.actions[a].id, treatedRows: treatedRows.count, overall: overall,
          overallStandardError: overallSE,
          stages: spec.stages.indices.map { s in
            UpliftModel.StageEffect(
              stage: spec.stages[s], treatedRows: counts[s].0, controlRows: counts[s].1, direct: direct[s]?.d,
              standardError: direct[s]?.se, prior: priors[s], customerWeight: weights[s], logOddsPrior: logOddsPriors[s]
            )
          },
          heterogeneityVariance: heterogeneity))
    }

    let model = UpliftModel(
      catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
      control: control, treated: treatedFits, effectModifiers: modifiers, effects: effects, value: value,
      propensity: diagnostics,
      evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []), stages: spec.stages)
    var bound = model
    bound.hazard = hazardTerms
    try bound.bind(features: names)
    return (bound, propensity)
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
    if let chosen = effectModifiers { groups = [("chosen", chosen, false)] }
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
