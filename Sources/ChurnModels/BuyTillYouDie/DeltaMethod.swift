import Foundation

/// A fitted model whose parameters were estimated on the log scale, with
/// their covariance there: what the delta method needs to carry the fit's
/// uncertainty into a figure computed from it.
public protocol LogParameterised: Sendable {
  /// The estimates, on the log scale, in the order of `logCovariance`.
  var logParameters: [Double] { get }
  var logCovariance: [[Double]]? { get }
  /// The same model with other log-parameters (the covariance dropped).
  func with(logParameters: [Double]) -> Self
}

/// The standard error of f(θ) by the delta method, √(∇fᵀ Σ ∇f), the
/// gradient by central differences in the log-parameters (steps of 10⁻⁵:
/// relative steps in the parameters); nil without a covariance or where
/// f cannot be computed at a step.
public func deltaMethodVariance<Model: LogParameterised>(_ model: Model, of f: (Model) -> Double?) -> Double? {
  guard let covariance = model.logCovariance else { return nil }
  let theta = model.logParameters
  var gradient = [Double](repeating: 0, count: theta.count)
  for j in theta.indices {
    let h = 1e-5
    var up = theta
    var down = theta
    up[j] += h
    down[j] -= h
    guard let high = f(model.with(logParameters: up)), let low = f(model.with(logParameters: down)) else { return nil }
    gradient[j] = (high - low) / (2 * h)
  }
  var variance = 0.0
  for i in theta.indices { for j in theta.indices { variance += gradient[i] * covariance[i][j] * gradient[j] } }
  return max(0, variance)
}

extension FittedBGNBD: LogParameterised {
  public var logParameters: [Double] {
    if let a, let b { return [log(r), log(alpha), log(a), log(b)] }
    return [log(r), log(alpha), log(commonDropout! / (1 - commonDropout!))]
  }

  public func with(logParameters t: [Double]) -> FittedBGNBD {
    let p = t.map { exp($0) }
    return FittedBGNBD(
      r: p[0], alpha: p[1], a: p.count == 4 ? p[2] : nil, b: p.count == 4 ? p[3] : nil,
      commonDropout: p.count == 4 ? nil : p[2] / (1 + p[2]), logLikelihood: .nan, customers: customers,
      iterations: iterations)
  }
}

extension FittedGammaGamma: LogParameterised {
  public var logParameters: [Double] { [log(p), log(q), log(v)] }

  public func with(logParameters t: [Double]) -> FittedGammaGamma {
    FittedGammaGamma(
      p: exp(t[0]), q: exp(t[1]), v: exp(t[2]), logLikelihood: .nan, customers: customers, iterations: iterations)
  }
}

extension FittedParetoNBD: LogParameterised {
  public var logParameters: [Double] { [log(r), log(alpha), log(s), log(beta)] }

  public func with(logParameters t: [Double]) -> FittedParetoNBD {
    FittedParetoNBD(
      r: exp(t[0]), alpha: exp(t[1]), s: exp(t[2]), beta: exp(t[3]), logLikelihood: .nan, customers: customers,
      iterations: iterations)
  }
}

/// The standard errors of customers' discounted CLV, spend per purchase ×
/// discounted expected purchases D, from both fits' uncertainty (delta
/// method; the two fits taken as independent, as the Gamma-Gamma model
/// assumes spend independent of the purchase process):
/// Var = spend² Var(D) + D² Var(spend). D and Var(D) depend only on the
/// history (x, tₓ, T), so they are computed once per distinct history.
public struct ClvStandardErrors<Purchases: LogParameterised> {
  public typealias DiscountedPurchases = (Purchases, _ x: Double, _ tx: Double, _ T: Double) -> Double?
  let purchases: Purchases
  let spend: FittedGammaGamma
  let discounted: DiscountedPurchases
  private var byHistory: [History: (value: Double, variance: Double)?] = [:]

  private struct History: Hashable {
    let x: Double, tx: Double, T: Double
  }

  public init(purchases: Purchases, spend: FittedGammaGamma, discounted: @escaping DiscountedPurchases) {
    (self.purchases, self.spend, self.discounted) = (purchases, spend, discounted)
  }

  /// nil when a fit has no covariance or a figure cannot be computed.
  public mutating func standardError(
    frequency x: Double, recency tx: Double, age T: Double, monetaryValue m: Double
  )
    -> Double?
  {
    guard purchases.logCovariance != nil, spend.logCovariance != nil else { return nil }
    let key = History(x: x, tx: tx, T: T)
    if byHistory.index(forKey: key) == nil {
      let f = discounted
      // updateValue, not subscript assignment: a nil (not computable) is kept, not a removal.
      byHistory.updateValue(
        f(purchases, x, tx, T).flatMap { d in deltaMethodVariance(purchases, of: { f($0, x, tx, T) }).map { (d, $0) } },
        forKey: key)
    }
    guard let (d, purchaseVariance) = byHistory[key] ?? nil,
      let average = spend.expectedAverageSpend(frequency: x, monetaryValue: m),
      let spendVariance = deltaMethodVariance(spend, of: { $0.expectedAverageSpend(frequency: x, monetaryValue: m) })
    else { return nil }
    return (average * average * purchaseVariance + d * d * spendVariance).squareRoot()
  }
}

/// Σₘ (E(30m) − E(30(m − 1))) / (1 + d)ᵐ: the discounted expected purchases
/// over `months` of 30 days that CLV multiplies by the spend per purchase.
public func discountedExpectedPurchases(
  months: Int, monthlyDiscountRate d: Double, expected: (Double) -> Double?
) -> Double? {
  var total = 0.0
  var previous = 0.0
  for month in 1...max(1, months) {
    guard let cumulative = expected(Double(30 * month)) else { return nil }
    total += (cumulative - previous) / pow(1 + d, Double(month))
    previous = cumulative
  }
  return total
}
