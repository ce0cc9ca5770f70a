import ChurnIO
import ChurnModels
import Foundation

/// What keeping a customer is worth: the revenue they bring per day times
/// the discounted days they are expected to stay (within a horizon), or a
/// value the user supplies as a feature (say, a customers-table column, or
/// the repeat-purchase models' discounted `clv`).
///
/// Revenue per day is `amount_sum_365d` over the days of history in that
/// year (at least 30, so a new customer's first purchase does not explode);
/// expected days ahead come from the stage chain: Σ_{t=1}^{H} P(not churned
/// after t days | current stage) · v^t, v = (1 + monthly rate)^(−1/30) the
/// daily discount factor, computed once per stage at training, with its
/// standard error over the chain's bootstrap replicates.
///
/// ```swift
/// let value = model.value.of(features: x, stage: 4)
/// ```
public struct CustomerValue: Sendable, Codable, Equatable {
  public enum Source: String, Sendable, Codable {
    /// Trailing revenue rate × expected remaining lifetime.
    case revenue
    /// The value of a feature, as given.
    case feature
  }

  public var source: Source
  /// For `.feature`: its name.
  public var feature: String?
  /// For `.revenue`: expected days ahead within `horizonDays`, per stage of
  /// the spec (churned: 0); customers with no stage get the mean over stages
  /// weighted by training rows.
  public var expectedDays: [Double]
  public var expectedDaysWithoutStage: Double
  public var horizonDays: Int
  /// The monthly rate the value is discounted at (nil in models saved
  /// before discounting, and for a value feature other than `clv`).
  public var monthlyDiscountRate: Double? = nil
  /// Standard errors of `expectedDays` and `expectedDaysWithoutStage` over
  /// the stage chain's bootstrap (nil: not estimated, as for a value
  /// feature, a chain without a panel estimate or an older model).
  public var expectedDaysStandardError: [Double]? = nil
  public var expectedDaysWithoutStageStandardError: Double? = nil
  /// For a log without stages: the constant daily churn hazard the
  /// expected days come from (nil: the stage chain's).
  public var dailyChurnHazard: Double? = nil

  public init(
    source: Source, feature: String? = nil, expectedDays: [Double], expectedDaysWithoutStage: Double, horizonDays: Int
  ) {
    self.source = source
    self.feature = feature
    self.expectedDays = expectedDays
    self.expectedDaysWithoutStage = expectedDaysWithoutStage
    self.horizonDays = horizonDays
  }

  /// Indexes of the features the value reads, resolved against a model's names.
  public struct Columns: Sendable {
    let value: Int?
    /// Whether the value column holds log(1 + value) (`log1p_clv`).
    var valueIsLog1p = false
    let amount: Int?
    /// Whether the amount column holds log(1 + amount) (a `log1p` spec).
    var amountIsLog1p = false
    let tenure: Int?
  }

  public func columns(in names: [String]) throws(UpliftError) -> Columns {
    switch source {
    case .feature:
      guard let f = feature, let j = names.firstIndex(of: f) else {
        throw .missingFeature(feature ?? "", use: .customerValue)
      }
      return Columns(value: j, valueIsLog1p: f.hasPrefix("log1p_"), amount: nil, tenure: nil)
    case .revenue:
      let plain = names.firstIndex(of: "amount_sum_365d")
      guard let a = plain ?? names.firstIndex(of: "log1p_amount_sum_365d"),
        let t = names.firstIndex(of: "days_since_first_event")
      else {
        throw .revenueFeaturesMissing
      }
      return Columns(value: nil, amount: a, amountIsLog1p: plain == nil, tenure: t)
    }
  }

  /// Revenue per day of history in the last year.
  static func revenuePerDay(amount: Double, tenureDays: Double) -> Double {
    max(0, amount) / max(30, min(365, tenureDays))
  }

  public func of(features x: [Double], stage: Int?, columns: Columns) -> Double {
    if let j = columns.value { return columns.valueIsLog1p ? Self.expm1KeepingSign(x[j]) : x[j] }
    return revenuePerDay(x, columns) * (stage.map { expectedDays[$0] } ?? expectedDaysWithoutStage)
  }

