import Foundation

/// The difference between two shares — successes among trials in group 1
/// and in group 0 — tested by the pooled two-proportion z-test with a
/// design effect for clustering: one customer's trials (their moves, their
/// sessions) are not independent, so the binomial variance under the null,
/// p̂(1 − p̂)(1/N₁ + 1/N₀), is multiplied by the design effect of the whole
/// series (its variance clustered by customer over its binomial variance,
/// at least 1) — the first-order Rao–Scott correction. With a design
/// effect of 1 it is statsmodels' `proportions_ztest([k1, k0], [n1, n0])`.
///
/// (A robust score or Wald test uses the tested group's own residuals:
/// when its share is near 0 or 1 those shrink, and a week with 1 success
/// in 59 against a 13% baseline came out at z = −4.5 instead of −2.7.)
public struct ClusteredShareDifference: Sendable, Codable, Equatable {
  public let share1: Double
  public let share0: Double
  public let trials1: Int
  public let trials0: Int
  /// Customers with a trial in group 1.
  public let customers1: Int
  /// (p₁ − p₀) over its standard error under the null.
  public let z: Double
  /// Two-sided.
  public let pValue: Double

  /// From the groups' totals (the design effect carries the clustering,
  /// so the test needs no more); nil when either group has fewer than `minimumTrials` trials, or
  /// there are fewer than 5 successes or 5 failures in all: no test worth
  /// making.
  public init?(
    trials1 n1: Int, successes1 k1: Int, customers1 g1: Int, trials0 n0: Int, successes0 k0: Int,
    designEffect: Double, minimumTrials: Int = 20
  ) {
    let (n, k) = (n1 + n0, k1 + k0)
    guard n1 >= minimumTrials, n0 >= minimumTrials, k >= 5, n - k >= 5 else { return nil }
    let p1 = Double(k1) / Double(n1)
    let p0 = Double(k0) / Double(n0)
    let pooled = Double(k) / Double(n)
    let variance = max(1, designEffect) * pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n0))
    let z = (p1 - p0) / variance.squareRoot()
    (share1, share0, trials1, trials0, customers1) = (p1, p0, n1, n0, g1)
    self.z = z
    pValue = erfc(abs(z) / 2.0.squareRoot())
  }

  /// The variance of a share clustered by customer (with the G/(G − 1)
  /// correction) over its binomial variance, at least 1: how much less a
  /// trial tells than an independent one. `trials` and `successes` per
  /// customer.
  public static func designEffect(_ perCustomer: some Collection<(trials: Int, successes: Int)>) -> Double {
    let n = perCustomer.reduce(0) { $0 + $1.trials }
    let k = perCustomer.reduce(0) { $0 + $1.successes }
    let g = Double(perCustomer.count)
    guard n > 0, k > 0, k < n, g > 1 else { return 1 }
    let p = Double(k) / Double(n)
    let clustered =
      perCustomer.reduce(0.0) { sum, c in
        let r = Double(c.successes) - p * Double(c.trials)
        return sum + r * r
      } / (Double(n) * Double(n)) * g / (g - 1)
    return max(1, clustered / (p * (1 - p) / Double(n)))
  }
}

/// Benjamini–Hochberg: the adjusted p-values (q-values) of a family of
/// tests; rejecting every test with q ≤ α controls the false discovery
/// rate at α for independent or positively dependent tests. Equals
/// statsmodels' `multipletests(p, method="fdr_bh")[1]`.
public func benjaminiHochberg(_ pValues: [Double]) -> [Double] {
  let m = pValues.count
  let order = pValues.indices.sorted { (pValues[$0], $0) < (pValues[$1], $1) }
  var adjusted = [Double](repeating: 1, count: m)
  var running = 1.0
  for rank in stride(from: m, through: 1, by: -1) {
    let i = order[rank - 1]
    running = min(running, pValues[i] * Double(m) / Double(rank))
    adjusted[i] = running
  }
  return adjusted
}
