import ChurnData
import ChurnModels
import Foundation
import LinearAlgebra

/// Sampling variances and tests on fitted logistic models, for the uplift
/// trainer's shrinkage and effect-modifier selection.
extension UpliftTrainer {
  /// Var(p̂) ≈ (p(1 − p))² x̃ᵀ Σ x̃ with x̃ = (1, x).
  static func probabilityVariance(_ fit: LogisticRegressionFit, _ x: [Double]) -> Double {
    let p = fit.probability(x)
    let cov = fit.covariance
    var q = 0.0
    for i in 0...x.count {
      let xi = i == 0 ? 1 : x[i - 1]
      guard xi != 0 else { continue }
      var s = 0.0
      for j in 0...x.count {
        let xj = j == 0 ? 1 : x[j - 1]
        if xj != 0 { s += cov[i][j] * xj }
      }
      q += xi * s
    }
    return p * p * (1 - p) * (1 - p) * max(q, 0)
  }

  /// p-value of the Wald test that the coefficients of `terms` are all 0 —
  /// or, with `contrasts`, all equal (their differences from the first are
  /// 0: a one-hot group's levels do not differ) — against a chi-square with
  /// as many degrees of freedom as differences tested.
  static func waldPValue(_ fit: LogisticRegressionFit, terms: [Int], contrasts: Bool = false) -> Double {
    guard terms.count > (contrasts ? 1 : 0) else { return 1 }
    // Rows of C: e_k − e_0 for contrasts, else the identity.
    let rows: [[(Int, Double)]] =
      contrasts
      ? terms.dropFirst().map { [($0, 1.0), (terms[0], -1.0)] }
      : terms.map { [($0, 1.0)] }
    let beta = rows.map { row in row.reduce(0) { $0 + $1.1 * fit.terms[$1.0].coefficient } }
    let sigma = Matrix(
      rowMajor: rows.map { r in
        rows.map { c in r.reduce(0) { sum, a in c.reduce(sum) { $0 + a.1 * $1.1 * fit.covariance[a.0][$1.0] } } }
      })
    guard let solved = try? sigma.solve(beta) else { return 1 }
    let statistic = zip(beta, solved).reduce(0) { $0 + $1.0 * $1.1 }
    return ChiSquareDistribution(degreesOfFreedom: Double(rows.count)).survival(max(statistic, 0))
  }
}
