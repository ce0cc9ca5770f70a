import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// The penalised negative log-likelihood of logistic regression, with its
/// gradient and Hessian, over a design matrix whose first column is the
/// intercept (all ones, never penalised):
///
/// ```
/// L(β) = Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (λ/2) Σ_{j≥1} βⱼ²,   η = Xβ
/// ∇L   = Xᵀ(w ∘ (p − y)) + λ β₋₀,                            p = σ(η)
/// ∇²L  = Xᵀ diag(w ∘ p ∘ (1 − p)) X + λ I₋₀
/// ```
///
/// The Hessian is summed over row blocks with BLAS `dsyrk`, so its extra
/// memory is O(p²) plus one block, never n × n.
struct LogisticLoss {
  let x: Matrix
  let y: [Double]
  let weights: [Double]
  let l2: Double
  let hasIntercept: Bool

  /// Rows per block when forming XᵀWX.
  static let blockRows = 2048

  var rows: Int { x.rows }
  var columns: Int { x.columns }

  /// The linear predictor Xβ (BLAS `dgemv`).
  func linearPredictor(_ beta: [Double]) -> [Double] { x.multiplied(by: beta) }

  /// L(β), computed stably from η.
  func value(_ beta: [Double], eta: [Double]) -> Double {
    var total = 0.0
    for i in 0..<rows { total += weights[i] * (log1pExp(eta[i]) - y[i] * eta[i]) }
    return total + 0.5 * l2 * penaltyNorm(beta)
  }

  /// The unpenalised log-likelihood at η.
  func logLikelihood(eta: [Double]) -> Double {
    var total = 0.0
    for i in 0..<rows { total -= weights[i] * (log1pExp(eta[i]) - y[i] * eta[i]) }
    return total
  }

  /// ∇L at η.
  func gradient(_ beta: [Double], eta: [Double]) -> [Double] {
    var residual = [Double](repeating: 0, count: rows)
    for i in 0..<rows { residual[i] = weights[i] * (logistic(eta[i]) - y[i]) }
    var g = x.multiplied(by: residual, transposed: true)
    for j in penalised { g[j] += l2 * beta[j] }
    return g
  }

  /// ∇²L at η, both triangles filled.
  func hessian(eta: [Double]) -> Matrix {
    let p = columns
    var h = Matrix(rows: p, columns: p)
    var block = Matrix(rows: 0, columns: p)
    for start in stride(from: 0, to: rows, by: LogisticLoss.blockRows) {
      let end = min(start + LogisticLoss.blockRows, rows)
      let m = end - start
      if block.rows != m { block = Matrix(rows: m, columns: p) }
      var root = [Double](repeating: 0, count: m)
      for i in 0..<m {
        let q = logistic(eta[start + i])
        root[i] = (weights[start + i] * q * (1 - q)).squareRoot()
      }
      for j in 0..<p {
        let source = j * rows + start
        let target = j * m
        for i in 0..<m { block.storage[target + i] = x.storage[source + i] * root[i] }
      }
      Matrix.accumulateGram(of: block, into: &h, alpha: 1, beta: 1)
    }
    h.symmetrizeFromLower()
    for j in penalised { h[j, j] += l2 }
    return h
  }

  private var penalised: Range<Int> { (hasIntercept ? 1 : 0)..<columns }

  private func penaltyNorm(_ beta: [Double]) -> Double {
    var s = 0.0
    for j in penalised { s += beta[j] * beta[j] }
    return s
  }
}

/// log(1 + eˣ) without overflow or loss of precision.
@inline(__always)
func log1pExp(_ x: Double) -> Double {
  x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}
