import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// The penalised negative log-likelihood of logistic regression, with its
/// gradient and Hessian, in the standardised coordinates γ of a raw feature
/// matrix X (n × p, never copied): column j enters as (xⱼ − mⱼ)/sⱼ, and γ₀,
/// the intercept, is never penalised.
///
/// ```
/// L(γ) = Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (λ/2) Σ_{j≥1} γⱼ²,   η = γ₀ + Σⱼ γⱼ (xⱼ − mⱼ)/sⱼ
/// ∇L   = Zᵀ(w ∘ (p − y)) + λ γ₋₀,                            p = σ(η), Z = [1, (X − m)/s]
/// ∇²L  = Zᵀ diag(w ∘ p ∘ (1 − p)) Z + λ I₋₀
/// ```
///
/// Xγ/s and Xᵀr are BLAS `dgemv` on X itself; ZᵀWZ is summed over blocks of
/// rows with `dsyrk`, each block standardised on the fly, so the extra
/// memory is O(p²) plus one block.
struct LogisticLoss {
  let x: Matrix
  let y: [Double]
  let weights: [Double]
  let l2: Double
  let means: [Double]
  let scales: [Double]

  /// Rows per block when forming ZᵀWZ.
  static let blockRows = 2048

  var rows: Int { x.rows }
  /// Parameters: the intercept and one per column of X.
  var parameters: Int { x.columns + 1 }

  /// The linear predictor η.
  func linearPredictor(_ gamma: [Double]) -> [Double] {
    var slopes = [Double](repeating: 0, count: x.columns)
    var offset = gamma[0]
    for j in 0..<x.columns {
      slopes[j] = gamma[j + 1] / scales[j]
      offset -= slopes[j] * means[j]
    }
    var eta = [Double](repeating: offset, count: rows)
    x.multiply(slopes, into: &eta, alpha: 1, beta: 1)
    return eta
  }

  /// L(γ), computed stably from η.
  func value(_ gamma: [Double], eta: [Double]) -> Double {
    var total = 0.0
    for i in 0..<rows { total += weights[i] * (log1pExp(eta[i]) - y[i] * eta[i]) }
    return total + 0.5 * l2 * penaltyNorm(gamma)
  }

  /// The unpenalised log-likelihood at η.
  func logLikelihood(eta: [Double]) -> Double {
    var total = 0.0
    for i in 0..<rows { total -= weights[i] * (log1pExp(eta[i]) - y[i] * eta[i]) }
    return total
  }

  /// ∇L at η.
  func gradient(_ gamma: [Double], eta: [Double]) -> [Double] {
    var residual = [Double](repeating: 0, count: rows)
    var residualSum = 0.0
    for i in 0..<rows {
      residual[i] = weights[i] * (logistic(eta[i]) - y[i])
      residualSum += residual[i]
    }
    let xr = x.multiplied(by: residual, transposed: true)
    var g = [Double](repeating: 0, count: parameters)
    g[0] = residualSum
    for j in 0..<x.columns { g[j + 1] = (xr[j] - means[j] * residualSum) / scales[j] + l2 * gamma[j + 1] }
    return g
  }

  /// ∇²L at η, both triangles filled.
  func hessian(eta: [Double]) -> Matrix {
    let q = parameters
    var h = Matrix(rows: q, columns: q)
    var block = Matrix(rows: 0, columns: q)
    for start in stride(from: 0, to: rows, by: LogisticLoss.blockRows) {
      let end = min(start + LogisticLoss.blockRows, rows)
      let m = end - start
      if block.rows != m { block = Matrix(rows: m, columns: q) }
      var root = [Double](repeating: 0, count: m)
      for i in 0..<m {
        let p = logistic(eta[start + i])
        root[i] = (weights[start + i] * p * (1 - p)).squareRoot()
        block.storage[i] = root[i]
      }
      for j in 0..<x.columns {
        let source = j * rows + start
        let target = (j + 1) * m
        let mean = means[j]
        let inverseScale = 1 / scales[j]
        for i in 0..<m { block.storage[target + i] = (x.storage[source + i] - mean) * inverseScale * root[i] }
      }
      Matrix.accumulateGram(of: block, into: &h, alpha: 1, beta: 1)
    }
    h.symmetrizeFromLower()
    for j in 1..<q { h[j, j] += l2 }
    return h
  }

  private func penaltyNorm(_ gamma: [Double]) -> Double {
    var s = 0.0
    for j in 1..<parameters { s += gamma[j] * gamma[j] }
    return s
  }
}

/// log(1 + eˣ) without overflow or loss of precision.
@inline(__always)
func log1pExp(_ x: Double) -> Double {
  x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}
