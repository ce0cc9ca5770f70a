import CBLASLAPACK

extension Matrix {
  /// Solves the general square system `A X = B` by LU with partial pivoting
  /// (LAPACK `dgesv`), refusing matrices that are singular to working precision.
  ///
  /// The absorbing-chain fundamental matrix `(I − Q)⁻¹` and Padé
  /// approximants of `exp(Qt)` are computed with it.
  ///
  /// - Throws: `.singular(pivot:)` when a pivot is exactly zero;
  ///   `.numericallySingular(reciprocalCondition:)` when the 1-norm reciprocal
  ///   condition number (LAPACK `dgecon`) is below machine epsilon, where the
  ///   answer would carry no correct digits.
  /// - Complexity: O(n³).
  public func solve(_ b: Matrix) throws(LinearAlgebraError) -> Matrix {
    guard isSquare else { throw .dimensionMismatch("solve needs a square matrix, got \(rows)×\(columns)") }
    guard b.rows == rows else {
      throw .dimensionMismatch("right-hand side has \(b.rows) rows, matrix has \(rows)")
    }
    var x = b
    if rows == 0 || b.columns == 0 { return x }
    var lu = storage
    var n = blasInt(rows)
    var nrhs = blasInt(b.columns)
    var lda = blasInt(rows)
    var ldb = blasInt(rows)
    var pivots = [Int32](repeating: 0, count: rows)
    var info: Int32 = 0
    var normKind = CChar(UInt8(ascii: "1"))
    var work = [Double](repeating: 0, count: 4 * rows)
    var iwork = [Int32](repeating: 0, count: rows)
    var m = n
    let anorm = unsafe dlange_(&normKind, &m, &n, lu, &lda, &work, 1)
    unsafe dgesv_(&n, &nrhs, &lu, &lda, &pivots, &x.storage, &ldb, &info)
    precondition(info >= 0, "dgesv: illegal argument \(-info)")
    if info > 0 { throw .singular(pivot: Int(info)) }
    var rcond = 0.0
    var anormValue = anorm
    unsafe dgecon_(&normKind, &n, lu, &lda, &anormValue, &rcond, &work, &iwork, &info, 1)
    if rcond < Double.ulpOfOne { throw .numericallySingular(reciprocalCondition: rcond) }
    return x
  }

  /// Solves `A x = b` for one right-hand side; see `solve(_:)` for matrices.
  public func solve(_ b: [Double]) throws(LinearAlgebraError) -> [Double] {
    try solve(Matrix(rows: b.count, columns: 1, columnMajor: b)).storage
  }

  /// The inverse `A⁻¹`, through `solve(identity)`.
  public func inverse() throws(LinearAlgebraError) -> Matrix {
    try solve(Matrix.identity(rows))
  }
}
