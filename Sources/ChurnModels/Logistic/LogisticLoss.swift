import ChurnData
import ChurnIO
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
/// L(γ) = Σᵢ wᵢ [log(1 + e^ηᵢ) − yᵢ ηᵢ] + (λ/2) Σ_{j≥1} fⱼ γⱼ²,   η = γ₀ + Σⱼ γⱼ (xⱼ − mⱼ)/sⱼ
/// ∇L   = Zᵀ(w ∘ (p − y)) + λ f ∘ γ₋₀,                            p = σ(η), Z = [1, (X − m)/s]
/// ∇²L  = Zᵀ diag(w ∘ p ∘ (1 − p)) Z + λ diag(f)₋₀
///
/// (f: the columns' penalty factors, 1 unless given.)
/// ```
///
/// Xγ/s and Xᵀr are BLAS `dgemv` on X itself; ZᵀWZ is summed over blocks of
/// rows with `dsyrk`, each block standardised on the fly, so the extra
/// memory is O(p²) plus one block per core. Every pass is split into a fixed
/// `RowPartition` and run on all cores (callers hold BLAS to one thread).
struct LogisticLoss: Sendable {
  let x: Matrix
  let y: [Double]
  let weights: [Double]
  /// λ per coefficient (the intercept's 0): λ × the column's penalty factor.
  let l2PerTerm: [Double]
  let means: [Double]
  let scales: [Double]
  let partition: RowPartition

  /// `penaltyFactors` scale λ per column (glmnet's `penalty.factor`; 0
  /// leaves a column unpenalised); nil: 1 for every column.
  init(
    x: Matrix, y: [Double], weights: [Double], l2: Double, means: [Double], scales: [Double],
    penaltyFactors: [Double]? = nil
  ) {
    self.x = x
    self.y = y
    self.weights = weights
    self.l2PerTerm = [0] + (penaltyFactors ?? Array(repeating: 1, count: x.columns)).map { l2 * $0 }
    self.means = means
    self.scales = scales
    partition = RowPartition(rows: x.rows)
  }

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
    let constantSlopes = slopes
    let constantOffset = offset
    let parts = partition.map { range in
      var eta = [Double](repeating: constantOffset, count: range.count)
      x.multiply(rows: range, constantSlopes, into: &eta, alpha: 1, beta: 1)
      return eta
    }
    return parts.count == 1 ? parts[0] : Array(parts.joined())
  }

  /// L(γ), computed stably from η.
  func value(_ gamma: [Double], eta: [Double]) -> Double {
    -logLikelihood(eta: eta) + 0.5 * penaltyNorm(gamma)
  }

  /// The unpenalised log-likelihood at η.
  func logLikelihood(eta: [Double]) -> Double {
    partition.map { range in
      var total = 0.0
      for i in range { total -= weights[i] * (log1pExp(eta[i]) - y[i] * eta[i]) }
      return total
    }.reduce(0, +)
  }

  /// ∇L at η.
  func gradient(_ gamma: [Double], eta: [Double]) -> [Double] {
    let parts = partition.map { range -> (sum: Double, xr: [Double]) in
      var residual = [Double](repeating: 0, count: range.count)
      var sum = 0.0
      for (k, i) in range.enumerated() {
        residual[k] = weights[i] * (logistic(eta[i]) - y[i])
        sum += residual[k]
      }
      return (sum, x.transposedProduct(rows: range, residual[...]))
    }
    let residualSum = parts.reduce(0) { $0 + $1.sum }
    var xr = [Double](repeating: 0, count: x.columns)
    for part in parts { for j in 0..<x.columns { xr[j] += part.xr[j] } }
    var g = [Double](repeating: 0, count: parameters)
    g[0] = residualSum
    for j in 0..<x.columns { g[j + 1] = (xr[j] - means[j] * residualSum) / scales[j] + l2PerTerm[j + 1] * gamma[j + 1] }
    return g
  }

  /// ∇²L at η, both triangles filled.
  func hessian(eta: [Double]) -> Matrix {
    let q = parameters
    let parts = partition.map { range in partialHessian(rows: range, eta: eta) }
    var h = parts[0]
    for part in parts.dropFirst() { for k in h.storage.indices { h.storage[k] += part.storage[k] } }
    h.symmetrizeFromLower()
    for j in 1..<q { h[j, j] += l2PerTerm[j] }
    return h
  }

  /// ZᵀWZ over some rows, lower triangle.
  private func partialHessian(rows range: Range<Int>, eta: [Double]) -> Matrix {
    let q = parameters
    var h = Matrix(rows: q, columns: q)
    var block = Matrix(rows: 0, columns: q)
    for start in stride(from: range.lowerBound, to: range.upperBound, by: LogisticLoss.blockRows) {
      let end = min(start + LogisticLoss.blockRows, range.upperBound)
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
    return h
  }

  private func penaltyNorm(_ gamma: [Double]) -> Double {
    var s = 0.0
    for j in 1..<parameters { s += l2PerTerm[j] * gamma[j] * gamma[j] }
    return s
  }
}

/// log(1 + eˣ) without overflow or loss of precision.
@inline(__always)
func log1pExp(_ x: Double) -> Double {
  x > 0 ? x + log1p(exp(-x)) : log1p(exp(x))
}
