import Foundation
import Testing

@testable import ChurnModels

/// The special functions and the buy-till-you-die log-likelihoods' analytic
/// gradients, against independent computations.
struct BuyTillYouDieTests {
  /// The exponential rate λ's maximum likelihood: θ = ln λ has information
  /// n at the maximum (−∂²ℓ/∂θ² = λ Σx = n), so its variance is 1/n.
  @Test func covarianceIsTheInverseInformation() throws {
    let x = [0.3, 1.7, 0.9, 2.4, 0.05, 1.1, 0.6]
    let (n, sum) = (Double(x.count), x.reduce(0, +))
    let outcome = LogParameterNewton().maximise({ p in (n * log(p[0]) - p[0] * sum, [n / p[0] - sum]) }, from: [1])
    #expect(outcome.converged)
    #expect(abs(outcome.parameters[0] / (n / sum) - 1) < 1e-8)
    let variance = try #require(outcome.logCovariance)[0][0]
    #expect(abs(variance * n - 1) < 1e-6)
  }

  /// Gamma-Gamma's mean spend without repeat purchases, p v / (q − 1): its
  /// delta-method variance against the analytic gradient in the logs.
  @Test func deltaMethodMatchesTheAnalyticGradient() throws {
    let covariance = [[0.004, -0.001, -0.005], [-0.001, 0.0006, 0.0018], [-0.005, 0.0018, 0.008]]
    var model = FittedGammaGamma(p: 6.3, q: 3.6, v: 15, logLikelihood: .nan, customers: 0, iterations: 0)
    model.logCovariance = covariance
    let (p, q, v) = (6.3, 3.6, 15.0)
    let gradient = [p * v / (q - 1), -p * v * q / ((q - 1) * (q - 1)), p * v / (q - 1)]
    var expected = 0.0
    for i in 0..<3 { for j in 0..<3 { expected += gradient[i] * covariance[i][j] * gradient[j] } }
    let variance = try #require(
      deltaMethodVariance(model, of: { $0.expectedAverageSpend(frequency: 0, monetaryValue: 0) }))
    #expect(abs(variance / expected - 1) < 1e-8)
    #expect(abs(model.standardErrors![1] - q * sqrt(0.0006)) < 1e-12)
  }

  /// CLV's standard error: none without the fits' covariances (a spec that
  /// gives its parameters), and with them the delta method, the same for
  /// a history met twice (the second from the cache).
  @Test func clvStandardErrorsNeedCovariances() throws {
    var purchases = FittedBGNBD(
      r: 0.25, alpha: 33, a: 0.72, b: 2.2, commonDropout: nil, logLikelihood: .nan, customers: 0, iterations: 0)
    var spend = FittedGammaGamma(p: 6.3, q: 3.6, v: 15, logLikelihood: .nan, customers: 0, iterations: 0)
    let discounted: ClvStandardErrors<FittedBGNBD>.DiscountedPurchases = { model, x, tx, T in
      discountedExpectedPurchases(months: 12, monthlyDiscountRate: 0.01) {
        model.expectedPurchases(days: $0, frequency: x, recency: tx, age: T, radius: 0.999_999)
      }
    }
    var none = ClvStandardErrors(purchases: purchases, spend: spend, discounted: discounted)
    let withoutCovariance = none.standardError(frequency: 2, recency: 30, age: 200, monetaryValue: 20)
    let withoutAgain = none.standardError(frequency: 2, recency: 30, age: 200, monetaryValue: 20)
    #expect(withoutCovariance == nil && withoutAgain == nil)
    purchases.logCovariance = [
      [0.0003, 0.0002, 0, 0], [0.0002, 0.0008, 0, 0], [0, 0, 0.005, 0.004], [0, 0, 0.004, 0.008],
    ]
    spend.logCovariance = [[0.004, -0.001, -0.005], [-0.001, 0.0006, 0.0018], [-0.005, 0.0018, 0.008]]
    var errors = ClvStandardErrors(purchases: purchases, spend: spend, discounted: discounted)
    let first = errors.standardError(frequency: 2, recency: 30, age: 200, monetaryValue: 20)
    let again = errors.standardError(frequency: 2, recency: 30, age: 200, monetaryValue: 20)
    #expect(first != nil && first! > 0 && first == again)
  }

  @Test func digammaMatchesKnownValues() {
    let eulerGamma = 0.577_215_664_901_532_9
    #expect(abs(digamma(1) + eulerGamma) < 5e-14)
    #expect(abs(digamma(0.5) + eulerGamma + 2 * log(2.0)) < 5e-14)
    #expect(abs(digamma(10) - (digamma(9) + 1.0 / 9)) < 1e-14)
    // The derivative of ln Γ, by central differences.
    for x in [0.05, 0.7, 3.3, 12.0, 250.0] {
      let h = 1e-5 * x
      #expect(abs(digamma(x) - (logGamma(x + h) - logGamma(x - h)) / (2 * h)) < 1e-6 * max(1, abs(digamma(x))))
    }
    #expect(digamma(0).isNaN && digamma(-1).isNaN)
  }

  @Test func hypergeometricMatchesClosedForms() throws {
    // ₂F₁(1, 1; 2; z) = −ln(1 − z)/z; ₂F₁(a, b; b; z) = (1 − z)^−a.
    for z in [0.1, 0.5, 0.9] {
      #expect(abs(try #require(hypergeometric2F1(1, 1, 2, z)) - -log(1 - z) / z) < 1e-13)
      #expect(abs(try #require(hypergeometric2F1(0.3, 2.5, 2.5, z)) - pow(1 - z, -0.3)) < 1e-13)
    }
    #expect(hypergeometric2F1(1, 1, 2, 0.99) == nil)
  }

  /// The analytic gradients against central differences of the
  /// log-likelihoods, at parameters away from the optimum.
  /// Pareto/NBD's A₀ is (r+s+x) ∫ from tₓ to T of (α+y)^−(r+x) (β+y)^−(s+1)
  /// dy (Fader, Hardie & Lee 2005): its ₂F₁ form, in both branches (α ≥ β
  /// and α < β) and across z near 1, against Simpson's rule on that integral.
  @Test func paretoNBDTermMatchesItsIntegral() throws {
    func integral(
      _ r: Double, _ alpha: Double, _ s: Double, _ beta: Double, _ x: Double, _ tx: Double, _ T: Double
    )
      -> Double
    {
      let n = 20_000
      let h = (T - tx) / Double(n)
      var sum = 0.0
      for i in 0...n {
        let y = tx + Double(i) * h
        let weight: Double = i == 0 || i == n ? 1 : (i % 2 == 1 ? 4 : 2)
        sum += weight * pow(alpha + y, -(r + x)) * pow(beta + y, -(s + 1))
      }
      return (r + s + x) * sum * h / 3
    }
    for (r, alpha, s, beta) in [(0.6, 81.0, 0.52, 62.0), (0.6, 40.0, 1.7, 95.0), (2.5, 300.0, 0.3, 0.5)] {
      for (x, tx, T) in [(0.0, 0.0, 120.0), (3.0, 40.0, 200.0), (12.0, 199.0, 200.0)] {
        let a0 = try #require(FittedParetoNBD.logA0(r: r, alpha: alpha, s: s, beta: beta, x: x, tx: tx, T: T))
        let direct = integral(r, alpha, s, beta, x, tx, T)
        #expect(abs(exp(a0) / direct - 1) < 1e-8, "r \(r) α \(alpha) s \(s) β \(beta) x \(x) tₓ \(tx) T \(T)")
      }
    }
    // Nothing between tₓ = T: A₀ = 0, and P(alive) = 1.
    let fit = FittedParetoNBD(r: 0.6, alpha: 81, s: 0.52, beta: 62, logLikelihood: 0, customers: 1, iterations: 0)
    #expect(FittedParetoNBD.logA0(r: 0.6, alpha: 81, s: 0.52, beta: 62, x: 2, tx: 50, T: 50) == -.infinity)
    #expect(fit.probabilityAlive(frequency: 2, recency: 50, age: 50) == 1)
  }

  @Test func gradientsMatchFiniteDifferences() {
    let x: [Double] = [0, 1, 3, 0, 7, 2], tx: [Double] = [0, 20, 50, 0, 80, 33], T: [Double] = [40, 60, 90, 12, 95, 70]
    let point = [0.4, 8.0, 0.7, 2.5]
    let (_, g) = FittedBGNBD.logLikelihood(parameters: point, x: x, tx: tx, T: T)
    for j in 0..<4 {
      var up = point, down = point
      up[j] *= 1 + 1e-6
      down[j] *= 1 - 1e-6
      let numeric =
        (FittedBGNBD.logLikelihood(parameters: up, x: x, tx: tx, T: T).value
          - FittedBGNBD.logLikelihood(parameters: down, x: x, tx: tx, T: T).value) / (up[j] - down[j])
      #expect(abs(g[j] - numeric) < 1e-5 * max(1, abs(numeric)), "BG/NBD parameter \(j): \(g[j]) vs \(numeric)")
    }
    let m: [Double] = [12.5, 40, 7.25, 19]
    let spend = [2.0, 5.0, 1.5]
    let (_, h) = FittedGammaGamma.logLikelihood(parameters: spend, x: [1, 3, 7, 2], m: m)
    for j in 0..<3 {
      var up = spend, down = spend
      up[j] *= 1 + 1e-6
      down[j] *= 1 - 1e-6
      let numeric =
        (FittedGammaGamma.logLikelihood(parameters: up, x: [1, 3, 7, 2], m: m).value
          - FittedGammaGamma.logLikelihood(parameters: down, x: [1, 3, 7, 2], m: m).value) / (up[j] - down[j])
      #expect(abs(h[j] - numeric) < 1e-5 * max(1, abs(numeric)), "Gamma-Gamma parameter \(j): \(h[j]) vs \(numeric)")
    }
  }

  /// The shifted-beta-geometric log-likelihood's gradient against central
  /// differences, and its survival and renewal formulas against each other.
  @Test func shiftedBetaGeometricGradientAndFormulas() throws {
    let lifetimes = ContractLifetimes(churnedIn: [1: 131, 2: 126, 3: 90, 7: 24], aliveAfter: [0: 40, 3: 12, 7: 491])
    let point = [0.8, 2.7]
    let (_, g) = FittedShiftedBetaGeometric.logLikelihood(parameters: point, lifetimes)
    for j in 0..<2 {
      var up = point, down = point
      up[j] *= 1 + 1e-6
      down[j] *= 1 - 1e-6
      let numeric =
        (FittedShiftedBetaGeometric.logLikelihood(parameters: up, lifetimes).value
          - FittedShiftedBetaGeometric.logLikelihood(parameters: down, lifetimes).value) / (up[j] - down[j])
      #expect(abs(g[j] - numeric) < 1e-5 * max(1, abs(numeric)), "parameter \(j): \(g[j]) vs \(numeric)")
    }
    let m = FittedShiftedBetaGeometric(alpha: 0.8, beta: 2.7, logLikelihood: 0, customers: 0, iterations: 0)
    for n in [0.0, 1, 5, 30] {
      // S(n + 1) / S(n) is the renewal probability after n periods.
      #expect(abs(exp(m.logSurvival(n + 1) - m.logSurvival(n)) - m.renewalProbability(after: n)) < 1e-13)
      // Without discounting the residual lifetime is infinite for α ≤ 1 ...
      #expect(m.discountedExpectedResidualLifetime(after: n, discountRate: 0) == nil)
    }
    // ... and (β + n)/(α − 1) for α > 1; a small discount rate approaches it.
    let long = FittedShiftedBetaGeometric(alpha: 2.5, beta: 4, logLikelihood: 0, customers: 0, iterations: 0)
    let exact = try #require(long.discountedExpectedResidualLifetime(after: 3, discountRate: 0))
    #expect(abs(exact - 7 / 1.5) < 1e-12)
    let near = try #require(long.discountedExpectedResidualLifetime(after: 3, discountRate: 1e-6))
    #expect(abs(near - exact) < 1e-3 && near < exact)
  }

  /// The common-dropout limit (a, b → ∞ with a/(a + b) = π) agrees with
  /// the general BG/NBD formulas at very large a and b: log-likelihood,
  /// P(alive) and expected purchases.
  @Test func commonDropoutIsTheLimitOfBetaDropout() throws {
    let x: [Double] = [0, 1, 3, 0, 7, 2], tx: [Double] = [0, 20, 50, 0, 80, 33], T: [Double] = [40, 60, 90, 12, 95, 70]
    let (r, alpha, pi, n) = (0.8, 25.0, 0.04, 1e9)
    let general = FittedBGNBD.logLikelihood(parameters: [r, alpha, pi * n, (1 - pi) * n], x: x, tx: tx, T: T).value
    let limit = FittedBGNBD.commonDropoutLogLikelihood(parameters: [r, alpha, pi / (1 - pi)], x: x, tx: tx, T: T).value
    #expect(abs(general - limit) < 1e-5 * abs(limit), "\(general) vs \(limit)")
    let beta = FittedBGNBD(
      r: r, alpha: alpha, a: pi * 1e6, b: (1 - pi) * 1e6, commonDropout: nil, logLikelihood: 0, customers: 0,
      iterations: 0)
    let common = FittedBGNBD(
      r: r, alpha: alpha, a: nil, b: nil, commonDropout: pi, logLikelihood: 0, customers: 0, iterations: 0)
    for i in x.indices {
      let p1 = beta.probabilityAlive(frequency: x[i], recency: tx[i], age: T[i])
      let p2 = common.probabilityAlive(frequency: x[i], recency: tx[i], age: T[i])
      #expect(abs(p1 - p2) < 1e-5)
      let e1 = try #require(beta.expectedPurchases(days: 60, frequency: x[i], recency: tx[i], age: T[i]))
      let e2 = try #require(common.expectedPurchases(days: 60, frequency: x[i], recency: tx[i], age: T[i]))
      #expect(abs(e1 - e2) < 1e-4 * e2, "customer \(i): \(e1) vs \(e2)")
    }
  }
}
