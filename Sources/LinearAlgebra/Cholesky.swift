import CBLASLAPACK

/// The Cholesky factorisation `A = L Lᵀ` of a symmetric positive-definite
/// matrix (LAPACK `dpotrf`), with solves (`dpotrs`) and the inverse (`dpotri`).
///
/// Only the lower triangle of `A` is read. Newton's method for logistic
/// regression solves `H Δ = −g` with it, and the covariance of the estimates is
/// `H⁻¹`.
///
/// ```swift
/// let chol = try Cholesky(Matrix(rowMajor: [[4, 2], [2, 3]]))
/// let x = try chol.solve([2, 1])   // [0.5, 0]
/// ```
public struct Cholesky: Sendable {
  /// The factor `L`, lower triangular; the strict upper triangle is zero.
  public let lower: Matrix

  /// Factors `a`.
  ///
  /// - Throws: `LinearAlgebraError.notPositiveDefinite` with the order of the
  ///   first leading minor that is not positive.
  /// - Complexity: O(n³/3).
  public init(_ a: Matrix) throws(LinearAlgebraError) {
    guard a.isSquare else { throw .dimensionMismatch("Cholesky needs a square matrix, got \(a.rows)×\(a.columns)") }
    let n = a.rows
    var factor = a.storage
    var uplo = CChar(UInt8(ascii: "L"))
    var order = blasInt(n)
    var lda = blasInt(Swift.max(n, 1))
    var info: Int32 = 0
    if n > 0 {
      unsafe dpotrf_(&uplo, &order, &factor, &lda, &info, 1)
    }
    precondition(info >= 0, "dpotrf: illegal argument \(-info)")
    if info > 0 { throw .notPositiveDefinite(leadingMinor: Int(info)) }
    for j in 0..<n {
      for i in 0..<j { factor[i + j * n] = 0 }
    }
    self.lower = Matrix(rows: n, columns: n, columnMajor: factor)
  }

  /// The order of the factored matrix.
  public var order: Int { lower.rows }

  /// Solves `A x = b`.
  public func solve(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
    try solve(Matrix(rows: b.count, columns: 1, columnMajor: b)).storage
  }

  /// Solves `A X = B` for every column of `B`.
  public func solve(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    guard b.rows == order else {
      throw .dimensionMismatch("right-hand side has \(b.rows) rows, matrix has order \(order)")
    }
    var x = b
    if order == 0 || b.columns == 0 { return x }
    var uplo = CChar(UInt8(ascii: "L"))
    var n = blasInt(order)
    var nrhs = blasInt(b.columns)
    var lda = blasInt(order)
    var ldb = blasInt(order)
    var info: Int32 = 0
    unsafe dpotrs_(&uplo, &n, &nrhs, lower.storage, &lda, &x.storage, &ldb, &info, 1)
    precondition(info == 0, "dpotrs: illegal argument \(-info)")
    return x
  }

  /// The inverse `A⁻¹`, symmetric with both triangles filled.
  ///
  /// - Complexity: O(n³).
  public func inverse() throws(LinearAlgebraError) -> Matrix {
    var inv = lower
    if order == 0 { return inv }
    var uplo = CChar(UInt8(ascii: "L"))
    var n = blasInt(order)
    var lda = blasInt(order)
    var info: Int32 = 0
    unsafe dpotri_(&uplo, &n, &inv.storage, &lda, &info, 1)
    precondition(info >= 0, "dpotri: illegal argument \(-info)")
    if info > 0 { throw .singular(pivot: Int(info)) }
    inv.symmetrizeFromLower()
    return inv
  }

  /// `log det A = 2 Σ log L(i, i)`, without overflow.
  public var logDeterminant: Double {
    (0..<order).reduce(0) { $0 + 2 * log(lower[$1, $1]) }
  }
}

#if canImport(Glibc)
  import Glibc
#endif
