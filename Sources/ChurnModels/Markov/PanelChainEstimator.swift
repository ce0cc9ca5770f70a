import ChurnIO
import Foundation

/// Maximum-likelihood estimation of a daily Markov chain from stages seen
/// only on some days (panel data), by expectation–maximisation.
///
/// Between two observations — stage a on day d, stage b on day d + g — the
/// customer's path is unseen; its likelihood is (P^g)[a, b]. The E-step
/// gives the expected number of i → j steps on that gap,
///
/// ```
/// E[n_ij] = Σ_{t=0}^{g−1} (P^t)[a,i] P[i,j] (P^{g−1−t})[j,b] / (P^g)[a,b],
/// ```
///
/// summed over all gaps; the M-step sets P_ij = (E[n_ij] + α) / Σ_j (E[n_ij] + α).
/// Days after a customer's last observation carry no information and are
/// left out (the observation process is taken as ignorable). The absorbing
/// row stays fixed.
///
/// ```swift
/// let fit = PanelChainEstimator(states: 3, absorbing: 2)
///   .estimate(gaps: [.init(from: 0, to: 1, days: 5): 40], start: p0)
/// ```
public struct PanelChainEstimator: Sendable {
  public let states: Int
  public let absorbing: Int
  /// Prior count added to every cell of a transient row in the M-step.
  public var alpha = 1e-6
  public var iterations = 2000
  /// Stop when no probability changes by more than this.
  public var tolerance = 1e-10

  public init(states: Int, absorbing: Int) {
    self.states = states
    self.absorbing = absorbing
  }

  /// Observed stage `from`, then stage `to` after `days` days.
  public struct Gap: Hashable, Sendable {
    public let from: Int
    public let to: Int
    public let days: Int
    public init(from: Int, to: Int, days: Int) {
      self.from = from
      self.to = to
      self.days = days
    }
  }

  /// Runs EM from `start` over the gaps (each with how often it occurs).
  public func estimate(gaps: [Gap: Int], start: [[Double]]) -> (p: [[Double]], iterations: Int) {
    let k = states
    var p = start
    let byDays = Self.group(gaps)
    for iteration in 1...iterations {
      let expected = Self.expectedTransitions(byDays: byDays, p: p.flatMap { $0 }, k: k)
      var change = 0.0
      for i in 0..<k where i != absorbing {
        let row = (0..<k).map { expected[i * k + $0] + alpha }
        let sum = row.reduce(0, +)
        for j in 0..<k {
          let v = row[j] / sum
          change = max(change, abs(v - p[i][j]))
          p[i][j] = v
        }
      }
      if change < tolerance { return (p, iteration) }
    }
    return (p, iterations)
  }

  /// The panel log-likelihood Σ count · log (P^g)[from, to] of the gaps
  /// under `p` (−∞ when a gap is impossible under `p`).
  public func logLikelihood(gaps: [Gap: Int], p: [[Double]]) -> Double {
    let k = states
    let byDays = Self.group(gaps)
    let flat = p.flatMap { $0 }
    var power = flat
    var total = 0.0
    for g in byDays.indices.dropFirst() {
      if g > 1 { power = Self.multiply(power, flat, k) }
      for gap in byDays[g] { total += gap.count * log(power[gap.from * k + gap.to]) }
    }
    return total
  }

  /// The E-step: expected i → j steps over all gaps under `p` (k×k row-major).
  ///
  /// With X = Pᵀ and W_g[a, b] = count(a, b, g) / (P^g)[a, b], the sum over
  /// gaps and steps is P ∘ Σ_g Σ_t X^t W_g X^{g−1−t}; two backward
  /// recurrences, B_m = W_m + B_{m+1} X and C_t = B_{t+1} + X C_{t+1} with
  /// C_0 the whole sum, make it two k×k products per gap length instead of
  /// one pass over every step of every gap.
  public func expectedTransitions(gaps: [Gap: Int], p: [[Double]]) -> [[Double]] {
    let flat = Self.expectedTransitions(byDays: Self.group(gaps), p: p.flatMap { $0 }, k: states)
    return (0..<states).map { Array(flat[($0 * states)..<(($0 + 1) * states)]) }
  }

  /// Gaps grouped by length: for each g in 1…G, the (from, to, count) triples.
  private static func group(_ gaps: [Gap: Int]) -> [[(from: Int, to: Int, count: Double)]] {
    let longest = gaps.keys.map(\.days).max() ?? 0
    var byDays = [[(from: Int, to: Int, count: Double)]](repeating: [], count: longest + 1)
    for (gap, count) in gaps.sorted(by: {
      ($0.key.days, $0.key.from, $0.key.to) < ($1.key.days, $1.key.from, $1.key.to)
    })
    where gap.days > 0 {
      byDays[gap.days].append((gap.from, gap.to, Double(count)))
    }
    return byDays
  }

  private static func expectedTransitions(
    byDays: [[(from: Int, to: Int, count: Double)]], p: [Double], k: Int
  ) -> [Double] {
    let longest = byDays.count - 1
    guard longest >= 1 else { return [Double](repeating: 0, count: k * k) }
    var x = [Double](repeating: 0, count: k * k)  // Pᵀ
    for i in 0..<k { for j in 0..<k { x[j * k + i] = p[i * k + j] } }
    // W_g from the powers P^1 … P^G.
    var w = [[Double]](repeating: [Double](repeating: 0, count: k * k), count: longest + 1)
    var power = p
    for g in 1...longest {
      if g > 1 { power = multiply(power, p, k) }
      for gap in byDays[g] {
        let total = power[gap.from * k + gap.to]
        if total > 0 { w[g][gap.from * k + gap.to] += gap.count / total }
      }
    }
    // B_m = W_m + B_{m+1} X, for m = G … 1.
    var b = [[Double]](repeating: [], count: longest + 2)
    b[longest] = w[longest]
    if longest > 1 {
      for m in stride(from: longest - 1, through: 1, by: -1) {
        b[m] = add(w[m], multiply(b[m + 1], x, k))
      }
    }
    // C_t = B_{t+1} + X C_{t+1}, for t = G − 1 … 0; C_0 is the sum.
    var c = b[longest]
    if longest > 1 {
      for t in stride(from: longest - 2, through: 0, by: -1) { c = add(b[t + 1], multiply(x, c, k)) }
    }
    for i in 0..<(k * k) { c[i] *= p[i] }
    return c
  }

  private static func add(_ a: [Double], _ b: [Double]) -> [Double] {
    var out = a
    for i in out.indices { out[i] += b[i] }
    return out
  }

  private static func multiply(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
    var c = [Double](repeating: 0, count: k * k)
    for i in 0..<k {
      for m in 0..<k where a[i * k + m] != 0 {
        let x = a[i * k + m]
        for j in 0..<k { c[i * k + j] += x * b[m * k + j] }
      }
    }
    return c
  }
}
