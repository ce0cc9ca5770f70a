import ChurnModels
import Foundation

extension UpliftModel {
  /// The hazard learner's time structure: churn is modelled per period of
  /// `periodDays` (the snapshot spacing), and action a works for
  /// `effectDays[a]` days after it is given (from the catalog, or chosen
  /// by likelihood when training).
  public struct HazardTerms: Sendable, Codable, Equatable {
    public var periodDays: Int
    public var effectDays: [Int]

    public init(periodDays: Int, effectDays: [Int]) {
      self.periodDays = periodDays
      self.effectDays = effectDays
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
  }

  /// Position among the hazard fit's terms (intercept first) of action
  /// `a`'s exposure term, after `p` features.
  func exposureTerm(_ a: Int, features p: Int) -> Int {
    var term = p + 1
    for b in 0..<a { term += 1 + modifierColumns[b].count }
    return term
  }

  /// The hazard model's inputs: the features, then per action its exposure
  /// f (the share of the period it was working) and f × each of its effect
  /// modifiers.
  func hazardRow(_ x: [Double], exposure f: [Double]) -> [Double] {
    var row = x
    for a in f.indices {
      row.append(f[a])
      for j in modifierColumns[a] { row.append(f[a] * x[j]) }
    }
    return row
  }

  /// Names of the hazard model's inputs after the features.
  var hazardTermNames: [String] {
    catalog.actions.indices.flatMap { a in
      ["exposure \(catalog.actions[a].id)"] + effectModifiers[a].map { "exposure \(catalog.actions[a].id) × \($0)" }
    }
  }
}

/// One customer's churn within the horizon by the hazard learner, without
/// an action and with each: the period hazards chained over the horizon,
/// features held at today's values, actions already given still working
/// until their effect runs out, and each action's (shrunk) log-odds effect
/// added in proportion to the share of each period it works.
///
/// P(churn within H) = 1 − Π_k (1 − h_k)^(len_k / P),
/// h_k = logistic(η(x) + Σ_b f_bk δ_b(x)).
struct HazardForecast {
  let withoutAction: Double
  private let withAction: [Double]

  init?(model: UpliftModel, x: [Double], stage: Int?, columns: UpliftModel.Columns) {
    guard let terms = model.hazard else { return nil }
    let m = model.catalog.actions.count
    let base = model.control.logOdds(x)
    let deltas = (0..<m).map { model.shrunkLogOddsEffect($0, x, stage: stage) ?? 0 }
    let daysAgo: [Double] = (0..<m).map { a in columns.daysSinceTreatment[a].map { x[$0] } ?? .infinity }
    func churn(given: Int?) -> Double {
      let period = Double(terms.periodDays), horizon = Double(model.horizonDays)
      var survival = 1.0
      var start = 0.0
      while start < horizon {
        let end = min(start + period, horizon)
        var eta = base
        for b in 0..<m {
          let effect = Double(terms.effectDays[b])
          var f =
            daysAgo[b].isFinite
            ? UpliftModel.HazardTerms.exposure(
              period: start, end, givenDaysAgo: daysAgo[b], effectDays: effect, periodDays: period) : 0
          if given == b {
            f += UpliftModel.HazardTerms.exposure(
              period: start, end, givenDaysAgo: 0, effectDays: effect, periodDays: period)
          }
          eta += f * deltas[b]
        }
        survival *= pow(1 - logistic(eta), (end - start) / period)
        start = end
      }
      return 1 - survival
    }
    withoutAction = churn(given: nil)
    withAction = (0..<m).map { churn(given: $0) }
  }

  func with(_ a: Int) -> Double { withAction[a] }
}
