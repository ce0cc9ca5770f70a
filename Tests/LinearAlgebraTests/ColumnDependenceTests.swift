import ChurnIO
import ChurnTestSupport
import LinearAlgebra
import Testing

/// The ordered scan for aliased columns, checked against designs whose
/// dependencies are known by construction and against LAPACK's pivoted
/// Cholesky (`dpstrf`) for the rank.
struct ColumnDependenceTests {
  /// ZᵀZ of a column-major design.
  func gram(_ z: Matrix) -> Matrix { z.multiplied(by: z, transposeSelf: true) }

  /// A random n × p design with an intercept column first.
  func design(rows n: Int, columns p: Int, seed: UInt64) -> Matrix {
    var rng = SplitMix64(seed: seed)
    var z = Matrix(rows: n, columns: p + 1)
    for i in 0..<n {
      z[i, 0] = 1
      for j in 1...p { z[i, j] = rng.nextUniform() * 4 - 2 }
    }
    return z
  }

  /// Appends a column built from the others.
  func appending(_ z: Matrix, _ column: (Int) -> Double) -> Matrix {
    Matrix(rows: z.rows, columns: z.columns + 1, columnMajor: z.storage + (0..<z.rows).map(column))
  }

  @Test func findsALaterColumnThatIsASumOfEarlierOnes() throws {
    var z = design(rows: 200, columns: 4, seed: 3)
    // Column 5 = col1 + col2 − 3·col4 + 7 (the intercept), column 6 is new.
    z = appending(z) { z[$0, 1] + z[$0, 2] - 3 * z[$0, 4] + 7 }
    let fresh = design(rows: 200, columns: 1, seed: 9)
    z = appending(z) { fresh[$0, 1] }
    let d = ColumnDependence(gram: gram(z))
    #expect(d.independent == [0, 1, 2, 3, 4, 6])
    #expect(d.dependent.map(\.column) == [5])
    let shares = Dictionary(uniqueKeysWithValues: d.dependent[0].combination.map { ($0.column, $0.coefficient) })
    for (k, expected) in [(0, 7.0), (1, 1.0), (2, 1.0), (3, 0.0), (4, -3.0)] {
      #expect(abs(shares[k]! - expected) < 1e-9, "share of column \(k): \(shares[k]!)")
    }
    #expect(d.dependent[0].residualShare < 1e-12)
  }

  @Test func keepsTheEarlierOfTwoEqualColumnsAndFlagsAZeroColumn() {
    var z = design(rows: 50, columns: 2, seed: 5)
    z = appending(z) { z[$0, 2] }  // a copy of column 2
    z = appending(z) { _ in 0 }  // zero
    let d = ColumnDependence(gram: gram(z))
    #expect(d.independent == [0, 1, 2])
    #expect(d.dependent.map(\.column) == [3, 4])
    #expect(d.dependent[1].combination.isEmpty)
  }

  @Test func highlyCorrelatedButNotAliasedColumnsAreKept() {
    var z = design(rows: 400, columns: 2, seed: 8)
    let noise = design(rows: 400, columns: 1, seed: 21)
    z = appending(z) { z[$0, 1] + 1e-3 * noise[$0, 1] }  // R² ≈ 1 − 1e-7
    let d = ColumnDependence(gram: gram(z))
    #expect(d.independent == [0, 1, 2, 3])
  }

  @Test func rankAgreesWithLAPACKsPivotedCholesky() throws {
    var rng = SplitMix64(seed: 77)
    for trial in 0..<20 {
      var z = design(rows: 120, columns: 6, seed: UInt64(trial))
      let extra = Int(rng.next() % 4)
      for _ in 0..<extra {
        let a = Int(rng.next() % UInt64(z.columns)), b = Int(rng.next() % UInt64(z.columns))
        let ca = rng.nextUniform() * 2 - 1, cb = rng.nextUniform() * 2 - 1
        let base = z
        z = appending(z) { ca * base[$0, a] + cb * base[$0, b] }
      }
      let g = gram(z)
      let lapack = try PivotedCholesky(g, tolerance: 1e-10 * (0..<g.rows).map { g[$0, $0] }.max()!)
      let ordered = ColumnDependence(gram: g)
      #expect(ordered.independent.count == lapack.rank, "trial \(trial)")
      #expect(ordered.independent.count == 7, "trial \(trial)")
    }
  }

  @Test func selectingColumnsKeepsTheirOrder() {
    let m = Matrix(rowMajor: [[1, 2, 3], [4, 5, 6]])
    #expect(m.selectingColumns([2, 0]) == Matrix(rowMajor: [[3, 1], [6, 4]]))
  }
}
