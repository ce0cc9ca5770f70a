import ChurnIO
import ChurnTestSupport
import LinearAlgebra
import Testing

/// Cholesky and LU checked against matrices whose factors or inverses are
/// known in closed form.
struct FactorizationTests {
  /// The n × n Hilbert matrix H(i, j) = 1 / (i + j − 1), notoriously
  /// ill-conditioned (condition number ≈ 1.5e7 at n = 6).
  func hilbert(_ n: Int) -> Matrix {
    var h = Matrix(rows: n, columns: n)
    for i in 0..<n { for j in 0..<n { h[i, j] = 1 / Double(i + j + 1) } }
    return h
  }

  func binomial(_ n: Int, _ k: Int) -> Double {
    if k < 0 || k > n { return 0 }
    var r = 1.0
    for t in 0..<k { r = r * Double(n - t) / Double(t + 1) }
    return r.rounded()
  }

  /// The exact integer inverse of the Hilbert matrix (Choi, "Tricks or Treats
  /// with the Hilbert Matrix", Amer. Math. Monthly 90, 1983), 1-based:
  /// (−1)^(i+j) (i+j−1) C(n+i−1, n−j) C(n+j−1, n−i) C(i+j−2, i−1)².
  func hilbertInverse(_ n: Int) -> Matrix {
    var inv = Matrix(rows: n, columns: n)
    for i in 1...n {
      for j in 1...n {
        let sign: Double = (i + j) % 2 == 0 ? 1 : -1
        let c = binomial(i + j - 2, i - 1)
        inv[i - 1, j - 1] =
          sign * Double(i + j - 1) * binomial(n + i - 1, n - j)
          * binomial(n + j - 1, n - i) * c * c
      }
    }
    return inv
  }

  @Test func choleskyRecoversAKnownFactor() throws {
    var rng = SplitMix64(seed: 11)
    let n = 6
    var l = Matrix(rows: n, columns: n)
    for j in 0..<n {
      l[j, j] = 1 + Double.random(in: 0..<1, using: &rng)
      for i in (j + 1)..<n { l[i, j] = Double.random(in: -1..<1, using: &rng) }
    }
    let a = NaiveLinearAlgebra.product(l, l.transposed())
    let chol = try Cholesky(a)
    #expect(maxRelativeDifference(chol.lower, l) < 1e-13)
    let logDet = (0..<n).reduce(0.0) { $0 + 2 * log(l[$1, $1]) }
    #expect(chol.logDeterminant.isApproximatelyEqual(to: logDet, relativeTolerance: 1e-12))
  }

  @Test func choleskySolvesAndInverts() throws {
    let a = Matrix(rowMajor: [[4, 2], [2, 3]])
    let chol = try Cholesky(a)
    let x = try chol.solve([2, 1])
    #expect(maxRelativeDifference(x, [0.5, 0]) < 1e-15)
    // [[4,2],[2,3]]⁻¹ = [[3,−2],[−2,4]] / 8
    #expect(maxRelativeDifference(try chol.inverse(), Matrix(rowMajor: [[0.375, -0.25], [-0.25, 0.5]])) < 1e-15)
  }

  /// On H₆ (condition ≈ 1.5e7) about 16 − 7 = 9 digits survive.
  @Test(arguments: [3, 4, 5, 6])
  func choleskyInvertsHilbert(n: Int) throws {
    let inverse = try Cholesky(hilbert(n)).inverse()
    #expect(maxRelativeDifference(inverse, hilbertInverse(n)) < 1e-7)
  }

  @Test(arguments: [3, 5, 6])
  func luInvertsHilbert(n: Int) throws {
    #expect(maxRelativeDifference(try hilbert(n).inverse(), hilbertInverse(n)) < 1e-7)
  }

  @Test func choleskyRejectsIndefiniteAndSemidefinite() {
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
      try Cholesky(Matrix(rowMajor: [[1, 2], [2, 1]]))
    }
    // Rank-one X'X from two identical columns: the collinearity the churn
    // model must diagnose.
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 2)) {
      try Cholesky(Matrix(rowMajor: [[1, 1], [1, 1]]))
    }
    #expect(throws: LinearAlgebraError.notPositiveDefinite(leadingMinor: 1)) {
      try Cholesky(Matrix(rowMajor: [[-1]]))
    }
  }

  @Test func luSolvesAKnownSystem() throws {
    var rng = SplitMix64(seed: 12)
    let a = NaiveLinearAlgebra.random(rows: 8, columns: 8, using: &rng)
    let xTrue = (0..<8).map { Double($0) - 3.5 }
    let b = NaiveLinearAlgebra.product(a, Matrix(rows: 8, columns: 1, columnMajor: xTrue))
    let x = try a.solve(b.storage)
    #expect(maxRelativeDifference(x, xTrue) < 1e-12)
  }

  @Test func luRejectsSingularMatrices() {
    #expect(throws: LinearAlgebraError.singular(pivot: 2)) {
      try Matrix(rowMajor: [[1, 2], [2, 4]]).solve([1, 1])
    }
    // Singular in exact arithmetic but not in floating point: caught by the
    // condition estimate rather than a zero pivot.
    let nearlySingular = Matrix(rowMajor: [[1, 2, 3], [4, 5, 6], [7, 8, 9]])
    #expect {
      try nearlySingular.solve([1, 1, 1])
    } throws: { error in
      guard let e = error as? LinearAlgebraError else { return false }
      switch e {
      case .singular, .numericallySingular: return true
      default: return false
      }
    }
  }

  @Test func shapeErrorsAreTyped() {
    #expect(throws: LinearAlgebraError.self) { try Matrix(rows: 2, columns: 3).solve([1, 2]) }
    #expect(throws: LinearAlgebraError.self) { try Cholesky(Matrix(rows: 2, columns: 3)) }
    #expect(
      LinearAlgebraError.notPositiveDefinite(leadingMinor: 3).description
        == "matrix is not positive definite (leading minor of order 3 is not positive)")
  }
}

#if canImport(Glibc)
  import Glibc
#endif
