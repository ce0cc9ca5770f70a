import CBLASLAPACK

/// The dot product `xᵀy` (BLAS `ddot`).
///
/// ```swift
/// dot([1, 2, 3], [4, 5, 6])  // 32
/// ```
public func dot(_ x: [Double], _ y: [Double]) -> Double {
  precondition(x.count == y.count, "dot: vectors of lengths \(x.count) and \(y.count)")
  if x.isEmpty { return 0 }
  return unsafe cblas_ddot(blasInt(x.count), x, 1, y, 1)
}

extension Matrix {
  /// The matrix-vector product `A x`, or `Aᵀ x` when `transposed` (BLAS `dgemv`).
  ///
  /// - Complexity: O(rows · columns).
  public func multiplied(by x: [Double], transposed: Bool = false) -> [Double] {
    var y = [Double](repeating: 0, count: transposed ? columns : rows)
    multiply(x, into: &y, transposed: transposed, alpha: 1, beta: 0)
    return y
  }

  /// `y ← alpha · op(A) x + beta · y` in place (BLAS `dgemv`), for loops that
  /// reuse their buffers.
  public func multiply(
    _ x: [Double], into y: inout [Double], transposed: Bool = false,
    alpha: Double = 1, beta: Double = 0
  ) {
    precondition(x.count == (transposed ? rows : columns), "gemv: x has \(x.count) elements")
    precondition(y.count == (transposed ? columns : rows), "gemv: y has \(y.count) elements")
    if y.isEmpty { return }
    if x.isEmpty {
      for k in y.indices { y[k] *= beta }
      return
    }
    let trans = transposed ? CblasTrans : CblasNoTrans
    unsafe cblas_dgemv(
      CblasColMajor, trans, blasInt(rows), blasInt(columns), alpha, storage,
      blasInt(Swift.max(rows, 1)), x, 1, beta, &y, 1)
  }

  /// The matrix product `op(A) · op(B)` (BLAS `dgemm`).
  ///
  /// - Complexity: O(m · n · k).
  public func multiplied(
    by other: Matrix, transposeSelf: Bool = false, transposeOther: Bool = false
  ) -> Matrix {
    let m = transposeSelf ? columns : rows
    let k = transposeSelf ? rows : columns
    let kOther = transposeOther ? other.columns : other.rows
    let n = transposeOther ? other.rows : other.columns
    precondition(k == kOther, "gemm: inner dimensions \(k) and \(kOther) differ")
    var result = Matrix(rows: m, columns: n)
    if m == 0 || n == 0 || k == 0 { return result }
    unsafe cblas_dgemm(
      CblasColMajor, transposeSelf ? CblasTrans : CblasNoTrans,
      transposeOther ? CblasTrans : CblasNoTrans,
      blasInt(m), blasInt(n), blasInt(k), 1, storage, blasInt(Swift.max(rows, 1)),
      other.storage, blasInt(Swift.max(other.rows, 1)), 0, &result.storage, blasInt(m))
    return result
  }

  /// The Gram matrix `AᵀA`, symmetric, both triangles filled (BLAS `dsyrk`).
  ///
  /// - Complexity: O(rows · columns²).
  public func gram() -> Matrix {
    var result = Matrix(rows: columns, columns: columns)
    Matrix.accumulateGram(of: self, into: &result, alpha: 1, beta: 0)
    result.symmetrizeFromLower()
    return result
  }

  /// `C ← alpha · AᵀA + beta · C` on the lower triangle of `C` only (BLAS
  /// `dsyrk`), so `XᵀWX` can be summed over row blocks in O(p²) extra memory.
  /// Call `symmetrizeFromLower()` when done.
  public static func accumulateGram(
    of a: Matrix, into c: inout Matrix, alpha: Double = 1, beta: Double = 1
  ) {
    precondition(c.rows == a.columns && c.columns == a.columns, "syrk: C must be \(a.columns)×\(a.columns)")
    if a.columns == 0 { return }
    if a.rows == 0 {
      for k in c.storage.indices { c.storage[k] *= beta }
      return
    }
    unsafe cblas_dsyrk(
      CblasColMajor, CblasLower, CblasTrans, blasInt(a.columns), blasInt(a.rows),
      alpha, a.storage, blasInt(a.rows), beta, &c.storage, blasInt(a.columns))
  }

  /// Copies the lower triangle onto the upper one.
  public mutating func symmetrizeFromLower() {
    precondition(isSquare, "symmetrize: matrix is \(rows)×\(columns)")
    for j in 0..<columns {
      for i in (j + 1)..<Swift.max(rows, j + 1) { storage[j + i * rows] = storage[i + j * rows] }
    }
  }
}

extension Matrix {
  /// `C ← C + Σ wᵣ·xᵣxᵣᵀ` over some rows of a row-major table (`columns`
  /// values a row), on the lower triangle of `C` only (BLAS `dsyrk` on the
  /// rows scaled by √wᵣ; rows of weight 0 are skipped). A survival fit's
  /// risk-set sums are built with it, a group of tied rows at a time.
  ///
  /// - Complexity: O(rows · columns²).
  public static func accumulateWeightedOuterProducts(
    rowMajor table: [Double], rows: Range<Int>, columns p: Int, weights: [Double], into c: inout Matrix
  ) {
    precondition(c.rows == p && c.columns == p, "syrk: C must be \(p)×\(p)")
    var scaled: [Double] = []
    scaled.reserveCapacity(rows.count * p)
    for r in rows where weights[r] > 0 {
      let root = weights[r].squareRoot()
      for j in 0..<p { scaled.append(root * table[r * p + j]) }
    }
    let k = scaled.count / Swift.max(p, 1)
    guard p > 0, k > 0 else { return }
    // `scaled` is column-major p × k (a column per row): C += S Sᵀ.
    unsafe cblas_dsyrk(
      CblasColMajor, CblasLower, CblasNoTrans, blasInt(p), blasInt(k), 1, scaled, blasInt(p), 1, &c.storage,
      blasInt(p))
  }
}
