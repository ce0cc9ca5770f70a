import Foundation

/// The shifted-beta-geometric model of retention in a contractual business
/// (Fader & Hardie 2007, "How to project customer retention"): at each
/// renewal a customer leaves with a probability θ that stays fixed for them
/// and varies across customers as beta(α, β), so the customers who remain
/// are ever more loyal and the retention rate rises with tenure. Fitted by
/// maximum likelihood (Newton on the log-parameters, analytic gradient) on
/// each customer's lifetime in periods: churned in period t, or still
/// subscribed after n.
public struct ShiftedBetaGeometricModel: Sendable {
  public init() {}

  public func fit(_ lifetimes: ContractLifetimes) throws -> FittedShiftedBetaGeometric {
    guard lifetimes.customers > 0 else { throw BuyTillYouDieError.noCustomers }
    guard !lifetimes.churnedIn.isEmpty else { throw BuyTillYouDieError.noChurn(customers: lifetimes.customers) }
    let outcome = LogParameterNewton().maximise(
      { FittedShiftedBetaGeometric.logLikelihood(parameters: $0, lifetimes) }, from: [1, 1])
    guard outcome.converged else {
      throw BuyTillYouDieError.notConverged(model: "shifted-beta-geometric", iterations: outcome.iterations)
    }
    return FittedShiftedBetaGeometric(
      alpha: outcome.parameters[0], beta: outcome.parameters[1], logLikelihood: outcome.logLikelihood,
      customers: lifetimes.customers, iterations: outcome.iterations)
  }
}

/// Lifetimes in whole periods, counted: how many customers churned in
/// period t (t ≥ 1), and how many were still subscribed after n periods.
public struct ContractLifetimes: Sendable, Equatable {
  /// Period t → customers who left in it.
  public var churnedIn: [Int: Int] = [:]
  /// n → customers still subscribed after n whole periods (n ≥ 0).
  public var aliveAfter: [Int: Int] = [:]

  public init(churnedIn: [Int: Int] = [:], aliveAfter: [Int: Int] = [:]) {
    self.churnedIn = churnedIn
    self.aliveAfter = aliveAfter
  }

  public var customers: Int { churnedIn.values.reduce(0, +) + aliveAfter.values.reduce(0, +) }
}

/// A fitted shifted-beta-geometric model and what it implies.
public struct FittedShiftedBetaGeometric: Sendable, Codable, Equatable {
  public let alpha: Double
  public let beta: Double
  public let logLikelihood: Double
  public let customers: Int
  public let iterations: Int

  /// ln S(t), the log of the share still subscribed after t periods:
  /// B(α, β + t) / B(α, β).
  public func logSurvival(_ t: Double) -> Double { logBeta(alpha, beta + t) - logBeta(alpha, beta) }

  /// The probability that a customer who has stayed `n` periods renews once
  /// more: (β + n) / (α + β + n), rising with n.
  public func renewalProbability(after n: Double) -> Double { (beta + n) / (alpha + beta + n) }

  /// Fader & Hardie's (2010) discounted expected residual lifetime of a
  /// customer who has stayed `n` periods: the expected number of further
  /// renewals, the next undiscounted and each later one discounted by `d`
  /// per period — Σₖ≥₁ S(n + k)/S(n) / (1 + d)^(k−1). Finite for d > 0;
  /// for d = 0 only when α > 1 (nil otherwise: the mean lifetime is
  /// infinite).
  public func discountedExpectedResidualLifetime(after n: Double, discountRate d: Double) -> Double? {
    if d <= 0 {
      guard alpha > 1 else { return nil }
      return (beta + n) / (alpha - 1)  // E[remaining renewals | stayed n]
    }
    var term = 1.0
    var total = 0.0
    for k in 1...10_000_000 {
      term *= (beta + n + Double(k) - 1) / (alpha + beta + n + Double(k) - 1)
      if k > 1 { term /= 1 + d }
      total += term
      if term <= 1e-17 * total { return total }
    }
    return nil
  }

  /// The total log-likelihood and its gradient in (α, β).
  static func logLikelihood(
    parameters p: [Double], _ lifetimes: ContractLifetimes
  ) -> (
    value: Double, gradient: [Double]
  ) {
    let (a, b) = (p[0], p[1])
    let psiAB = digamma(a + b)
    var value = 0.0
    var g = [0.0, 0.0]
    let base = logBeta(a, b)
    for (t, count) in lifetimes.churnedIn {
      // P(T = t) = B(α + 1, β + t − 1) / B(α, β).
      let n = Double(count), tt = Double(t)
      value += n * (logBeta(a + 1, b + tt - 1) - base)
      let psiTotal = digamma(a + b + tt)
      g[0] += n * (digamma(a + 1) - psiTotal - digamma(a) + psiAB)
      g[1] += n * (digamma(b + tt - 1) - psiTotal - digamma(b) + psiAB)
    }
    for (t, count) in lifetimes.aliveAfter where t > 0 {
      // S(t) = B(α, β + t) / B(α, β).
      let n = Double(count), tt = Double(t)
      value += n * (logBeta(a, b + tt) - base)
      let psiTotal = digamma(a + b + tt)
      g[0] += n * (digamma(a) - psiTotal - digamma(a) + psiAB)
      g[1] += n * (digamma(b + tt) - psiTotal - digamma(b) + psiAB)
    }
    return (value, g)
  }
}

/// ln B(a, b).
func logBeta(_ a: Double, _ b: Double) -> Double { logGamma(a) + logGamma(b) - logGamma(a + b) }
