import ChurnData
import Foundation

/// The Kaplan–Meier estimate of the share of customers still active after
/// each number of days, with 95% confidence intervals (Greenwood's variance
/// on the log(−log) scale, as lifelines reports them).
///
/// ```swift
/// let curve = KaplanMeierCurve(durations: [3, 5, 5, 8], churned: [true, false, true, true])
/// curve.survival  // [0.75, 0.5, 0.0] at days [3, 5, 8]
/// ```
///
/// A customer who churned after d days is an event at d; one still active
/// at the end of the data after d days is censored at d (at risk up to and
/// including d, as is the convention).
public struct KaplanMeierCurve: Sendable, Codable, Equatable {
  /// Customers in the curve.
  public let customers: Int
  /// The longest time any of them was followed, in days (the curve ends there).
  public let longestFollowUp: Int
  /// Days with at least one churn, increasing.
  public let days: [Int]
  /// Customers still at risk at each of those days.
  public let atRisk: [Int]
  /// Churns on each of those days.
  public let churned: [Int]
  /// Share still active after each day.
  public let survival: [Double]
  /// 95% interval of `survival`.
  public let lower: [Double]
  public let upper: [Double]

  public init(durations: [Int], churned isChurn: [Bool]) {
    precondition(durations.count == isChurn.count, "one churn flag per duration")
    customers = durations.count
    longestFollowUp = durations.max() ?? 0
    let order = durations.indices.sorted { durations[$0] < durations[$1] }
    var days: [Int] = [], atRisk: [Int] = [], churned: [Int] = []
    var survival: [Double] = [], lower: [Double] = [], upper: [Double] = []
    var remaining = durations.count
    var s = 1.0
    var greenwood = 0.0
    let z = 1.959963984540054
    var k = 0
    while k < order.count {
      let day = durations[order[k]]
      var events = 0, leaving = 0
      while k < order.count && durations[order[k]] == day {
        if isChurn[order[k]] { events += 1 }
        leaving += 1
        k += 1
      }
      if events > 0 {
        s *= 1 - Double(events) / Double(remaining)
        if remaining > events { greenwood += Double(events) / (Double(remaining) * Double(remaining - events)) }
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
      }
      remaining -= leaving
    }
    self.days = days
    self.atRisk = atRisk
    self.churned = churned
    self.survival = survival
    self.lower = lower
    self.upper = upper
  }

  /// The share still active after `day` days (1 before the first churn).
  public func survival(atDay day: Int) -> Double {
    var result = 1.0
    for (d, s) in zip(days, survival) where d <= day { result = s }
    return result
  }
}
