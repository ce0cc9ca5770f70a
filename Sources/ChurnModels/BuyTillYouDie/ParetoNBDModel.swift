import Foundation

/// The Pareto/NBD model (Schmittlein, Morrison & Colombo 1987) of repeat
/// purchases in a non-contractual business: while alive, purchases come as
/// a Poisson process whose rate is gamma(r, α) across customers; each
/// customer's lifetime is exponential, its rate gamma(s, β) across
/// customers (a customer may leave at any moment, not only after a
/// purchase as in BG/NBD). Fitted by maximum likelihood on the
/// log-parameters, time in days, as lifetimes' `ParetoNBDFitter` with daily
/// periods; the likelihood is Fader, Hardie & Lee's (2005) closed form
/// with its ₂F₁ terms summed as positive series.
public struct ParetoNBDModel: Sendable {
  public init() {}

  public func fit(_ summary: RepeatPurchaseSummary) throws -> FittedParetoNBD {
    guard !summary.frequency.isEmpty else { throw BuyTillYouDieError.noCustomers }
    guard summary.frequency.contains(where: { $0 > 0 }) else {
      throw BuyTillYouDieError.noRepeatPurchases(customers: summary.frequency.count)
    }
    let histories = DistinctHistories(summary)
    // The time scales start at the mean age: a purchase rate and a
    // lifetime of the order of the observation window.
    let meanAge = max(1, summary.age.reduce(0, +) / Double(summary.age.count))
    let outcome = LogParameterNewton().maximise(
      { FittedParetoNBD.logLikelihoodWithNumericGradient(parameters: $0, histories) }, from: [1, meanAge, 1, meanAge])
    guard outcome.converged else {
      throw BuyTillYouDieError.notConverged(model: "Pareto/NBD", iterations: outcome.iterations)
    }
    let p = outcome.parameters
    return FittedParetoNBD(
      r: p[0], alpha: p[1], s: p[2], beta: p[3], logLikelihood: outcome.logLikelihood,
      customers: summary.frequency.count,
      iterations: outcome.iterations, logCovariance: outcome.logCovariance)
  }
}

/// A fitted Pareto/NBD model: parameters and what they imply for a
/// customer with `frequency` x, `recency` tₓ and `age` T (days).
public struct FittedParetoNBD: Sendable, Codable, Equatable {
  public let r: Double
  public let alpha: Double
  public let s: Double
  public let beta: Double
  public let logLikelihood: Double
  public let customers: Int
  public let iterations: Int
  /// The covariance of (ln r, ln α, ln s, ln β), the inverse observed
  /// information at the maximum (from differences of the numeric
  /// gradient); nil when not estimated.
  public var logCovariance: [[Double]]? = nil

  /// The parameters' standard errors by the delta method.
  public var standardErrors: [Double]? {
    logCovariance.map { c in [r, alpha, s, beta].indices.map { [r, alpha, s, beta][$0] * sqrt(c[$0][$0]) } }
  }

  /// The probability that the customer is still alive at the as-of day:
  /// 1 / (1 + s/(r+s+x) (α+T)^(r+x) (β+T)^s A₀).
  public func probabilityAlive(frequency x: Double, recency tx: Double, age T: Double) -> Double {
    guard let logA0 = Self.logA0(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T) else { return .nan }
    let logOdds = log(s) - log(r + s + x) + (r + x) * log(alpha + T) + s * log(beta + T) + logA0
    return 1 / (1 + exp(logOdds))
  }

  /// Expected purchases in the next `t` days (lifetimes'
  /// `conditional_expected_number_of_purchases_up_to_time`):
  /// (r+x)(β+T)/(α+T) · (1 − ((β+T)/(β+T+t))^(s−1))/(s−1) · P(alive), the
  /// middle factor ln((β+T+t)/(β+T)) at s = 1.
  public func expectedPurchases(days t: Double, frequency x: Double, recency tx: Double, age T: Double) -> Double? {
    guard t > 0 else { return 0 }
    let alive = probabilityAlive(frequency: x, recency: tx, age: T)
    guard alive.isFinite else { return nil }
    let u = log1p(t / (beta + T))
    let lifetimeFactor = abs(s - 1) < 1e-9 ? u : -expm1(-(s - 1) * u) / (s - 1)
    return (r + x) * (beta + T) / (alpha + T) * lifetimeFactor * alive
  }

