import ChurnIO
import ChurnTestSupport
import LinearAlgebra
import Testing

#if canImport(Glibc)
  import Glibc
#endif

/// e^A against closed forms, across every Padé degree and the scaling path.
struct MatrixExponentialTests {
  @Test(arguments: [0.001, 0.1, 0.5, 1.5, 4.0, 40.0])
  func rotationMatchesCosineAndSine(theta: Double) throws {
    let e = try Matrix(rowMajor: [[0, -theta], [theta, 0]]).exponential()
    let expected = Matrix(rowMajor: [[cos(theta), -sin(theta)], [sin(theta), cos(theta)]])
    #expect(maxRelativeDifference(e, expected) < 1e-13)
  }

  @Test func diagonalAndNilpotentCases() throws {
    let d = try Matrix(rowMajor: [[1, 0, 0], [0, -2, 0], [0, 0, 0.25]]).exponential()
    #expect(
      maxRelativeDifference(
        d.storage, Matrix(rowMajor: [[exp(1), 0, 0], [0, exp(-2), 0], [0, 0, exp(0.25)]]).storage) < 1e-14)
    let n = try Matrix(rowMajor: [[0, 3], [0, 0]]).exponential()
    #expect(maxRelativeDifference(n, Matrix(rowMajor: [[1, 3], [0, 1]])) < 1e-15)
  }

  /// For a generator (rows summing to 0, off-diagonals ≥ 0), e^{Qt} is a
  /// stochastic matrix and e^{Q(s+t)} = e^{Qs} e^{Qt}.
  @Test func generatorGivesStochasticMatricesWithTheSemigroupProperty() throws {
    var rng = SplitMix64(seed: 6)
    var q = Matrix(rows: 5, columns: 5)
    for i in 0..<5 {
      for j in 0..<5 where i != j { q[i, j] = Double.random(in: 0..<0.3, using: &rng) }
      q[i, i] = -(0..<5).filter { $0 != i }.reduce(0) { $0 + q[i, $1] }
    }
    for t in [0.5, 7.0, 90.0] {
      let p = try q.scaled(by: t).exponential()
      for i in 0..<5 {
        #expect(abs(p.row(i).reduce(0, +) - 1) < 1e-12)
        #expect(p.row(i).allSatisfy { $0 >= -1e-15 })
      }
    }
    let a = try q.scaled(by: 3).exponential()
    let b = try q.scaled(by: 11).exponential()
    let ab = try q.scaled(by: 14).exponential()
    #expect(maxRelativeDifference(a.multiplied(by: b), ab) < 1e-12)
  }
}
