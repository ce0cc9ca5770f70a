import ChurnData
import ChurnIO
import Foundation

/// How stage moves change after an action: per action and stage, the daily
/// rates of churning and of advancing to a later stage while the customer
/// is within `windowDays` of receiving the action, against the same stage's
/// rates outside every action's window — action-conditioned transition
/// rates from the spells of the stage chain.
///
/// A rate is moves over days at risk (the maximum-likelihood rate of a
/// continuous-time chain); the ratio's 95% interval is exp(log ratio ±
/// 1.96 √(1/a + 1/b)) for a and b moves (Poisson counts), nil without a move
/// on either side.
public struct ActionStageEffect: Sendable, Codable, Equatable {
  public let action: String
  public let stage: String
  public let windowDays: Int
  public let exposedDays: Double
  public let exposedChurns: Int
  public let exposedAdvances: Int
  public let baselineDays: Double
  public let baselineChurns: Int
  public let baselineAdvances: Int

  public var churnRateRatio: Double? { Self.ratio(exposedChurns, exposedDays, baselineChurns, baselineDays) }
  public var advanceRateRatio: Double? { Self.ratio(exposedAdvances, exposedDays, baselineAdvances, baselineDays) }
  public var churnRateRatioInterval: (lower: Double, upper: Double)? {
    guard let r = churnRateRatio, exposedChurns > 0, baselineChurns > 0 else { return nil }
    let half = 1.959963984540054 * (1 / Double(exposedChurns) + 1 / Double(baselineChurns)).squareRoot()
    return (r * exp(-half), r * exp(half))
  }

  static func ratio(_ a: Int, _ da: Double, _ b: Int, _ db: Double) -> Double? {
    guard da > 0, db > 0, b > 0 else { return nil }
    return (Double(a) / da) / (Double(b) / db)
  }
}

/// Splits each spell's time into the days within an action's window and the
/// days outside every window, and files the move that ends it.
struct ExposureAccumulator {
  let actions: [String]
  let window: Int64
  let churned: Int
  var exposedDays: [[Double]]
  var exposedChurns: [[Int]]
  var exposedAdvances: [[Int]]
  var baselineDays: [Double]
  var baselineChurns: [Int]
  var baselineAdvances: [Int]

  init(actions: [String], windowDays: Int, stages: Int) {
    self.actions = actions
    window = Int64(windowDays) * microsPerDay
    churned = stages - 1
    exposedDays = Array(repeating: Array(repeating: 0, count: stages), count: actions.count)
    exposedChurns = Array(repeating: Array(repeating: 0, count: stages), count: actions.count)
    exposedAdvances = Array(repeating: Array(repeating: 0, count: stages), count: actions.count)
    baselineDays = Array(repeating: 0, count: stages)
    baselineChurns = Array(repeating: 0, count: stages)
    baselineAdvances = Array(repeating: 0, count: stages)
  }

  /// Length of [from, to) covered by the windows [t, t + window) of `times` (sorted).
  private func covered(_ times: [Int64], from: Int64, to: Int64) -> Int64 {
    var total: Int64 = 0
    var reach = Int64.min
    for t in times {
      let start = max(t, reach, from), end = min(t + window, to)
      if end > start { total += end - start }
      reach = max(reach, t + window)
    }
    return total
  }

  private func inside(_ times: [Int64], _ instant: Int64) -> Bool {
    times.contains { $0 < instant && instant <= $0 + window }
  }

  /// One spell in `stage` over [enter, end), ended by a move to `next` (nil: censored).
  /// `treatments[a]` are the customer's times of action a, sorted.
  mutating func add(stage: Int, enter: Int64, end: Int64, next: Int?, treatments: [[Int64]]) {
    guard end > enter else { return }
    let day = Double(microsPerDay)
    let all = treatments.flatMap { $0 }.sorted()
    baselineDays[stage] += Double(end - enter - covered(all, from: enter, to: end)) / day
    let churn = next == churned
    let advance = next.map { $0 > stage && $0 != churned } ?? false
    for a in actions.indices where !treatments[a].isEmpty {
      exposedDays[a][stage] += Double(covered(treatments[a], from: enter, to: end)) / day
      if next != nil && inside(treatments[a], end) {
        if churn { exposedChurns[a][stage] += 1 }
        if advance { exposedAdvances[a][stage] += 1 }
      }
    }
    if next != nil && !inside(all, end) {
      if churn { baselineChurns[stage] += 1 }
      if advance { baselineAdvances[stage] += 1 }
    }
  }

  func effects(stages: [String], windowDays: Int) -> [ActionStageEffect] {
    var out: [ActionStageEffect] = []
    for a in actions.indices {
      for s in 0..<churned where exposedDays[a][s] > 0 {
        out.append(
          ActionStageEffect(
            action: actions[a], stage: stages[s], windowDays: windowDays, exposedDays: exposedDays[a][s],
            exposedChurns: exposedChurns[a][s], exposedAdvances: exposedAdvances[a][s], baselineDays: baselineDays[s],
            baselineChurns: baselineChurns[s], baselineAdvances: baselineAdvances[s]))
      }
    }
    return out
  }
}