  /// ln A₀ of Fader, Hardie & Lee's note (nil where a series does not
  /// converge): with m = max(α, β), d = |α − β| and F(z) = ₂F₁(r+s+x, k;
  /// r+s+x+1; z), k = s+1 when α ≥ β and r+x otherwise,
  /// A₀ = F(d/(m+tₓ)) / (m+tₓ)^(r+s+x) − F(d/(m+T)) / (m+T)^(r+s+x).
  static func logA0(r: Double, alpha: Double, s: Double, beta: Double, x: Double, tx: Double, T: Double) -> Double? {
    let (m, k) = alpha >= beta ? (alpha, s + 1) : (beta, r + x)
    let d = abs(alpha - beta)
    let rsx = r + s + x
    guard let near = logF(rsx, k, z: d / (m + tx)), let far = logF(rsx, k, z: d / (m + T)) else { return nil }
    let first = near - rsx * log(m + tx)
    let second = far - rsx * log(m + T)
    // tₓ ≤ T makes the first term the larger; equal when tₓ = T (A₀ = 0).
    guard second < first else { return -.infinity }
    return first + log(-expm1(second - first))
  }

  /// ln ₂F₁(a, k; a+1; z) through Euler's transformation,
  /// (1−z)^(1−k) ₂F₁(1, a+1−k; a+1; z), whose terms are positive and fall
  /// at least as fast as zⁿ (a+1−k is r+x or s+1 here, both positive).
  static func logF(_ a: Double, _ k: Double, z: Double) -> Double? {
    guard z > 0 else { return 0 }
    guard let series = hypergeometric2F1(1, a + 1 - k, a + 1, z, radius: 0.9999, maxTerms: 2_000_000) else {
      return nil
    }
    return (1 - k) * log1p(-z) + log(series)
  }

  /// The total log-likelihood in (r, α, s, β) (−∞ where a series does
  /// not converge, so that the fit steps back).
  static func logLikelihood(parameters p: [Double], _ h: DistinctHistories) -> Double {
    let (r, alpha, s, beta) = (p[0], p[1], p[2], p[3])
    let shared = -logGamma(r) + r * log(alpha) + s * log(beta)
    let (x, tx, T) = (h.frequency, h.recency, h.age)
    var value = 0.0
    for i in x.indices {
      guard let logA0 = logA0(r: r, alpha: alpha, s: s, beta: beta, x: x[i], tx: tx[i], T: T[i]) else {
        return -.infinity
      }
      let alive = -(r + x[i]) * log(alpha + T[i]) - s * log(beta + T[i])
      let left = log(s) - log(r + s + x[i]) + logA0
      let mixture = max(alive, left) + log1p(exp(-abs(alive - left)))
      value += h.customers[i] * (shared + logGamma(r + x[i]) + (left == -.infinity ? alive : mixture))
    }
    return value
  }

  /// The log-likelihood and its gradient by central differences in the
  /// log-parameters: the ₂F₁ terms' derivatives in their parameters have
  /// no closed form worth its cost, and the fit needs only a gradient
  /// accurate to about 1e-9 relative.
  static func logLikelihoodWithNumericGradient(
    parameters p: [Double], _ histories: DistinctHistories
  ) -> (value: Double, gradient: [Double]) {
    let value = logLikelihood(parameters: p, histories)
    guard value.isFinite else { return (value, p.map { _ in 0 }) }
    let h = 1e-6
    let gradient = p.indices.map { j -> Double in
      var up = p
      var down = p
      up[j] = p[j] * exp(h)
      down[j] = p[j] * exp(-h)
      let change = logLikelihood(parameters: up, histories) - logLikelihood(parameters: down, histories)
      // d/dθ over dp/dθ = p: the gradient in the parameter itself.
      return change / (2 * h) / p[j]
    }
    return (value, gradient)
  }
}

/// The distinct (frequency, recency, age) triples of a summary with the
/// number of customers sharing each: the likelihood is a weighted sum over
/// them (on CDNOW, a third as many terms as customers).
struct DistinctHistories {
  var frequency: [Double] = []
  var recency: [Double] = []
  var age: [Double] = []
  var customers: [Double] = []

  init(_ summary: RepeatPurchaseSummary) {
    var index: [[Double]: Int] = [:]
    for i in summary.frequency.indices {
      let key = [summary.frequency[i], summary.recency[i], summary.age[i]]
      if let j = index[key] {
        customers[j] += 1
        continue
      }
      index[key] = frequency.count
      frequency.append(key[0])
      recency.append(key[1])
      age.append(key[2])
      customers.append(1)
    }
  }
}
