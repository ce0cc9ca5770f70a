import ByteStreams
import Foundation
import LinearAlgebra

/// Learns an `UpliftModel` from the treatments in an event log (events whose
/// type is an action id) and what happened after them.
///
/// The design: snapshots of every customer every `windowDays` (the grid of
/// cutoffs T). A customer treated in (T, T + window] gives a treated row —
/// features at T, outcome churn within the horizon after the treatment; one
/// not treated gives a control row, its outcome measured from a pseudo
/// treatment time drawn uniformly in the same window, so both groups are
/// alive at the moment their outcome starts. Rows whose horizon the data
/// does not cover are left out. Customers are split into training and
/// holdout (seeded hash of the id); the models are fitted on training rows
/// and judged on the holdout.
///
/// ```swift
/// let trainer = UpliftTrainer(catalog: try ActionCatalog.load(path: "models/actions.json"))
/// let uplift = try trainer.train(events: "events.csv", schema: EventSchema(), customers: table, churnModel: model)
/// ```
public struct UpliftTrainer: Sendable {
  public var catalog: ActionCatalog
  public var assignment: UpliftModel.Assignment = .random
  public var learner: UpliftModel.Learner = .hazard
  /// The S-learner's effect modifiers (nil: chosen among the groups of
  /// customers-table attributes and the stage by a Wald test at
  /// `modifierSignificance`).
  public var effectModifiers: [String]?
  public var modifierSignificance = 0.05
  /// Snapshot spacing and the treatment window after each snapshot, in days.
  public var windowDays = 14
  public var holdoutFraction = 0.3
  public var seed: UInt64 = 42
  /// Ridge penalty of the outcome and propensity models (standardised scale).
  public var l2 = 1.0
  /// Take customer value from this feature instead of revenue × lifetime.
  public var valueFeature: String?
  public var valueHorizonDays = 1095
  public var propensityClip = 0.005
  /// Control rows kept at most (a seeded uniform sample beyond that).
  public var maxControlRows = 60_000
  public var bootstrapReplicates = 200

  public init(catalog: ActionCatalog) { self.catalog = catalog }

  /// A treated or control row.
  struct Row {
    let customer: String
    let action: Int  // −1: control
    let churned: Bool
    let stage: Int?
    let x: [Double]
    let holdout: Bool
  }

  public func train(
    events path: String, schema: EventSchema, customers table: CustomerTable?, churnModel: ChurnModel
  ) throws -> UpliftModel {
    try trainWithHoldout(events: path, schema: schema, customers: table, churnModel: churnModel).model
  }

