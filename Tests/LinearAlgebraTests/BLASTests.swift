import ChurnIO
import ChurnTestSupport
import LinearAlgebra
import Testing

/// BLAS products checked against textbook loops on random matrices.
struct BLASTests {
  /// BLAS sums in a different order from the loops; products of a few dozen
  /// terms of size ≤ 1 agree to a few ulps of the largest term.
  let tolerance = 1e-13

  @Test func dotMatchesLoop() {
    var rng = SplitMix64(seed: 1)
    let x = (0..<37).map { _ in Double.random(in: -1..<1, using: &rng) }
    let y = (0..<37).map { _ in Double.random(in: -1..<1, using: &rng) }
    let expected = zip(x, y).reduce(0) { $0 + $1.0 * $1.1 }
    #expect(dot(x, y).isApproximatelyEqual(to: expected, absoluteTolerance: tolerance))
    #expect(dot([], []) == 0)
    #expect(dot([1, 2, 3], [4, 5, 6]) == 32)
  }

  @Test(arguments: [false, true])
  func gemvMatchesLoop(transposed: Bool) {
    var rng = SplitMix64(seed: 2)
    let a = NaiveLinearAlgebra.random(rows: 7, columns: 5, using: &rng)
    let x = (0..<(transposed ? 7 : 5)).map { _ in Double.random(in: -1..<1, using: &rng) }
    let op = transposed ? a.transposed() : a
    let expected = NaiveLinearAlgebra.product(op, Matrix(rows: x.count, columns: 1, columnMajor: x))
    #expect(maxRelativeDifference(a.multiplied(by: x, transposed: transposed), expected.storage) < tolerance)
  }

  @Test func gemvAccumulatesWithAlphaAndBeta() {
    let a = Matrix(rowMajor: [[1, 2], [3, 4]])
    var y = [10.0, 20.0]
    a.multiply([1, 1], into: &y, alpha: 2, beta: 0.5)
    #expect(y == [11, 24])
  }

  @Test(arguments: [(false, false), (true, false), (false, true), (true, true)])
  func gemmMatchesLoop(transposeSelf: Bool, transposeOther: Bool) {
    var rng = SplitMix64(seed: 3)
    let a = NaiveLinearAlgebra.random(rows: transposeSelf ? 4 : 6, columns: transposeSelf ? 6 : 4, using: &rng)
    let b = NaiveLinearAlgebra.random(rows: transposeOther ? 3 : 4, columns: transposeOther ? 4 : 3, using: &rng)
    let expected = NaiveLinearAlgebra.product(
      transposeSelf ? a.transposed() : a, transposeOther ? b.transposed() : b)
    let actual = a.multiplied(by: b, transposeSelf: transposeSelf, transposeOther: transposeOther)
    #expect(actual.rows == 6 && actual.columns == 3)
    #expect(maxRelativeDifference(actual, expected) < tolerance)
  }

  @Test func gramMatchesLoopAndIsSymmetric() {
    var rng = SplitMix64(seed: 4)
    let x = NaiveLinearAlgebra.random(rows: 50, columns: 6, using: &rng)
    let expected = NaiveLinearAlgebra.product(x.transposed(), x)
    let g = x.gram()
    #expect(maxRelativeDifference(g, expected) < tolerance)
    #expect(g == g.transposed())
  }

  @Test func gramAccumulatedOverRowBlocksEqualsWhole() {
    var rng = SplitMix64(seed: 5)
    let x = NaiveLinearAlgebra.random(rows: 30, columns: 4, using: &rng)
    var c = Matrix(rows: 4, columns: 4)
    for start in stride(from: 0, to: 30, by: 8) {
      let end = min(start + 8, 30)
      var block = Matrix(rows: end - start, columns: 4)
      for j in 0..<4 { for i in start..<end { block[i - start, j] = x[i, j] } }
      Matrix.accumulateGram(of: block, into: &c, alpha: 1, beta: 1)
    }
    c.symmetrizeFromLower()
    #expect(maxRelativeDifference(c, x.gram()) < tolerance)
  }

  /// Σ wᵣ·xᵣxᵣᵀ over a range of a row-major table, against the sum written out.
  @Test func weightedOuterProductsEqualTheirSum() {
    var rng = SplitMix64(seed: 6)
    let p = 5
    let table = (0..<(12 * p)).map { _ in rng.nextUniform() * 4 - 2 }
    let weights = (0..<12).map { r in r % 4 == 0 ? 0 : rng.nextUniform() * 3 }
    var c = Matrix(rows: p, columns: p)
    Matrix.accumulateWeightedOuterProducts(rowMajor: table, rows: 2..<11, columns: p, weights: weights, into: &c)
    Matrix.accumulateWeightedOuterProducts(rowMajor: table, rows: 11..<12, columns: p, weights: weights, into: &c)
    for a in 0..<p {
      for b in 0...a {
        var expected = 0.0
        for r in 2..<12 { expected += weights[r] * table[r * p + a] * table[r * p + b] }
        #expect(abs(c[a, b] - expected) < 1e-12 * max(1, abs(expected)))
      }
    }
  }

  @Test func emptyShapesAreHandled() {
    let a = Matrix(rows: 0, columns: 3)
    #expect(a.multiplied(by: [], transposed: true) == [0, 0, 0])
    #expect(a.gram() == Matrix(rows: 3, columns: 3))
    #expect(Matrix(rows: 2, columns: 0).multiplied(by: Matrix(rows: 0, columns: 2)) == Matrix(rows: 2, columns: 2))
  }

  @Test func storageIsColumnMajor() {
    let a = Matrix(rowMajor: [[1, 2, 3], [4, 5, 6]])
    #expect(a.storage == [1, 4, 2, 5, 3, 6])
    #expect(a[1, 2] == 6)
    #expect(a.transposed().rowList == [[1, 4], [2, 5], [3, 6]])
  }

  @Test func reportsTheLoadedLibrary() throws {
    let library = BLASLibrary.loaded()
    #expect(["OpenBLAS", "reference BLAS"].contains(library.name))
    let path = try #require(library.blasPath)
    #expect(path.contains("openblas") == (library.name == "OpenBLAS"))
    #expect(library.lapackPath != nil)
  }
}
