import Foundation

/// ψ(x) = d/dx ln Γ(x), for x > 0: the recurrence ψ(x) = ψ(x + 1) − 1/x up
/// to x ≥ 10, then the asymptotic series (error below 1e-15 there). NaN for
/// x ≤ 0 or NaN, +∞ for +∞.
public func digamma(_ x: Double) -> Double {
  guard x > 0 else { return .nan }
  guard x.isFinite else { return x }
  var x = x
  var result = 0.0
  while x < 10 {
    result -= 1 / x
    x += 1
  }
  let inverse = 1 / x
  let inverse2 = inverse * inverse
  let series =
    inverse2
    * (1.0 / 12 - inverse2 * (1.0 / 120 - inverse2 * (1.0 / 252 - inverse2 * (1.0 / 240 - inverse2 * (1.0 / 132)))))
  return result + log(x) - 0.5 * inverse - series
}

/// ln Γ(x) for x > 0 (the C library's `lgamma`, named for the call sites).
public func logGamma(_ x: Double) -> Double { lgamma(x) }

/// The Gauss hypergeometric function ₂F₁(a, b; c; z) for 0 ≤ z ≤ 0.95 and
/// c > 0, by its power series summed until a term no longer changes the
/// sum (nil past `maxTerms`, or for z outside that range, where the series
/// converges too slowly to trust: a figure left out, not a wrong one).
public func hypergeometric2F1(
  _ a: Double, _ b: Double, _ c: Double, _ z: Double, radius: Double = 0.95, maxTerms: Int = 100_000
) -> Double? {
  guard z >= 0 && z <= radius && c > 0 else { return nil }
  var term = 1.0
  var sum = 1.0
  for n in 0..<maxTerms {
    let k = Double(n)
    term *= (a + k) * (b + k) / ((c + k) * (k + 1)) * z
    sum += term
    if abs(term) <= 1e-17 * abs(sum) { return sum }
  }
  return nil
}
