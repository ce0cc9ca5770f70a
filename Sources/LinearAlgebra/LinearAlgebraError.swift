/// Why a linear-algebra routine could not produce a result.
///
/// The payloads are the facts LAPACK reports through its `info` argument, so a
/// caller can decide what to do (regularise, drop a column) and tell the user.
public enum LinearAlgebraError: Error, Equatable, CustomStringConvertible {
  /// The matrix is not positive definite: the leading minor of this order
  /// (1-based) is not positive (`dpotrf` info > 0).
  case notPositiveDefinite(leadingMinor: Int)
  /// The matrix is exactly singular: U(k, k) is zero at this 1-based pivot
  /// (`dgesv` info > 0).
  case singular(pivot: Int)
  /// The matrix is singular to working precision: its reciprocal condition
  /// number in the 1-norm is below machine epsilon.
  case numericallySingular(reciprocalCondition: Double)
  /// The shapes of the operands do not fit together.
  case dimensionMismatch(String)
  /// A dimension is larger than the 32-bit integers BLAS and LAPACK take.
  case tooLarge(Int)

  public var description: String {
    switch self {
    case .notPositiveDefinite(let k):
      return "matrix is not positive definite (leading minor of order \(k) is not positive)"
    case .singular(let k):
      return "matrix is singular (zero pivot at position \(k))"
    case .numericallySingular(let rcond):
      return "matrix is singular to working precision (reciprocal condition number \(rcond))"
    case .dimensionMismatch(let what):
      return "dimension mismatch: \(what)"
    case .tooLarge(let n):
      return "dimension \(n) exceeds the 32-bit range of BLAS/LAPACK"
    }
  }
}

/// Converts a dimension to the 32-bit integer BLAS and LAPACK take.
@usableFromInline
func blasInt(_ n: Int) -> Int32 {
  precondition(n >= 0 && n <= Int(Int32.max), "dimension \(n) exceeds the 32-bit range of BLAS/LAPACK")
  return Int32(n)
}
