import LinearAlgebra

/// Textbook loops, independent of BLAS, that tests compare BLAS results with.
public enum NaiveLinearAlgebra {
  /// `A · B` by the triple loop.
  public static func product(_ a: Matrix, _ b: Matrix) -> Matrix {
    precondition(a.columns == b.rows)
    var c = Matrix(rows: a.rows, columns: b.columns)
    for i in 0..<a.rows {
      for j in 0..<b.columns {
        var s = 0.0
        for k in 0..<a.columns { s += a[i, k] * b[k, j] }
        c[i, j] = s
      }
    }
    return c
  }

  /// A matrix with entries uniform in [-1, 1) from `rng`.
  public static func random<G: RandomNumberGenerator>(rows: Int, columns: Int, using rng: inout G) -> Matrix {
    var m = Matrix(rows: rows, columns: columns)
    for k in m.storage.indices { m.storage[k] = Double.random(in: -1..<1, using: &rng) }
    return m
  }
}
