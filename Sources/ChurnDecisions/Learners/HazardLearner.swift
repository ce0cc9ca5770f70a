import ChurnData
import ChurnModels
import Foundation
import LinearAlgebra

/// The hazard learner: one logistic model of churn within each snapshot
/// period, fitted on every customer-period at risk, with each action's
/// exposure (the share of the period during which it was working) as an
/// input. Unlike the S- and T-learners' churn within the horizon, it uses
/// when churn happened, does not count a later treatment of a control as
/// no treatment, and lets an action's effect end.
struct HazardLearner: UpliftLearner {
  var learnsFromPeriods: Bool { true }

  func check(assignment: UpliftModel.Assignment, churn: ChurnDefinition) throws(UpliftError) {
    if assignment == .observational { throw .learnerNeedsRandomAssignment(learner: "hazard") }
    if churn == .inactivity { throw .learnerNeedsChurnEvent(learner: "hazard") }
  }

  /// Effect durations tried when the catalog gives none: from two periods
  /// (shorter ones the periods cannot resolve) up to the horizon, in days.
  static func effectDayCandidates(horizon: Int, periodDays: Int) -> [Int] {
    Array(Set([30, 45, 60, 90, 120, 180].filter { $0 >= 2 * periodDays && $0 < horizon } + [horizon])).sorted()
  }

  /// Each action's effect duration (the catalog's, or the candidate with
  /// the highest likelihood), then its effect modifiers (the user's, or the
  /// groups of attributes and the stage a Wald test keeps, as the
  /// S-learner's, and then the behavioural features a lasso on exposure ×
  /// each of them keeps), then the final fit.
  func fit(_ data: UpliftFitData) throws -> FittedLearner {
    guard data.periods.contains(where: \.churned), data.periods.contains(where: { !$0.churned }) else {
      throw UpliftError.tooFewPeriods
    }
    let design = PeriodDesign(data)
    let days = try effectDays(design, data)
    var modifiers = Array(repeating: [String](), count: data.actions)
    if let chosen = data.chosenModifiers {
      modifiers = Array(repeating: chosen, count: data.actions)
    } else {
      if !data.groups.isEmpty {
        let every = Array(repeating: data.groups.flatMap(\.features), count: data.actions)
        modifiers = keptGroups(try fitModel(design, data, effectDays: days, modifiers: every), data)
      }
      let grouped = try fitModel(design, data, effectDays: days, modifiers: modifiers)
      let behavioural = try selectedModifiers(grouped, design, data, effectDays: days, modifiers: modifiers)
      modifiers = zip(modifiers, behavioural).map { $0 + $1 }
    }
    var fitted = HazardLearnerFit(
      model: try fitModel(design, data, effectDays: days, modifiers: modifiers), periodDays: data.windowDays,
      effectDays: days, effectModifiers: modifiers)
    try fitted.bind(features: data.names)
    return .hazard(fitted)
  }

  /// Per action, the groups whose interactions with its exposure are
  /// jointly significant in the fit with every candidate group.
  private func keptGroups(_ full: LogisticRegressionFit, _ data: UpliftFitData) -> [[String]] {
    let every = data.groups.flatMap(\.features).count
    return (0..<data.actions).map { a in
      data.significantModifiers(in: full, from: data.names.count + 1 + a * (1 + every) + 1)
    }
  }

  /// Per action, the behavioural features a lasso keeps among its exposure
  /// × each of them, on the periods it works in, with `fit` (the model
  /// with `modifiers`) as the base.
  private func selectedModifiers(
    _ fit: LogisticRegressionFit, _ design: PeriodDesign, _ data: UpliftFitData, effectDays: [Int],
    modifiers: [[String]]
  ) throws -> [[String]] {
    let n = design.periods.count, p = data.names.count
    let f = design.exposures(effectDays: effectDays, periodDays: data.windowDays)
    var fitted = HazardLearnerFit(
      model: fit, periodDays: data.windowDays, effectDays: effectDays, effectModifiers: modifiers)
    try fitted.bind(features: data.names)
    return try (0..<data.actions).map { a in
      var rows = ModifierSelection.Rows()
      for i in 0..<n where f[i][a] > 0 {
        let x = (0..<p).map { design.features[$0 * n + i] }
        rows.append(
          base: fitted.periodLogOdds(x, exposures: f[i]), multiplier: f[i][a], x: x,
          churned: design.churned[i] == 1, weight: design.weights[i], customer: design.periods[i].customer)
      }
      return try data.selectModifiers(rows)
    }
  }

  /// The catalog's durations; the actions it gives none for share one,
  /// the candidate with the highest likelihood (without modifiers). One
  /// shared duration is far steadier than one per action on small logs.
  private func effectDays(_ design: PeriodDesign, _ data: UpliftFitData) throws -> [Int] {
    let catalog = data.catalog.actions
    var days = catalog.map { $0.effectDays ?? data.horizon }
    let open = catalog.indices.filter { catalog[$0].effectDays == nil }
    guard !open.isEmpty else { return days }
    let none = Array(repeating: [String](), count: data.actions)
    var best: (days: Int, logLikelihood: Double)?
    for candidate in Self.effectDayCandidates(horizon: data.horizon, periodDays: data.windowDays) {
      var trial = days
      for a in open { trial[a] = candidate }
      let logLikelihood = try fitModel(design, data, effectDays: trial, modifiers: none).logLikelihood
      if best.map({ logLikelihood > $0.logLikelihood }) ?? true { best = (candidate, logLikelihood) }
    }
    for a in open { days[a] = best!.days }
    return days
  }

