/// Which columns of a design are linear combinations of the columns before
/// them, read off its Gram matrix `G = ZᵀWZ` (positive semidefinite) by a
/// Cholesky factorisation that keeps the columns in their order and skips
/// each one whose remaining variance is negligible — the rule of R's `lm`
/// and `glm` (LINPACK `dqrdc2`'s limited pivoting): a later column is the
/// one reported as aliased, never an earlier one.
///
/// For each skipped column it gives the combination of kept columns it
/// equals, so a caller can say "x₃ = x₁ + x₂".
///
/// ```swift
/// // x₂ = x₀ + x₁
/// let d = ColumnDependence(gram: Matrix(rowMajor: [[1, 0, 1], [0, 1, 1], [1, 1, 2]]))
/// d.independent  // [0, 1]
/// d.dependent[0].combination  // [(0, 1.0), (1, 1.0)]
/// ```
public struct ColumnDependence: Sendable {
  /// One kept column's share in a dependent one.
  public struct Share: Sendable, Equatable {
    public let column: Int
    public let coefficient: Double
  }

  /// A column that is (numerically) a combination of kept columns.
  public struct Dependent: Sendable {
    public let column: Int
    /// Σ coefficient · column over kept columns reproduces it (empty: the
    /// column is zero).
    public let combination: [Share]
    /// Its variance left after the kept columns, relative to its own:
    /// 1 − R² of the column on the kept ones before it.
    public let residualShare: Double
  }

  /// Kept columns, in order.
  public let independent: [Int]
  /// Skipped columns, in order.
  public let dependent: [Dependent]

  /// Scans the columns of `gram` in order.
  ///
  /// - Parameter tolerance: a column is dependent when its variance left
  ///   after the kept columns is at most `tolerance` times its own (1 − R²
  ///   ≤ tolerance, a variance inflation factor of at least 1/tolerance).
  /// - Complexity: O(q³) for a q × q Gram matrix.
  public init(gram: Matrix, tolerance: Double = 1e-9) {
    precondition(gram.isSquare, "ColumnDependence: the Gram matrix must be square")
    let q = gram.rows
    var kept: [Int] = []
    var dependent: [Dependent] = []
    // Rows of L for the kept columns: factor[r] has r + 1 entries.
    var factor: [[Double]] = []
    for j in 0..<q {
      let own = gram[j, j]
      guard own > 0 else {
        dependent.append(Dependent(column: j, combination: [], residualShare: 0))
        continue
      }
      // v = L⁻¹ G[kept, j]; the variance left is G[j, j] − ‖v‖².
      var v = [Double](repeating: 0, count: kept.count)
      for (r, k) in kept.enumerated() {
        var s = gram[k, j]
        for t in 0..<r { s -= factor[r][t] * v[t] }
        v[r] = s / factor[r][r]
      }
      let left = own - v.reduce(0) { $0 + $1 * $1 }
      if left <= tolerance * own {
        // The combination: c = L⁻ᵀ v.
        var c = v
        for r in stride(from: kept.count - 1, through: 0, by: -1) {
          var s = c[r]
          for t in (r + 1)..<kept.count { s -= factor[t][r] * c[t] }
          c[r] = s / factor[r][r]
        }
        dependent.append(
          Dependent(
            column: j, combination: zip(kept, c).map { Share(column: $0, coefficient: $1) },
            residualShare: max(left, 0) / own))
      } else {
        factor.append(v + [left.squareRoot()])
        kept.append(j)
      }
    }
    independent = kept
    self.dependent = dependent
  }
}
