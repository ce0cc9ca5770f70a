import Foundation

/// The Gamma-Gamma model of spend per purchase (Fader, Hardie & Lee 2005,
/// as lifetimes' `GammaGammaFitter`): a customer's purchases vary around
/// their mean spend, which is gamma-distributed across customers; fitted on
/// the customers with repeat purchases and a positive mean spend.
public struct GammaGammaModel: Sendable {
  public init() {}

  public func fit(_ summary: RepeatPurchaseSummary) throws -> FittedGammaGamma {
    let used = summary.frequency.indices.filter { summary.frequency[$0] > 0 && summary.monetaryValue[$0] > 0 }
    guard !used.isEmpty else { throw BuyTillYouDieError.noRepeatPurchases(customers: summary.frequency.count) }
    let x = used.map { summary.frequency[$0] }, m = used.map { summary.monetaryValue[$0] }
    let outcome = LogParameterNewton().maximise(
      { FittedGammaGamma.logLikelihood(parameters: $0, x: x, m: m) }, from: [1, 1, 1])
    guard outcome.converged else {
      throw BuyTillYouDieError.notConverged(model: "Gamma-Gamma", iterations: outcome.iterations)
    }
    let p = outcome.parameters
    return FittedGammaGamma(
      p: p[0], q: p[1], v: p[2], logLikelihood: outcome.logLikelihood, customers: x.count,
      iterations: outcome.iterations, logCovariance: outcome.logCovariance)
  }
}

/// A fitted Gamma-Gamma spend model.
public struct FittedGammaGamma: Sendable, Codable, Equatable {
  public let p: Double
  public let q: Double
  public let v: Double
  public let logLikelihood: Double
  public let customers: Int
  public let iterations: Int
  /// The covariance of (ln p, ln q, ln v), the inverse observed information
  /// at the maximum; nil when not estimated.
  public var logCovariance: [[Double]]? = nil

  /// The parameters' standard errors by the delta method (lifetimes'
  /// `standard_errors_`).
  public var standardErrors: [Double]? {
    logCovariance.map { c in [p, q, v].indices.map { [p, q, v][$0] * sqrt(c[$0][$0]) } }
  }

  /// The expected spend per purchase of a customer with `frequency` repeat
  /// purchases of mean `monetaryValue` (the population mean without any);
  /// nil when q ≤ 1 (the mean spend has no finite expectation).
  public func expectedAverageSpend(frequency x: Double, monetaryValue m: Double) -> Double? {
    guard q > 1 else { return nil }
    return p * (v + x * m) / (p * x + q - 1)
  }

  static func logLikelihood(parameters k: [Double], x: [Double], m: [Double]) -> (value: Double, gradient: [Double]) {
    let (p, q, v) = (k[0], k[1], k[2])
    var value = 0.0
    var g = [0.0, 0.0, 0.0]
    let psiQ = digamma(q)
    for i in x.indices {
      let px = p * x[i]
      let total = x[i] * m[i] + v
      value +=
        logGamma(px + q) - logGamma(px) - logGamma(q) + q * log(v) + (px - 1) * log(m[i]) + px * log(x[i])
        - (px + q) * log(total)
      let psiPXQ = digamma(px + q)
      g[0] += x[i] * (psiPXQ - digamma(px) + log(m[i]) + log(x[i]) - log(total))
      g[1] += psiPXQ - psiQ + log(v) - log(total)
      g[2] += q / v - (px + q) / total
    }
    return (value, g)
  }
}

/// Discounted customer lifetime value over `months` of 30 days, as
/// lifetimes' `customer_lifetime_value` with daily periods: each month's
/// expected purchases (BG/NBD) × the expected spend per purchase
/// (Gamma-Gamma), discounted by `monthlyDiscountRate`; nil when a month's
/// expectation cannot be computed.
public func customerLifetimeValue(
  purchases: some FittedRepeatPurchaseModel, spend: Double, frequency x: Double, recency tx: Double, age T: Double,
  months: Int,
  monthlyDiscountRate: Double
) -> Double? {
  var total = 0.0
  var previous = 0.0
  for month in 1...max(1, months) {
    guard let cumulative = purchases.expectedPurchases(days: Double(30 * month), frequency: x, recency: tx, age: T)
    else { return nil }
    total += spend * (cumulative - previous) / pow(1 + monthlyDiscountRate, Double(month))
    previous = cumulative
  }
  return total
}
