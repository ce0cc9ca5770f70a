import Foundation

/// The chi-square distribution, for likelihood-ratio tests.
///
/// ```swift
/// ChiSquareDistribution(degreesOfFreedom: 2).survival(5.991)  // ≈ 0.05
/// ```
public struct ChiSquareDistribution: Sendable {
  public let degreesOfFreedom: Double

  public init(degreesOfFreedom: Double) { self.degreesOfFreedom = degreesOfFreedom }

  /// P(X > x): the regularised upper incomplete gamma Q(k/2, x/2).
  public func survival(_ x: Double) -> Double {
    guard x > 0 else { return 1 }
    guard x.isFinite else { return 0 }
    return Self.upperRegularizedGamma(a: degreesOfFreedom / 2, x: x / 2)
  }

  /// Q(a, x) = Γ(a, x) / Γ(a): by the power series of P for x < a + 1,
  /// else by the continued fraction of Q (modified Lentz), each to full
  /// double precision.
  static func upperRegularizedGamma(a: Double, x: Double) -> Double {
    let logPrefix = a * log(x) - x - lgamma(a)
    if x < a + 1 {
      var term = 1 / a
      var sum = term
      var n = a
      for _ in 0..<10_000 {
        n += 1
        term *= x / n
        sum += term
        if abs(term) < abs(sum) * 1e-17 { break }
      }
      return max(0, 1 - sum * exp(logPrefix))
    }
    let tiny = 1e-300
    var b = x + 1 - a
    var c = 1 / tiny
    var d = 1 / b
    var h = d
    for i in 1...10_000 {
      let an = -Double(i) * (Double(i) - a)
      b += 2
      d = an * d + b
      if abs(d) < tiny { d = tiny }
      c = b + an / c
      if abs(c) < tiny { c = tiny }
      d = 1 / d
      let delta = d * c
      h *= delta
      if abs(delta - 1) < 1e-17 { break }
    }
    return exp(logPrefix) * h
  }
}