  /// The period hazard over the features, then per action its exposure
  /// and exposure × each of its modifiers.
  private func fitModel(
    _ design: PeriodDesign, _ data: UpliftFitData, effectDays: [Int], modifiers: [[String]]
  ) throws -> LogisticRegressionFit {
    let n = design.periods.count, p = data.names.count
    let f = design.exposures(effectDays: effectDays, periodDays: data.windowDays)
    // Room for every column at once: grown column by column, the array
    // would be copied at each doubling, up to twice its size at the peak.
    var storage = [Double]()
    storage.reserveCapacity(n * (p + effectDays.count + modifiers.reduce(0) { $0 + $1.count }))
    storage += design.features
    for a in effectDays.indices {
      storage += f.lazy.map { $0[a] }
      for j in try positions(of: modifiers[a], in: data.names) {
        storage += (0..<n).lazy.map { f[$0][a] * design.features[j * n + $0] }
      }
    }
    let extra = data.catalog.actions.indices.flatMap { a in
      let id = data.catalog.actions[a].id
      return ["exposure \(id)"] + modifiers[a].map { "exposure \(id) × \($0)" }
    }
    return try data.estimator.fit(
      Matrix(rows: n, columns: p + extra.count, columnMajor: storage), design.churned, featureNames: data.names + extra,
      weights: design.weights)
  }
}

/// The customer-periods as a design: the features column by column (the
/// treatment-history features as zeros, so that an action's effect goes
/// through its exposure alone and the forecast, which holds the features
/// fixed, sees all of it), churn and the sampling weights.
struct PeriodDesign {
  let features: [Double]
  let churned: [Double]
  let weights: [Double]
  let periods: [UpliftTrainer.PeriodRow]

  init(_ data: UpliftFitData) {
    let n = data.periods.count, p = data.names.count
    let history = Set(data.catalog.actions.flatMap { ["treatment_count_\($0.id)", "days_since_treatment_\($0.id)"] })
    let kept = (0..<p).filter { !history.contains(data.names[$0]) }
    var features = [Double](repeating: 0, count: n * p)
    for (i, period) in data.periods.enumerated() {
      for j in kept { features[j * n + i] = period.x[j] }
    }
    self.features = features
    churned = data.periods.map { $0.churned ? 1.0 : 0.0 }
    weights = data.periods.map(\.weight)
    periods = data.periods
  }

  /// Per period, each action's exposure with these effect durations.
  func exposures(effectDays: [Int], periodDays: Int) -> [[Double]] {
    let length = Double(periodDays)
    return periods.map { period in
      var f = [Double](repeating: 0, count: effectDays.count)
      for t in period.treatments {
        f[t.action] += HazardLearnerFit.exposure(
          period: 0, length, givenDaysAgo: -t.day, effectDays: Double(effectDays[t.action]), periodDays: length)
      }
      return f
    }
  }
}

/// The hazard learner's model and time structure: churn is modelled per
/// period of `periodDays` (the snapshot spacing), and action a works for
/// `effectDays[a]` days after it is given (from the catalog, or chosen by
/// likelihood when training).
public struct HazardLearnerFit: FittedUpliftLearner {
  /// Below this median of treated rows per action the hazard learner
  /// planned worse than the S-learner on generated logs (docs/actions.md).
  public static let fewTreatments = 1_500

  /// The period hazard over the features, then per action its exposure and
  /// exposure × each of its effect modifiers.
  public var model: LogisticRegressionFit
  public var periodDays: Int
  public var effectDays: [Int]
  public var effectModifiers: [[String]]
  /// The modifiers' positions among the features (set by `bind`).
  private var modifierColumns: [[Int]] = []

  enum CodingKeys: String, CodingKey { case model, periodDays, effectDays, effectModifiers }

  public init(model: LogisticRegressionFit, periodDays: Int, effectDays: [Int], effectModifiers: [[String]]) {
    self.model = model
    self.periodDays = periodDays
    self.effectDays = effectDays
    self.effectModifiers = effectModifiers
  }

  mutating func bind(features names: [String]) throws(UpliftError) {
    modifierColumns = try effectModifiers.map { list throws(UpliftError) in try positions(of: list, in: names) }
  }

  /// The share of the period [start, end) (days from now) during which an
  /// action given `daysAgo` days ago is working, with one lasting
  /// `effectDays` days.
  public static func exposure(
    period start: Double, _ end: Double, givenDaysAgo daysAgo: Double, effectDays: Double, periodDays: Double
  ) -> Double {
    let from = max(start, -daysAgo), to = min(end, effectDays - daysAgo)
    return to > from ? (to - from) / periodDays : 0
  }

