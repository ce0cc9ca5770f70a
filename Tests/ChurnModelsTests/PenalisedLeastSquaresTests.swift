import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

/// Penalised least squares against independent computations: without a
/// penalty it is ordinary least squares (the normal equations solved
/// naively); with one, its solution meets the lasso's optimality
/// conditions on the standardised scale; a warm start changes nothing.
struct PenalisedLeastSquaresTests {
  func data(n: Int, seed: UInt64) -> (Matrix, [Double], [Double]) {
    var rng = SplitMix64(seed: seed)
    var x = Matrix(rows: n, columns: 4)
    var y = [Double](repeating: 0, count: n), w = [Double](repeating: 0, count: n)
    for i in 0..<n {
      for j in 0..<4 { x[i, j] = rng.nextUniform() * Double(j * 3 + 1) + Double(j) }
      y[i] = 0.5 + 1.5 * x[i, 0] - 0.2 * x[i, 2] + rng.nextUniform() - 0.5
      w[i] = 0.5 + rng.nextUniform()
    }
    return (x, y, w)
  }

  /// Solves a x = b by Gaussian elimination with partial pivoting.
  func gaussianElimination(_ a: [[Double]], _ b: [Double]) -> [Double] {
    var m = zip(a, b).map { $0 + [$1] }
    let n = b.count
    for c in 0..<n {
      let pivot = (c..<n).max { abs(m[$0][c]) < abs(m[$1][c]) }!
      m.swapAt(c, pivot)
      for r in (c + 1)..<n {
        let f = m[r][c] / m[c][c]
        for k in c...n { m[r][k] -= f * m[c][k] }
      }
    }
    var x = [Double](repeating: 0, count: n)
    for r in stride(from: n - 1, through: 0, by: -1) {
      x[r] = (m[r][n] - ((r + 1)..<n).reduce(0) { $0 + m[r][$1] * x[$1] }) / m[r][r]
    }
    return x
  }

  @Test func withoutPenaltyItIsWeightedLeastSquares() {
    let (x, y, w) = data(n: 300, seed: 4)
    let fit = PenalisedLeastSquares().fit(x, y, weights: w)
    // Naive normal equations with an intercept column.
    var a = [[Double]](repeating: [Double](repeating: 0, count: 5), count: 5)
    var b = [Double](repeating: 0, count: 5)
    for i in 0..<x.rows {
      let row = [1.0] + (0..<4).map { x[i, $0] }
      for r in 0..<5 {
        b[r] += w[i] * row[r] * y[i]
        for c in 0..<5 { a[r][c] += w[i] * row[r] * row[c] }
      }
    }
    let beta = gaussianElimination(a, b)
    #expect(abs(fit.intercept - beta[0]) < 1e-9)
    for j in 0..<4 { #expect(abs(fit.coefficients[j] - beta[j + 1]) < 1e-9) }
  }

  @Test func lassoSolutionMeetsTheOptimalityConditions() {
    let (x, y, w) = data(n: 400, seed: 9)
    let moments = PenalisedLeastSquares.Moments(x, y, weights: w)
    let lambda = 0.3 * moments.largestL1, ridge = 2.0
    let solver = PenalisedLeastSquares(l1: lambda, l2: ridge)
    let gamma = solver.solve(moments)
    // Gradient of the smooth part: −(c − G γ) + λ₂ γ; at a zero |·| ≤ λ₁, else = −λ₁ sign γ.
    for j in 0..<4 {
      var g = -moments.cross[j] + ridge * gamma[j]
      for k in 0..<4 { g += moments.gram[j, k] * gamma[k] }
      if gamma[j] == 0 {
        #expect(abs(g) <= lambda * (1 + 1e-9))
      } else {
        #expect(abs(g + lambda * (gamma[j] > 0 ? 1 : -1)) < 1e-7 * max(1, lambda))
      }
    }
    #expect(gamma.contains { $0 == 0 } && gamma.contains { $0 != 0 })
    #expect(PenalisedLeastSquares(l1: moments.largestL1 * 1.001).solve(moments).allSatisfy { $0 == 0 })
    let warm = solver.solve(moments, start: PenalisedLeastSquares(l1: lambda * 2, l2: ridge).solve(moments))
    for (u, v) in zip(gamma, warm) { #expect(abs(u - v) < 1e-9) }
  }
}
