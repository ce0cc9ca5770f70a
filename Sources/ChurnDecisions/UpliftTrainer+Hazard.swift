import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// The hazard learner: one logistic model of churn within each snapshot
/// period, fitted on every customer-period at risk, with each action's
/// exposure (the share of the period during which it was working) as an
/// input. Unlike the S- and T-learners' churn within the horizon, it uses
/// when churn happened, does not count a later treatment of a control as
/// no treatment, and lets an action's effect end.
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

  /// Effect durations tried when the catalog gives none: from two periods
  /// (shorter ones the periods cannot resolve) up to the horizon, in days.
  static func effectDayCandidates(horizon: Int, periodDays: Int) -> [Int] {
    Array(Set([30, 45, 60, 90, 120, 180].filter { $0 >= 2 * periodDays && $0 < horizon } + [horizon])).sorted()
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

  /// Fits the hazard model on `periods`: each action's effect duration
  /// (the catalog's, or the candidate with the highest likelihood), then its
  /// effect modifiers (groups kept by a Wald test, as the S-learner's), then
  /// the final fit. Sets `shell`'s modifiers and time structure.
  func fitHazard(
    _ periods: [PeriodRow], set: FeatureSet, names: [String], groups: [ModifierGroup],
    horizon: Int, shell: inout UpliftModel
  ) throws -> LogisticRegressionFit {
    let n = periods.count, p = names.count, m = catalog.actions.count
    guard periods.contains(where: \.churned), periods.contains(where: { !$0.churned }) else {
      throw ModelError.invalidOption("too few customer-periods with and without churn to fit the hazard learner")
    }
    // The treatment-history features enter as zeros (so their coefficients
    // are 0): an action's effect goes through its exposure alone, and the
    // forecast, which holds the features fixed, sees all of it.
    let history = Set(catalog.actions.flatMap { ["treatment_count_\($0.id)", "days_since_treatment_\($0.id)"] })
    let kept = (0..<p).filter { !history.contains(names[$0]) }
    var features = [Double](repeating: 0, count: n * p)
    for (i, period) in periods.enumerated() {
      let x = set.values(of: set.rows[period.row])
      for j in kept { features[j * n + i] = x[j] }
    }
    let y = periods.map { $0.churned ? 1.0 : 0.0 }
    let weights = periods.map(\.weight)
    let periodDays = Double(windowDays)
    func exposures(_ effectDays: [Int]) -> [[Double]] {
      periods.map { period in
        var f = [Double](repeating: 0, count: m)
        for t in period.treatments {
          f[t.action] += UpliftModel.HazardTerms.exposure(
            period: 0, periodDays, givenDaysAgo: -t.day, effectDays: Double(effectDays[t.action]),
            periodDays: periodDays)
        }
        return f
      }
    }
    let estimator = LogisticRegression.keepingEveryTerm(l2: l2)
    func fit(_ effectDays: [Int]) throws -> LogisticRegressionFit {
      shell.hazard = UpliftModel.HazardTerms(periodDays: windowDays, effectDays: effectDays)
      try shell.bind(features: names)
      let f = exposures(effectDays)
      var storage = features
      for a in 0..<m {
        storage += f.map { $0[a] }
        for j in shell.modifierColumns[a] { storage += (0..<n).map { f[$0][a] * features[j * n + $0] } }
      }
      let extra = shell.hazardTermNames
      return try estimator.fit(
        Matrix(rows: n, columns: p + extra.count, columnMajor: storage), y, featureNames: names + extra,
        weights: weights)
    }

    // Effect durations: the actions the catalog gives none for share one,
    // the candidate with the highest likelihood (without modifiers). One
    // shared duration is far steadier than one per action on small logs.
    shell.effectModifiers = Array(repeating: [], count: m)
    var effectDays = catalog.actions.map { $0.effectDays ?? horizon }
    let open = (0..<m).filter { catalog.actions[$0].effectDays == nil }
    if !open.isEmpty {
      var best: (days: Int, logLikelihood: Double)?
      for days in Self.effectDayCandidates(horizon: horizon, periodDays: windowDays) {
        var trial = effectDays
        for a in open { trial[a] = days }
        let logLikelihood = try fit(trial).logLikelihood
        if best.map({ logLikelihood > $0.logLikelihood }) ?? true { best = (days, logLikelihood) }
      }
      for a in open { effectDays[a] = best!.days }
    }

    // Effect modifiers.
    if let chosen = effectModifiers {
      shell.effectModifiers = Array(repeating: chosen, count: m)
    } else if !groups.isEmpty {
      shell.effectModifiers = Array(repeating: groups.flatMap(\.features), count: m)
      let full = try fit(effectDays)
      var kept: [[String]] = []
      for a in 0..<m {
        var list: [String] = []
        var term = shell.exposureTerm(a, features: p) + 1
        for group in groups {
          let terms = Array(term..<(term + group.features.count))
          term += group.features.count
          if Self.waldPValue(full, terms: terms, contrasts: group.oneHot) < modifierSignificance {
            list += group.features
          }
        }
        kept.append(list)
      }
      shell.effectModifiers = kept
    }
    return try fit(effectDays)
  }
}
