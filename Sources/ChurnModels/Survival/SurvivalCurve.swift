import Foundation

/// A group's survival without covariates: the Kaplan–Meier estimate of the
/// share still active after each churn time, with a 95% interval
/// (Greenwood's variance on the log(−log) scale), and the Nelson–Aalen
/// cumulative hazard with a 95% interval (on the log scale; tied churns
/// counted one after another, Σ 1/(n − i), as lifelines' default does).
///
/// ```swift
/// let curve = SurvivalCurve(durations: [3, 5, 5, 8], churned: [true, false, true, true])
/// curve.survival          // [0.75, 0.5, 0.0] at days [3, 5, 8]
/// curve.cumulativeHazard  // [0.25, 0.5833…, 1.5833…]
/// ```
///
/// A customer who churned after d days is an event at d; one still active
/// at the end of the data after d days is censored at d (at risk up to and
/// including d, as is the convention).
public struct SurvivalCurve: Sendable, Codable, Equatable {
  public let customers: Int
  /// The longest time any of them was followed (the curve ends there).
  public let longestFollowUp: Double
  /// Days with at least one churn, increasing.
  public let days: [Double]
  /// Customers still at risk at each of those days.
  public let atRisk: [Int]
  /// Churns on each of those days.
  public let churned: [Int]
  /// Kaplan–Meier: share still active after each day, and its interval.
  public let survival: [Double]
  public let lower: [Double]
  public let upper: [Double]
  /// Nelson–Aalen: cumulative hazard after each day, and its interval.
  public let cumulativeHazard: [Double]
  public let hazardLower: [Double]
  public let hazardUpper: [Double]

  public init(durations: [Double], churned isChurn: [Bool]) {
    precondition(durations.count == isChurn.count, "one churn flag per duration")
    customers = durations.count
    longestFollowUp = durations.max() ?? 0
    var days: [Double] = [], atRisk: [Int] = [], churned: [Int] = []
    var survival: [Double] = [], lower: [Double] = [], upper: [Double] = []
    var hazards: [Double] = [], hazardLower: [Double] = [], hazardUpper: [Double] = []
    var s = 1.0, greenwood = 0.0, hazard = 0.0, hazardVariance = 0.0
    let z = 1.959963984540054
    for (day, remaining, events) in riskSetSteps(durations, isChurn) where events > 0 {
      s *= 1 - Double(events) / Double(remaining)
      if remaining > events { greenwood += Double(events) / (Double(remaining) * Double(remaining - events)) }
      for i in 0..<events {
        let n = Double(remaining - i)
        hazard += 1 / n
        hazardVariance += 1 / (n * n)
      }
      days.append(day)
      atRisk.append(remaining)
      churned.append(events)
      survival.append(s)
      if s > 0 && s < 1 {
        let logS = log(s)
        let spread = z * greenwood.squareRoot() / logS
        lower.append(exp(-exp(log(-logS) - spread)))
        upper.append(exp(-exp(log(-logS) + spread)))
      } else {
        lower.append(s)
        upper.append(s)
      }
      let hazardSpread = z * hazardVariance.squareRoot() / hazard
      hazards.append(hazard)
      hazardLower.append(hazard * exp(-hazardSpread))
      hazardUpper.append(hazard * exp(hazardSpread))
    }
    (self.days, self.atRisk, self.churned) = (days, atRisk, churned)
    (self.survival, self.lower, self.upper) = (survival, lower, upper)
    (self.cumulativeHazard, self.hazardLower, self.hazardUpper) = (hazards, hazardLower, hazardUpper)
  }

  /// The share still active after `day` (1 before the first churn); nil past
  /// the longest follow-up, where the data says nothing.
  public func survival(at day: Double) -> Double? {
    guard day <= longestFollowUp else { return nil }
    var result = 1.0
    for (d, s) in zip(days, survival) where d <= day { result = s }
    return result
  }

  /// The first day on which the share still active is at most a half; nil
  /// when it never falls that low within the follow-up.
  public var medianDays: Double? {
    survival.firstIndex { $0 <= 0.5 }.map { days[$0] }
  }
}

/// For each distinct duration in increasing order: the customers still
/// followed then (at risk) and how many of them churned at it.
func riskSetSteps(_ durations: [Double], _ churned: [Bool]) -> [(day: Double, atRisk: Int, churns: Int)] {
  let order = durations.indices.sorted { durations[$0] < durations[$1] }
  var steps: [(day: Double, atRisk: Int, churns: Int)] = []
  var remaining = durations.count
  var k = 0
  while k < order.count {
    let day = durations[order[k]]
    var events = 0, leaving = 0
    while k < order.count && durations[order[k]] == day {
      if churned[order[k]] { events += 1 }
      leaving += 1
      k += 1
    }
    steps.append((day, remaining, events))
    remaining -= leaving
  }
  return steps
}