  /// The value's standard error from the stage chain's uncertainty (the
  /// customer's own revenue rate taken as known), or for the `clv` feature
  /// the one its fits give (`clvStandardError`, computed with the
  /// features); nil where not estimated.
  public func standardError(
    features x: [Double], stage: Int?, columns: Columns, clvStandardError: Double? = nil
  ) -> Double? {
    guard columns.value == nil else { return isRepeatPurchaseValue ? clvStandardError : nil }
    let se = stage.map { s in expectedDaysStandardError?[s] } ?? expectedDaysWithoutStageStandardError
    return se.map { revenuePerDay(x, columns) * $0 }
  }

  private func revenuePerDay(_ x: [Double], _ columns: Columns) -> Double {
    let stored = x[columns.amount!]
    let amount = columns.amountIsLog1p ? Self.expm1KeepingSign(stored) : stored
    return Self.revenuePerDay(amount: amount, tenureDays: x[columns.tenure!])
  }

  /// The inverse of the spec's log1p transform, sign(y)(e^|y| − 1).
  static func expm1KeepingSign(_ y: Double) -> Double { y < 0 ? -expm1(-y) : expm1(y) }

  /// The daily discount factor of a monthly rate (months of 30 days).
  public static func dailyDiscountFactor(monthlyRate: Double) -> Double {
    exp(-log1p(monthlyRate) / 30)
  }

  /// Σ_{t=1}^{horizon} P(alive after t days | stage) · v^t under the daily
  /// matrix `p` (churned last), for each stage; v the daily discount
  /// factor (1: undiscounted).
  public static func expectedDaysAlive(p: [[Double]], horizon: Int, dailyDiscount v: Double = 1) -> [Double] {
    let k = p.count
    return (0..<k).map { start in
      guard start < k - 1 else { return 0 }
      var dist = [Double](repeating: 0, count: k)
      dist[start] = 1
      var total = 0.0
      var discount = 1.0
      for _ in 0..<horizon {
        var next = [Double](repeating: 0, count: k)
        for i in 0..<k where dist[i] != 0 { for j in 0..<k { next[j] += dist[i] * p[i][j] } }
        dist = next
        discount *= v
        total += (1 - dist[k - 1]) * discount
      }
      return total
    }
  }

  /// Expected days alive for a log without stages, the same in every
  /// stage: Σ_{t=1}^{H} ((1 − h) v)^t for the daily churn hazard h and the
  /// daily discount factor v.
  public mutating func withoutStages(dailyChurnHazard h: Double, stages: Int, monthlyDiscountRate: Double) {
    let q = (1 - min(max(h, 0), 1)) * Self.dailyDiscountFactor(monthlyRate: monthlyDiscountRate)
    let days = q >= 1 ? Double(horizonDays) : q * (1 - pow(q, Double(horizonDays))) / (1 - q)
    expectedDays = Array(repeating: days, count: stages)
    if stages > 0 { expectedDays[stages - 1] = 0 }  // churned
    expectedDaysWithoutStage = days
    dailyChurnHazard = h
    self.monthlyDiscountRate = monthlyDiscountRate
  }

  /// Whether the value is the repeat-purchase models' `clv` feature.
  var isRepeatPurchaseValue: Bool { source == .feature && (feature == "clv" || feature == "log1p_clv") }

  /// One line on what the value is, for summaries: "revenue × expected
  /// days alive within 1095 days (stage chain), discounted at 1% a month".
  public var description: String {
    let discount = monthlyDiscountRate.map { "discounted at \(NumberText.percent($0)) a month" }
    switch source {
    case .feature where isRepeatPurchaseValue:
      return "the repeat-purchase models' lifetime value (feature 'clv': BG/NBD × Gamma-Gamma)"
        + (discount.map { ", " + $0 } ?? "")
    case .feature: return "the feature '\(feature ?? "")', as given"
    case .revenue:
      let lifetime =
        dailyChurnHazard.map { "a constant churn hazard of \(String(format: "%.5f", $0)) a day: the log has no stages" }
        ?? "stage chain"
      return "revenue per day × expected days alive within \(horizonDays) days (\(lifetime))"
        + (discount.map { ", " + $0 } ?? ", undiscounted")
    }
  }
}
