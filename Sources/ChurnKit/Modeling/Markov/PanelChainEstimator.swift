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
/// summed over all gaps (identical (a, b, g) gaps are computed once); the
/// M-step sets P_ij = (E[n_ij] + α) / Σ_j (E[n_ij] + α). Days after a
/// customer's last observation carry no information and are left out (the
/// observation process is taken as ignorable). The absorbing row stays fixed.
struct PanelChainEstimator {
  let states: Int
  let absorbing: Int
  var alpha = 1e-6
  var iterations = 2000
  var tolerance = 1e-10

  /// Distinct gaps with how often they occur.
  struct Gap: Hashable {
    let from: Int
    let to: Int
    let days: Int
  }

  func estimate(gaps: [Gap: Int], start: [[Double]]) -> (p: [[Double]], iterations: Int) {
    let k = states
    var p = start
    let maxGap = gaps.keys.map(\.days).max() ?? 1
    for iteration in 1...iterations {
      // Powers P^0 … P^maxGap, flattened k×k.
      var powers = [[Double]](repeating: [], count: maxGap + 1)
      var identity = [Double](repeating: 0, count: k * k)
      for i in 0..<k { identity[i * k + i] = 1 }
      powers[0] = identity
      let flat = p.flatMap { $0 }
      for g in 1...maxGap { powers[g] = multiply(powers[g - 1], flat, k) }
      var expected = [Double](repeating: 0, count: k * k)
      for (gap, count) in gaps {
        let a = gap.from, b = gap.to, g = gap.days
        let total = powers[g][a * k + b]
        guard total > 0 else { continue }
        let weight = Double(count) / total
        for t in 0..<g {
          let left = powers[t]
          let right = powers[g - 1 - t]
          for i in 0..<k where left[a * k + i] > 0 {
            let li = left[a * k + i] * weight
            for j in 0..<k {
              let pij = flat[i * k + j]
              if pij > 0 { expected[i * k + j] += li * pij * right[j * k + b] }
            }
          }
        }
      }
      var next = p
      var change = 0.0
      for i in 0..<k where i != absorbing {
        let row = (0..<k).map { expected[i * k + $0] + alpha }
        let sum = row.reduce(0, +)
        for j in 0..<k {
          let v = row[j] / sum
          change = max(change, abs(v - p[i][j]))
          next[i][j] = v
        }
      }
      p = next
      if change < tolerance { return (p, iteration) }
    }
    return (p, iterations)
  }

  private func multiply(_ a: [Double], _ b: [Double], _ k: Int) -> [Double] {
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
