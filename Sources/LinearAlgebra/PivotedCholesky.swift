import CBLASLAPACK

/// The Cholesky factorisation with complete pivoting of a symmetric positive
/// semidefinite matrix, `Pᵀ A P = L Lᵀ` (LAPACK `dpstrf`): its numerical
/// rank, and the order in which the pivots chose the columns.
///
/// It picks the largest remaining diagonal first, so it says how many
/// columns are independent but not which later ones repeat earlier ones;
/// `ColumnDependence` answers that in column order.
public struct PivotedCholesky: Sendable {
  /// The numerical rank.
  public let rank: Int
  /// The columns (0-based) in pivot order; the first `rank` are independent.
  public let pivots: [Int]

  /// Factors `a` (its lower triangle).
  ///
  /// - Parameter tolerance: pivots below it end the factorisation; a
  ///   negative value asks LAPACK for its default, n · ε · max diagonal.
  public init(_ a: Matrix, tolerance: Double = -1) throws(LinearAlgebraError) {
    guard a.isSquare else {
      throw .dimensionMismatch("pivoted Cholesky needs a square matrix, got \(a.rows)×\(a.columns)")
    }
    let n = a.rows
    guard n > 0 else {
      rank = 0
      pivots = []
      return
    }
    var factor = a.storage
    var uplo = CChar(UInt8(ascii: "L"))
    var order = blasInt(n)
    var lda = blasInt(n)
    var piv = [Int32](repeating: 0, count: n)
    var computedRank: Int32 = 0
    var tol = tolerance
    var work = [Double](repeating: 0, count: 2 * n)
    var info: Int32 = 0
    unsafe dpstrf_(&uplo, &order, &factor, &lda, &piv, &computedRank, &tol, &work, &info, 1)
    precondition(info >= 0, "dpstrf: illegal argument \(-info)")
    rank = Int(computedRank)
    pivots = piv.map { Int($0) - 1 }
  }
}