  /// Position among the model's terms (intercept first) of action `a`'s
  /// exposure term, after `p` features.
  func exposureTerm(_ a: Int, features p: Int) -> Int {
    var term = p + 1
    for b in 0..<a { term += 1 + modifierColumns[b].count }
    return term
  }

  /// The fitted log-odds of churn in a period with features x and the
  /// actions' exposures f (no shrinkage): η(x) + Σ_b f_b δ_b(x).
  func periodLogOdds(_ x: [Double], exposures f: [Double]) -> Double {
    var eta = model.logOdds(x)
    for b in f.indices where f[b] != 0 { eta += f[b] * (logOddsEffect(b, x)?.delta ?? 0) }
    return eta
  }

  func modifierCoefficients(_ a: Int) -> [(coefficient: Double, standardError: Double)] {
    let p = model.terms.count - 1 - effectModifiers.reduce(0) { $0 + 1 + $1.count }
    let exposure = exposureTerm(a, features: p)
    return model.terms[(exposure + 1)..<(exposure + 1 + effectModifiers[a].count)].map {
      ($0.coefficient, $0.standardError)
    }
  }

  func logOddsEffect(_ a: Int, _ x: [Double]) -> (delta: Double, variance: Double)? {
    model.linearEffect(at: exposureTerm(a, features: x.count), modifiers: modifierColumns[a], of: x)
  }

  /// The period hazards chained over the horizon, features held at
  /// today's values, actions already given still working until their
  /// effect runs out, and each action's (shrunk) log-odds effect added in
  /// proportion to the share of each period it works:
  ///
  /// P(churn within H) = 1 − Π_k (1 − h_k)^(len_k / P),
  /// h_k = logistic(η(x) + Σ_b f_bk δ_b(x)).
  func outlook(for x: [Double], stage: Int?, in uplift: UpliftModel, columns: UpliftModel.Columns) -> ChurnOutlook {
    let m = effectDays.count
    let base = model.logOdds(x)
    let deltas = (0..<m).map { uplift.shrunkLogOddsEffect($0, x, stage: stage) ?? 0 }
    let daysAgo: [Double] = (0..<m).map { a in columns.daysSinceTreatment[a].map { x[$0] } ?? .infinity }
    func churn(given: Int?) -> Double {
      let period = Double(periodDays), horizon = Double(uplift.horizonDays)
      var survival = 1.0
      var start = 0.0
      while start < horizon {
        let end = min(start + period, horizon)
        var eta = base
        for b in 0..<m {
          let effect = Double(effectDays[b])
          var f =
            daysAgo[b].isFinite
            ? Self.exposure(period: start, end, givenDaysAgo: daysAgo[b], effectDays: effect, periodDays: period) : 0
          if given == b {
            f += Self.exposure(period: start, end, givenDaysAgo: 0, effectDays: effect, periodDays: period)
          }
          eta += f * deltas[b]
        }
        survival *= pow(1 - logistic(eta), (end - start) / period)
        start = end
      }
      return 1 - survival
    }
    let without = churn(given: nil)
    return ChurnOutlook(
      baseline: without,
      actions: (0..<m).map { a in
        let with = churn(given: a)
        return ChurnOutlook.Action(churnWithout: without, churnWith: with, uplift: without - with)
      })
  }

  func effectSpread(_ a: Int, sample: [[Double]], stages: [Int?], priors: EffectPriors) -> EffectSpread? {
    logOddsSpread(a, sample: sample, stages: stages, stageCount: priors.stages.count)
  }

  func heading(horizonDays: Int, windowDays: Int) -> String {
    "hazard learner: churn per \(periodDays)-day period with each action's exposure"
  }

  var logOddsScale: String? { " on the period's hazard" }

  func effectDays(_ a: Int) -> Int? { effectDays[a] }

  func advice(medianTreatedRows: Int) -> String? {
    guard medianTreatedRows < Self.fewTreatments else { return nil }
    return
      "few treatments (median \(medianTreatedRows) per action): on logs this small the S-learner planned better in our tests — try --learner s and compare the holdout figures (docs/actions.md)"
  }

  func fitShapes(features names: [String], field: String) -> [FitShape] {
    let terms = names.count + 1 + effectDays.count + effectModifiers.reduce(0) { $0 + $1.count }
    return [FitShape(field: field + ".model", fit: model, featureNames: nil, terms: terms)]
  }

  func structureProblems(actions: Int, field: String) -> [(field: String, problem: String)] {
    var problems: [(field: String, problem: String)] = []
    if periodDays < 1 { problems.append((field + ".periodDays", "is \(periodDays), not 1 or more")) }
    if effectDays.count != actions {
      problems.append((field + ".effectDays", "has \(effectDays.count) entries, the actions \(actions)"))
    }
    if effectModifiers.count != actions {
      problems.append((field + ".effectModifiers", "has \(effectModifiers.count) entries, the actions \(actions)"))
    }
    return problems
  }
}
