import Foundation

/// The BG/NBD model (Fader, Hardie & Lee 2005) of repeat purchases in a
/// non-contractual business, where nobody cancels and a customer who went
/// silent may be gone: while alive, purchases come as a Poisson process
/// whose rate is gamma(r, α) across customers; after each purchase the
/// customer leaves with a probability that is beta(a, b) across customers.
/// Fitted by maximum likelihood (Newton on the log-parameters with the
/// analytic gradient), time in days, as lifetimes' `BetaGeoFitter` with
/// daily periods.
public struct BGNBDModel: Sendable {
  public init() {}

  public func fit(_ summary: RepeatPurchaseSummary) throws -> FittedBGNBD {
    let x = summary.frequency, tx = summary.recency, T = summary.age
    guard !x.isEmpty else { throw BuyTillYouDieError.noCustomers }
    guard x.contains(where: { $0 > 0 }) else { throw BuyTillYouDieError.noRepeatPurchases(customers: x.count) }
    let outcome = LogParameterNewton().maximise(
      { FittedBGNBD.logLikelihood(parameters: $0, x: x, tx: tx, T: T) }, from: [1, 1, 1, 1])
    let p = outcome.parameters
    // a and b growing together without bound: the dropout probability does
    // not vary across customers, and the maximum is the limit model's.
    if min(p[2], p[3]) > 1e4 || (!outcome.converged && min(p[2], p[3]) > 100) {
      let limit = LogParameterNewton().maximise(
        { FittedBGNBD.commonDropoutLogLikelihood(parameters: $0, x: x, tx: tx, T: T) },
        from: [p[0], p[1], p[2] / p[3]])
      guard limit.converged else {
        throw BuyTillYouDieError.notConverged(model: "BG/NBD (common dropout)", iterations: limit.iterations)
      }
      let q = limit.parameters
      return FittedBGNBD(
        r: q[0], alpha: q[1], a: nil, b: nil, commonDropout: q[2] / (1 + q[2]), logLikelihood: limit.logLikelihood,
        customers: x.count, iterations: outcome.iterations + limit.iterations, logCovariance: limit.logCovariance)
    }
    guard outcome.converged else {
      throw BuyTillYouDieError.notConverged(model: "BG/NBD", iterations: outcome.iterations)
    }
    return FittedBGNBD(
      r: p[0], alpha: p[1], a: p[2], b: p[3], commonDropout: nil, logLikelihood: outcome.logLikelihood,
      customers: x.count, iterations: outcome.iterations, logCovariance: outcome.logCovariance)
  }
}

/// A fitted BG/NBD model: parameters and what they imply for a customer
/// with `frequency` x, `recency` tₓ and `age` T (days).
public struct FittedBGNBD: Sendable, Codable, Equatable {
  public let r: Double
  public let alpha: Double
  /// The beta(a, b) spread of the dropout probability across customers;
  /// nil when the data show none (the maximum lies where a and b grow
  /// without bound), and then `commonDropout` is every customer's.
  public let a: Double?
  public let b: Double?
  /// The probability of dropping out after each purchase, when it is the
  /// same for every customer (the limit of beta(a, b) as a, b → ∞ with
  /// a/(a + b) fixed).
  public let commonDropout: Double?
  public let logLikelihood: Double
  public let customers: Int
  public let iterations: Int
  /// The covariance of the log-parameters (ln r, ln α, ln a, ln b; or
  /// ln r, ln α, ln π/(1 − π) with a common dropout), the inverse observed
  /// information at the maximum; nil when not estimated.
  public var logCovariance: [[Double]]? = nil

  /// The parameters' standard errors by the delta method (lifetimes'
  /// `standard_errors_`), in the order of `logCovariance`.
  public var standardErrors: [Double]? {
    guard let c = logCovariance else { return nil }
    let values = a.map { [r, alpha, $0, b!] } ?? [r, alpha, commonDropout! / (1 - commonDropout!)]
    return values.indices.map { values[$0] * sqrt(c[$0][$0]) }
  }

