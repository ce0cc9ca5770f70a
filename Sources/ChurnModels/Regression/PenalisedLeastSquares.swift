import LinearAlgebra

/// Weighted least squares with an elastic-net penalty on standardised
/// columns, the intercept unpenalised:
///
/// ```
/// ½ Σᵢ wᵢ (yᵢ − β₀ − Σⱼ zᵢⱼ γⱼ)² + λ₁ Σⱼ |γⱼ| + ½ λ₂ Σⱼ γⱼ²,   zᵢⱼ = (xᵢⱼ − mⱼ)/sⱼ
/// ```
///
/// (m, s the weighted means and population standard deviations), by cyclic
/// coordinate descent on the Gram matrix ZᵀWZ, as glmnet's covariance
/// updates: O(n p²) once for the Gram matrix (BLAS `dsyrk`), then O(p²)
/// per sweep whatever the number of rows. Coefficients are reported on the
/// original scale.
///
/// ```swift
/// let fit = PenalisedLeastSquares(l1: 2).fit(x, y)
/// fit.predict(row)
/// ```
public struct PenalisedLeastSquares: Sendable {
  public var l1: Double
  public var l2: Double

  public init(l1: Double = 0, l2: Double = 0) {
    self.l1 = l1
    self.l2 = l2
  }

  /// Intercept and coefficients on the original scale.
  public struct Fit: Sendable, Equatable {
    public let intercept: Double
    public let coefficients: [Double]

    public func predict(_ x: [Double]) -> Double {
      var value = intercept
      for j in coefficients.indices where coefficients[j] != 0 { value += coefficients[j] * x[j] }
      return value
    }
  }

  /// The sufficient statistics of a weighted design: means, scales, the
  /// standardised Gram matrix and Zᵀ W (y − ȳ). Built once, solved for
  /// many penalties.
  public struct Moments: Sendable {
    public let means: [Double]
    public let scales: [Double]
    public let gram: Matrix
    public let cross: [Double]
    public let meanY: Double

    /// `x` is n × p (column-major), `y` and `weights` n long.
    public init(_ x: Matrix, _ y: [Double], weights: [Double]) {
      let n = x.rows, p = x.columns
      let total = weights.reduce(0, +)
      meanY = zip(y, weights).reduce(0) { $0 + $1.0 * $1.1 } / total
      var means = [Double](repeating: 0, count: p), scales = [Double](repeating: 1, count: p)
      for j in 0..<p {
        var m = 0.0
        for i in 0..<n { m += weights[i] * x.storage[j * n + i] }
        m /= total
        var v = 0.0
        for i in 0..<n {
          let d = x.storage[j * n + i] - m
          v += weights[i] * d * d
        }
        means[j] = m
        scales[j] = v > 0 ? (v / total).squareRoot() : 1
      }
      var z = Matrix(rows: n, columns: p)
      var cross = [Double](repeating: 0, count: p)
      for j in 0..<p {
        for i in 0..<n {
          let root = weights[i].squareRoot()
          let value = (x.storage[j * n + i] - means[j]) / scales[j]
          z.storage[j * n + i] = root * value
          cross[j] += weights[i] * value * (y[i] - meanY)
        }
      }
      var gram = Matrix(rows: p, columns: p)
      Matrix.accumulateGram(of: z, into: &gram, alpha: 1, beta: 0)
      gram.symmetrizeFromLower()
      self.means = means
      self.scales = scales
      self.gram = gram
      self.cross = cross
    }

    /// The smallest λ₁ at which every coefficient is zero.
    public var largestL1: Double { cross.map(abs).max() ?? 0 }
  }

  public func fit(_ x: Matrix, _ y: [Double], weights: [Double]? = nil) -> Fit {
    fit(Moments(x, y, weights: weights ?? Array(repeating: 1, count: x.rows)))
  }

  /// The fit from a design's moments, starting from `start` (standardised
  /// coefficients; a warm start along a path of penalties).
  public func fit(_ moments: Moments, start: [Double]? = nil) -> Fit {
    let gamma = solve(moments, start: start)
    return Self.originalScale(gamma, moments)
  }

  /// The standardised coefficients γ minimising the objective.
  public func solve(_ moments: Moments, start: [Double]? = nil) -> [Double] {
    let p = moments.cross.count
    let g = moments.gram
    var gamma = start ?? [Double](repeating: 0, count: p)
    var fitted = [Double](repeating: 0, count: p)  // (ZᵀWZ) γ
    for k in 0..<p where gamma[k] != 0 { for j in 0..<p { fitted[j] += g[j, k] * gamma[k] } }
    for _ in 0..<10_000 {
      var largest = 0.0
      for j in 0..<p where g[j, j] > 0 {
        let r = moments.cross[j] - fitted[j] + g[j, j] * gamma[j]
        let next = r > l1 ? (r - l1) / (g[j, j] + l2) : (r < -l1 ? (r + l1) / (g[j, j] + l2) : 0)
        let change = next - gamma[j]
        if change != 0 {
          for k in 0..<p { fitted[k] += g[k, j] * change }
          gamma[j] = next
          largest = max(largest, abs(change))
        }
      }
      if largest <= 1e-13 * max(1, gamma.map(abs).max() ?? 0) { break }
    }
    return gamma
  }

  /// Standardised coefficients back on the original scale.
  public static func originalScale(_ gamma: [Double], _ moments: Moments) -> Fit {
    let coefficients = gamma.indices.map { gamma[$0] / moments.scales[$0] }
    let intercept = moments.meanY - zip(coefficients, moments.means).reduce(0) { $0 + $1.0 * $1.1 }
    return Fit(intercept: intercept, coefficients: coefficients)
  }
}
