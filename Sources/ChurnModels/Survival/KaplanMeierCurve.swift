import ChurnData
import Foundation

/// The Kaplan–Meier estimate of the share of customers still active after
/// each whole number of days, with 95% confidence intervals (Greenwood's
/// variance on the log(−log) scale, as lifelines reports them): the part of
/// a `SurvivalCurve` the journey page draws, on whole days.
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
    let curve = SurvivalCurve(durations: durations.map(Double.init), churned: isChurn)
    customers = curve.customers
    longestFollowUp = durations.max() ?? 0
    days = curve.days.map { Int($0) }
    (atRisk, churned) = (curve.atRisk, curve.churned)
    (survival, lower, upper) = (curve.survival, curve.lower, curve.upper)
  }

  /// The share still active after `day` days (1 before the first churn).
  public func survival(atDay day: Int) -> Double {
    var result = 1.0
    for (d, s) in zip(days, survival) where d <= day { result = s }
    return result
  }
}
