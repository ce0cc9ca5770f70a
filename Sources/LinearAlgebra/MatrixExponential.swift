extension Matrix {
  /// The matrix exponential e^A by scaling and squaring with a Padé
  /// approximant (Higham, "The scaling and squaring method for the matrix
  /// exponential revisited", SIAM J. Matrix Anal. Appl. 26, 2005): the degree
  /// m ∈ {3, 5, 7, 9, 13} is the lowest whose θₘ bounds ‖A‖₁, otherwise A is
  /// scaled by 2⁻ˢ so that degree 13 applies and the result squared s times.
  /// Products are BLAS `dgemm`; the Padé quotient is one LAPACK `dgesv` solve.
  ///
  /// For a continuous-time Markov generator Q, `(Q * t).exponential()` is the
  /// transition matrix over time t.
  public func exponential() throws(LinearAlgebraError) -> Matrix {
    guard isSquare else { throw .dimensionMismatch("exponential needs a square matrix, got \(rows)×\(columns)") }
    let n = rows
    if n == 0 { return self }
    let norm = oneNorm
    let thetas: [(Int, Double)] = [
      (3, 1.495585217958292e-2), (5, 2.539398330063230e-1), (7, 9.504178996162932e-1), (9, 2.097847961257068e0),
    ]
    for (m, theta) in thetas where norm <= theta { return try pade(self, degree: m) }
    let theta13 = 5.371920351148152e0
    var s = 0
    if norm > theta13 { s = max(0, Int((log2(norm / theta13)).rounded(.up))) }
    let scaled = self.scaled(by: 1 / Double(1 << s))
    var result = try pade(scaled, degree: 13)
    for _ in 0..<s { result = result.multiplied(by: result) }
    return result
  }

  /// Max column sum of absolute values.
  public var oneNorm: Double {
    (0..<columns).map { j in storage[(j * rows)..<((j + 1) * rows)].reduce(0) { $0 + abs($1) } }.max() ?? 0
  }

  /// Every element times `factor`.
  public func scaled(by factor: Double) -> Matrix {
    Matrix(rows: rows, columns: columns, columnMajor: storage.map { $0 * factor })
  }

  /// A + B.
  public static func + (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "+: shapes differ")
    return Matrix(rows: a.rows, columns: a.columns, columnMajor: zip(a.storage, b.storage).map { $0 + $1 })
  }

  /// A − B.
  public static func - (a: Matrix, b: Matrix) -> Matrix {
    precondition(a.rows == b.rows && a.columns == b.columns, "-: shapes differ")
    return Matrix(rows: a.rows, columns: a.columns, columnMajor: zip(a.storage, b.storage).map { $0 - $1 })
  }
}

/// The [m/m] Padé approximant r(A) = (V − U)⁻¹ (V + U) of e^A.
private func pade(_ a: Matrix, degree m: Int) throws(LinearAlgebraError) -> Matrix {
  let b: [Double]
  switch m {
  case 3: b = [120, 60, 12, 1]
  case 5: b = [30240, 15120, 3360, 420, 30, 1]
  case 7: b = [17_297_280, 8_648_640, 1_995_840, 277_200, 25_200, 1512, 56, 1]
  case 9: b = [17_643_225_600, 8_821_612_800, 2_075_673_600, 302_702_400, 30_270_240, 2_162_160, 110_880, 3960, 90, 1]
  default:
    b = [
      64_764_752_532_480_000, 32_382_376_266_240_000, 7_771_770_303_897_600, 1_187_353_796_428_800,
      129_060_195_264_000, 10_559_470_521_600, 670_442_572_800, 33_522_128_640, 1_323_241_920, 40_840_800,
      960_960, 16380, 182, 1,
    ]
  }
  let n = a.rows
  let identity = Matrix.identity(n)
  let a2 = a.multiplied(by: a)
  var u: Matrix
  var v: Matrix
  if m < 13 {
    // Powers A², A⁴, …: U = A Σ b(2k+1) A²ᵏ, V = Σ b(2k) A²ᵏ.
    var power = identity
    var uSum = Matrix(rows: n, columns: n)
    v = Matrix(rows: n, columns: n)
    for k in 0...(m / 2) {
      uSum = uSum + power.scaled(by: b[2 * k + 1])
      v = v + power.scaled(by: b[2 * k])
      power = power.multiplied(by: a2)
    }
    u = a.multiplied(by: uSum)
  } else {
    let a4 = a2.multiplied(by: a2)
    let a6 = a4.multiplied(by: a2)
    let inner = a6.scaled(by: b[13]) + a4.scaled(by: b[11]) + a2.scaled(by: b[9])
    u = a.multiplied(
      by: a6.multiplied(by: inner) + a6.scaled(by: b[7]) + a4.scaled(by: b[5]) + a2.scaled(by: b[3])
        + identity.scaled(by: b[1]))
    let innerV = a6.scaled(by: b[12]) + a4.scaled(by: b[10]) + a2.scaled(by: b[8])
    v =
      a6.multiplied(by: innerV) + a6.scaled(by: b[6]) + a4.scaled(by: b[4]) + a2.scaled(by: b[2])
      + identity.scaled(by: b[0])
  }
  return try (v - u).solve(v + u)
}

#if canImport(Glibc)
  import Glibc
#endif