  /// The probability that the customer is still alive at the as-of day.
  public func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
    guard x > 0 else { return 1 }
    return 1 / (1 + deadOdds(x) * exp((r + x) * (log(alpha + T) - log(alpha + tx))))
  }

  /// The factor a/(b + x − 1) of the odds of having dropped out after the
  /// last purchase (π/(1 − π) with a common dropout π).
  private func deadOdds(_ x: Double) -> Double {
    if let a, let b { return a / (b + x - 1) }
    let pi = commonDropout!
    return pi / (1 - pi)
  }

  /// Expected purchases in the next `t` days (lifetimes'
  /// `conditional_expected_number_of_purchases_up_to_time`); nil where the
  /// hypergeometric series would be summed too close to its radius.
  public func expectedPurchases(
    days t: Double, frequency x: Double, recency tx: Double, age T: Double, radius: Double
  ) -> Double? {
    guard t > 0 else { return 0 }
    let alive = x > 0 ? deadOdds(x) * exp((r + x) * (log(alpha + T) - log(alpha + tx))) : 0
    guard let a, let b else {
      // The limit: ₂F₁ becomes (1 − (1 − π)z)^−(r+x), and the terms combine.
      let pi = commonDropout!
      return (1 - exp((r + x) * (log(alpha + T) - log(alpha + T + pi * t)))) / pi / (1 + alive)
    }
    let z = t / (alpha + T + t)
    guard let f = hypergeometric2F1(r + x, b + x, a + b + x - 1, z, radius: radius, maxTerms: 10_000_000) else {
      return nil
    }
    let numerator = (a + b + x - 1) / (a - 1) * (1 - exp((r + x) * (log(alpha + T) - log(alpha + T + t))) * f)
    return numerator / (1 + alive)
  }

  /// The total log-likelihood and its gradient in (r, α, a, b).
  static func logLikelihood(
    parameters p: [Double], x: [Double], tx: [Double], T: [Double]
  ) -> (
    value: Double, gradient: [Double]
  ) {
    let (r, alpha, a, b) = (p[0], p[1], p[2], p[3])
    var value = 0.0
    var g = [0.0, 0.0, 0.0, 0.0]
    let shared = logGamma(a + b) - logGamma(b) - logGamma(r) + r * log(alpha)
    let psiR = digamma(r), psiAB = digamma(a + b), psiB = digamma(b)
    for i in x.indices {
      let xi = x[i]
      let l3 = -(r + xi) * log(alpha + T[i])
      var w4 = 0.0
      var mixture = l3
      if xi > 0 {
        let l4 = log(a) - log(b + xi - 1) - (r + xi) * log(alpha + tx[i])
        mixture = max(l3, l4) + log1p(exp(-abs(l3 - l4)))
        w4 = exp(l4 - mixture)
      }
      let w3 = 1 - w4
      value += shared + logGamma(r + xi) + logGamma(b + xi) - logGamma(a + b + xi) + mixture
      g[0] += digamma(r + xi) - psiR + log(alpha) - w3 * log(alpha + T[i]) - w4 * log(alpha + tx[i])
      g[1] += r / alpha - w3 * (r + xi) / (alpha + T[i]) - w4 * (r + xi) / (alpha + tx[i])
      let psiABX = digamma(a + b + xi)
      g[2] += psiAB - psiABX + w4 / a
      g[3] += psiAB + digamma(b + xi) - psiB - psiABX - (xi > 0 ? w4 / (b + xi - 1) : 0)
    }
    return (value, g)
  }
}

extension FittedBGNBD {
  /// The log-likelihood of the common-dropout limit and its gradient in
  /// (r, α, q), q = π/(1 − π) the odds of dropping out after a purchase.
  static func commonDropoutLogLikelihood(
    parameters p: [Double], x: [Double], tx: [Double], T: [Double]
  ) -> (
    value: Double, gradient: [Double]
  ) {
    let (r, alpha, q) = (p[0], p[1], p[2])
    var value = 0.0
    var g = [0.0, 0.0, 0.0]
    let shared = -logGamma(r) + r * log(alpha)
    let psiR = digamma(r)
    for i in x.indices {
      let xi = x[i]
      let l3 = -(r + xi) * log(alpha + T[i])
      var w4 = 0.0
      var mixture = l3
      if xi > 0 {
        let l4 = log(q) - (r + xi) * log(alpha + tx[i])
        mixture = max(l3, l4) + log1p(exp(-abs(l3 - l4)))
        w4 = exp(l4 - mixture)
      }
      let w3 = 1 - w4
      value += shared + logGamma(r + xi) - xi * log1p(q) + mixture
      g[0] += digamma(r + xi) - psiR + log(alpha) - w3 * log(alpha + T[i]) - w4 * log(alpha + tx[i])
      g[1] += r / alpha - w3 * (r + xi) / (alpha + T[i]) - w4 * (r + xi) / (alpha + tx[i])
      g[2] += -xi / (1 + q) + w4 / q
    }
    return (value, g)
  }
}

/// What a buy-till-you-die fit cannot do with the data.
public enum BuyTillYouDieError: Error, CustomStringConvertible, Equatable {
  case noCustomers
  case noRepeatPurchases(customers: Int)
  case notConverged(model: String, iterations: Int)
  case unknownEventType(String, suggestion: String?, path: String, option: String = "--purchase-event")
  case expectationNotComputable(customer: String, days: Int)
  case noChurn(customers: Int)

  public var description: String {
    switch self {
    case .noCustomers: return "no customer made a purchase by the as-of date"
    case .noRepeatPurchases(let n):
      return
        "none of the \(n) customers bought again after their first purchase day: the repeat-purchase models have nothing to learn from (check --purchase-event, or a later --as-of)"
    case .notConverged(let model, let n):
      return "the \(model) fit did not converge in \(n) iterations"
    case .noChurn(let n):
      return
        "none of the \(n) customers left by the as-of date: the retention model has nothing to learn from (check --churn-event, or a later --as-of)"
    case .expectationNotComputable(let customer, let days):
      return
        "BG/NBD's expected purchases over \(days) days cannot be computed for customer '\(customer)' (its hypergeometric series does not converge at these parameters): use a shorter 'repeat_purchase.horizon_days' or fewer 'clv_months'"
    case .unknownEventType(let name, let suggestion, let path, let option):
      return "\(path) has no event type '\(name)' (\(option))"
        + (suggestion.map { ". Did you mean '\($0)'?" } ?? "")
    }
  }
}