  public func trainWithHoldout(
    events path: String, schema: EventSchema, customers table: CustomerTable?, churnModel: ChurnModel
  ) throws -> (model: UpliftModel, holdout: HoldoutPredictions) {
    guard path != "-" else {
      throw ModelError.invalidOption("learning uplift reads the event log several times: give it as a file, not standard input")
    }
    let spec = churnModel.featureSpec
    guard case .event(let churnEvent) = try ChurnDefinition(parsing: churnModel.training.churnDefinition) else {
      throw ModelError.invalidOption(
        "learning uplift needs a churn event (--churn-definition event:NAME): the outcome is dated from the treatment")
    }
    try catalog.validate()
    try catalog.validate(features: churnModel.features, stages: spec.stages)
    if learner == .hazard && assignment == .observational {
      throw ModelError.invalidOption(
        "the hazard learner assumes treatments given at random: use --learner s or t with --assignment observational")
    }
    for a in catalog.actions where !spec.interventions.contains(a.id) {
      throw ModelError.invalidOption(
        "action '\(a.id)' must be listed in the feature spec's \"interventions\" (e.g. models/feature-spec.json), so that the models see past treatments and cooldowns can be checked")
    }
    let horizon = churnModel.training.horizonDays
    let window = Int64(windowDays) * microsPerDay

    // Pass 1: treatment times and churn times per customer.
    var issues = IssueLog(limit: 0)
    let history = try TreatmentHistory(path: path, schema: schema, actions: catalog.actions.map(\.id), churnEvent: churnEvent)
    let treatments = history.treatments, churnTime = history.churnTime
    let dataStart = history.dataStart, dataEnd = history.dataEnd
    let customerIndex = history.customers

    // Pass 2: features at every snapshot.
    let first = (dataStart / microsPerDay + 60) * microsPerDay + microsPerDay - 1
    let last = dataEnd - Int64(horizon) * microsPerDay - window
    guard first < last else {
      throw ModelError.invalidOption("the log is too short to learn uplift: it needs 60 days of history plus the \(horizon)-day horizon and a \(windowDays)-day window")
    }
    let grid = stride(from: first, through: last, by: Int(window)).map(Cutoff.init(micros:))
    var extractor = FeatureExtractor(spec: spec, cutoffs: grid, horizon: Duration(days: horizon), churnDefinition: .event(churnEvent))
    extractor.requiresKnownNames = false
    var second = try EventLogReader(path: path, schema: schema)
    let set = try extractor.extract(from: &second, customers: table, issues: &issues)
    guard set.featureNames == churnModel.features else {
      throw ModelError.invalidOption("the features rebuilt for uplift differ from the churn model's")
    }
    let stageColumns = spec.stages.map { set.featureNames.firstIndex(of: "stage_\($0)") }
    func stage(_ x: [Double]) -> Int? {
      for (s, j) in stageColumns.enumerated() { if let j, x[j] == 1 { return s } }
      return nil
    }

    // Rows.
    var rows: [Row] = []
    let controlRate = min(1, Double(maxControlRows) / Double(max(set.rows.count, 1)))
    for row in set.rows {
      guard let c32 = customerIndex.lookup(row.customerID) else { continue }
      let c = Int(c32)
      let T = row.cutoff.micros
      let treatment = treatments[c].first { $0.time > T && $0.time <= T + window }
      var key = SplitMix64(seed: Self.hash(row.customerID) ^ UInt64(bitPattern: T) ^ seed)
      let start: Int64
      if let treatment {
        start = treatment.time
      } else {
        guard controlRate >= 1 || key.nextUniform() < controlRate else { continue }
        start = T + Int64(key.nextUniform() * Double(window))
      }
      guard churnTime[c] > start, start + Int64(horizon) * microsPerDay <= dataEnd else { continue }
      let x = set.values(of: row)
      rows.append(Row(
        customer: row.customerID, action: treatment?.action ?? -1,
        churned: churnTime[c] <= start + Int64(horizon) * microsPerDay, stage: stage(x), x: x,
        holdout: CustomerHoldout.contains(row.customerID, fraction: holdoutFraction, seed: seed)))
    }
    let names = set.featureNames
    let m = catalog.actions.count
    func eligible(_ a: Int, _ s: Int?) -> Bool {
      let stages = catalog.actions[a].eligibleStages
      return stages.isEmpty || (s.map { stages.contains(spec.stages[$0]) } ?? false)
    }

    // Customer value.
    // The stage chain up to the training cutoff: expected lifetimes for the
    // value, and the action-conditioned stage transitions.
    var chain = StageModelEstimator(churnEvent: churnEvent)
    chain.stages = spec.stages
    chain.bootstrapReplicates = 0
    chain.observedThrough = (try? Cutoff(parsing: churnModel.training.cutoffs.first ?? ""))?.micros
    chain.actionEvents = catalog.actions.map(\.id)
    chain.actionWindowDays = horizon
    var third = try EventLogReader(path: path, schema: schema)
    let stageModel = try chain.estimate(from: &third, issues: &issues)
    var value = CustomerValue(source: valueFeature == nil ? .revenue : .feature, feature: valueFeature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: valueHorizonDays)
    if valueFeature == nil {
      value.expectedDays = CustomerValue.expectedDaysAlive(p: stageModel.transitionMatrix, horizon: valueHorizonDays)
      let staged = rows.compactMap(\.stage)
      value.expectedDaysWithoutStage = staged.isEmpty ? 0 : staged.reduce(0) { $0 + value.expectedDays[$1] } / Double(staged.count)
    }
    _ = try value.columns(in: names)

    /// Fits every model on `training`; returns the model and the clipped
    /// propensity of an action for a row.
    func fitAll(_ training: [Row], _ periods: [PeriodRow]) throws -> (model: UpliftModel, propensity: (Int, Row) -> Double) {
      // Propensity per action: treated with a against controls, where a is eligible.
      let estimator = LogisticRegression(l2: l2)
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
        diagnostics.append(UpliftModel.PropensityDiagnostics(
          action: catalog.actions[a].id, treatedRows: treatedCount, controlRows: part.count - treatedCount,
          auc: BinaryMetrics(probabilities: e, labels: y).rocAUC,
          treatedQuantiles: Quantiles.linear(treatedE, at: [0, 0.25, 0.5, 0.75, 1]),
          controlQuantiles: Quantiles.linear(controlE, at: [0, 0.25, 0.5, 0.75, 1]),
          clippedShare: Double(clipped) / Double(part.count), clip: propensityClip, effectiveTreatedRows: ess))
        propensityFits.append(fit)
      }
      func propensity(_ a: Int, _ row: Row) -> Double {
        guard eligible(a, row.stage), let fit = propensityFits[a] else { return 0 }
        return min(max(fit.probability(row.x), propensityClip), 1 - propensityClip)
      }
      func weight(_ row: Row) -> Double {
        guard assignment == .observational else { return 1 }
        if row.action >= 0 { return 1 / max(propensity(row.action, row), propensityClip) }
        let any = (0..<m).reduce(0) { $0 + propensity($1, row) }
        return 1 / max(1 - any, propensityClip)
      }

      // Outcome models: one for controls, one per action.
      func fitOutcome(_ part: [Row]) throws -> LogisticRegressionFit {
        var w = part.map(weight)
        let mean = w.reduce(0, +) / Double(max(w.count, 1))
        w = w.map { $0 / mean }
        return try estimator.fit(
          Matrix(rowMajor: part.map(\.x)), part.map { $0.churned ? 1 : 0 }, featureNames: names,
          weights: assignment == .observational ? w : nil)
      }
      let controls = training.filter { $0.action == -1 }
      guard controls.count >= 20 else { throw ModelError.invalidOption("too few untreated rows (\(controls.count)) to learn uplift") }
      var treatedFits: [LogisticRegressionFit?] = []
      // Candidate effect modifiers in groups: each customers-table column, and the stage.
      // A one-hot group (categorical column, stage) is tested for differences
      // between its levels; other groups for being zero.
      var groups: [(name: String, features: [String], oneHot: Bool)] = (spec.staticEncodings ?? []).map { e in
        (e.column, names.filter { $0 == e.column || $0.hasPrefix(e.column + "_") }, e.kind == .categorical)
      }
      groups.append(("stage", names.filter { $0.hasPrefix("stage_") }, true))
      // Columns constant over the rows tell nothing about the effect.
      let varying = Set(names.indices.filter { j in training.contains { $0.x[j] != training[0].x[j] } }.map { names[$0] })
      groups = groups.map { ($0.name, $0.features.filter(varying.contains), $0.oneHot) }.filter { $0.features.count > ($0.oneHot ? 1 : 0) }
      if let chosen = effectModifiers { groups = [("chosen", chosen, false)] }
      // The hazard learner's one model is kept as `control`.
      let controlOutcome = try fitOutcome(controls)
      var shell = UpliftModel(
        catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
        control: controlOutcome, treated: [], effectModifiers: Array(repeating: groups.flatMap(\.features), count: m), effects: [],
        value: CustomerValue(source: .feature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: 0),
        propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []), stages: spec.stages)
      let control = learner == .hazard
        ? try fitHazard(periods, set: set, names: names, groups: groups, horizon: horizon, shell: &shell)
        : controlOutcome
      let hazardTerms = shell.hazard
      let hazardModifiers = shell.effectModifiers
      shell = UpliftModel(
        catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
        control: control, treated: [], effectModifiers: Array(repeating: groups.flatMap(\.features), count: m), effects: [],
        value: CustomerValue(source: .feature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: 0),
        propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []), stages: spec.stages)
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
              if Self.waldPValue(fit, terms: terms, contrasts: group.oneHot) < modifierSignificance { kept += group.features }
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
        func rate(_ part: [Row]) -> (rate: Double, n: Int, se: Double) {
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
          let sample = population.count <= 4000 ? population : (0..<4000).map { _ in population[Int(rng.next() % UInt64(population.count))] }
          let effectsOfSample = sample.map { shell.logOddsEffect(a, $0.x)! }
          var sums = [Double](repeating: 0, count: spec.stages.count), counts = [Int](repeating: 0, count: spec.stages.count)
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
          let sample = population.count <= 4000 ? population : (0..<4000).map { _ in population[Int(rng.next() % UInt64(population.count))] }
          var deviations: [Double] = [], variances: [Double] = []
          var varianceByStage = [[Double]](repeating: [], count: spec.stages.count)
          for row in sample {
            let raw = shell.rawUplift(a, row.x) ?? 0
            let v = learner == .t
              ? Self.probabilityVariance(control, row.x) + Self.probabilityVariance(fit, row.x)
              : Self.differenceVariance(fit, shell.interactionRow(row.x, treated: false, action: a), shell.interactionRow(row.x, treated: true, action: a))
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
        effects.append(UpliftModel.ActionEffects(
          action: catalog.actions[a].id, treatedRows: treatedRows.count, overall: overall,
          overallStandardError: overallSE,
          stages: spec.stages.indices.map { s in
            UpliftModel.StageEffect(
              stage: spec.stages[s], treatedRows: counts[s].0, controlRows: counts[s].1, direct: direct[s]?.d,
              standardError: direct[s]?.se, prior: priors[s], customerWeight: weights[s], logOddsPrior: logOddsPriors[s])
          },
          heterogeneityVariance: heterogeneity))
      }


      let model = UpliftModel(
        catalog: catalog, horizonDays: horizon, windowDays: windowDays, assignment: assignment, learner: learner,
        control: control, treated: treatedFits, effectModifiers: modifiers, effects: effects, value: value, propensity: diagnostics,
        evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []), stages: spec.stages)
      var bound = model
      bound.hazard = hazardTerms
      try bound.bind(features: names)
      return (bound, propensity)
    }

    // Judged on the holdout when fitted without it, then refitted on every row.
    let periods = learner == .hazard
      ? periodRows(set: set, history: history, horizon: horizon) { x in (0..<m).contains { eligible($0, stage(x)) } } : []
    let held = try fitAll(rows.filter { !$0.holdout }, periods.filter { !$0.holdout })
    let (evaluation, predictions) = try evaluate(
      held.model, rows: rows.filter(\.holdout), names: names, churnModel: churnModel, propensity: held.propensity)
    var model = try fitAll(rows, periods).model
    model.evaluation = evaluation
    model.stageTransitions = stageModel.actionEffects ?? []
    model.evaluation.holdout += "; the saved models are refitted on all rows"
    return (model, predictions)
  }

  static func hash(_ id: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
  }
}
