import Foundation
import LinearAlgebra

/// A fitted proportional-hazards model: coefficients with classical and
/// robust standard errors, Breslow's baseline cumulative hazard, and the
/// fit's figures. Quantities carry lifelines' names and conventions: the
/// baseline is that of a customer with the mean covariates, and the
/// concordance is Harrell's C of the partial hazard.
public struct FittedCox: Sendable, Codable, Equatable {
  public struct Term: Sendable, Codable, Equatable {
    public let name: String
    public let coefficient: Double
    /// From the inverse of the partial likelihood's information.
    public let standardError: Double
    /// Sandwich estimate from the score residuals, one cluster per
    /// customer (lifelines' `robust=True`).
    public let robustStandardError: Double
    /// z, p and the 95% interval use `robustStandardError` when the fit was
    /// asked for robust inference, else `standardError`.
    public let z: Double
    public let pValue: Double
    public let lower95: Double
    public let upper95: Double
    public var hazardRatio: Double { exp(coefficient) }
  }

  public let terms: [Term]
  public let robustInference: Bool
  /// The ridge penalty on the standardised coefficients (0: none).
  public let l2: Double
  /// Covariance of the coefficients (classical), terms × terms.
  public let covariance: [[Double]]
  public let robustCovariance: [[Double]]
  /// The covariates' means over the fitted rows (the baseline's profile).
  public let means: [Double]
  /// Days with at least one churn, increasing, and the baseline cumulative
  /// hazard just after each.
  public let baselineDays: [Double]
  public let baselineCumulativeHazard: [Double]
  public let rows: Int
  public let churns: Int
  /// The longest duration followed: survival is known up to here.
  public let longestFollowUp: Double
  public let logLikelihood: Double
  public let nullLogLikelihood: Double
  public let concordance: Double
  public let iterations: Int
  public let converged: Bool
  public let dropped: [DroppedFeature]

  public var names: [String] { terms.map(\.name) }
  public var coefficients: [Double] { terms.map(\.coefficient) }
  /// The likelihood-ratio test against the model without covariates.
  public var likelihoodRatio: (statistic: Double, degreesOfFreedom: Int, pValue: Double) {
    let statistic = 2 * (logLikelihood - nullLogLikelihood)
    return (statistic, terms.count, ChiSquareDistribution(degreesOfFreedom: Double(terms.count)).survival(statistic))
  }
  public var aic: Double { 2 * Double(terms.count) - 2 * logLikelihood }

  init(
    table: SurvivalTable, order: [Int], likelihood: EfronPartialLikelihood,
    solution: CoxProportionalHazards.Solution, means: [Double], scales: [Double], dropped: [DroppedFeature],
    robustInference: Bool, l2: Double
  ) throws(ModelError) {
    let p = likelihood.columns
    let information = Matrix(rows: p, columns: p, columnMajor: solution.evaluation.information)
    let inverse: Matrix
    do { inverse = try Cholesky(information).inverse() } catch {
      throw .numericalFailure("the partial likelihood's information matrix is not positive definite at the optimum")
    }
    let residuals = FittedCox.scoreResiduals(likelihood, beta: solution.beta)
    // Row-major rows × p is column-major p × rows: Rᵀ, so the meat is RᵀR.
    let transposedResiduals = Matrix(rows: p, columns: table.rows, columnMajor: residuals)
    let meat = transposedResiduals.multiplied(by: transposedResiduals, transposeOther: true)
    let sandwich = inverse.multiplied(by: meat).multiplied(by: inverse)
    let beta = (0..<p).map { solution.beta[$0] / scales[$0] }
    let classical = (0..<p).map { a in (0..<p).map { b in inverse[a, b] / (scales[a] * scales[b]) } }
    let robust = (0..<p).map { a in (0..<p).map { b in sandwich[a, b] / (scales[a] * scales[b]) } }
    terms = (0..<p).map { j in
      let se = classical[j][j].squareRoot()
      let robustSE = robust[j][j].squareRoot()
      let used = robustInference ? robustSE : se
      let z = beta[j] / used
      return Term(
        name: table.names[j], coefficient: beta[j], standardError: se, robustStandardError: robustSE, z: z,
        pValue: erfc(abs(z) / 2.0.squareRoot()), lower95: beta[j] - 1.959963984540054 * used,
        upper95: beta[j] + 1.959963984540054 * used)
    }
    self.robustInference = robustInference
    self.l2 = l2
    covariance = classical
    robustCovariance = robust
    self.means = means
    (baselineDays, baselineCumulativeHazard) = FittedCox.breslow(likelihood, beta: solution.beta, table, order)
    rows = table.rows
    churns = table.churns
    longestFollowUp = table.durations.max() ?? 0
    // Without the penalty: the partial likelihood itself.
    logLikelihood = l2 > 0 ? likelihood.evaluate(solution.beta).value : solution.evaluation.value
    nullLogLikelihood = solution.nullLogLikelihood
    let eta = likelihood.linearPredictor(solution.beta)
    concordance =
      concordanceIndex(
        durations: order.map { table.durations[$0] }, scores: eta.map { -$0 }, churned: likelihood.churned) ?? .nan
    iterations = solution.iterations
    converged = solution.converged
    self.dropped = dropped
  }

  // MARK: - Prediction

  /// The log partial hazard relative to the mean profile, (x − x̄)·β, for
  /// values in `names` order.
  public func logPartialHazard(_ values: [Double]) -> Double {
    var s = 0.0
    for j in terms.indices { s += (values[j] - means[j]) * terms[j].coefficient }
    return s
  }

  /// The baseline cumulative hazard after `days`.
  public func baselineCumulativeHazard(at days: Double) -> Double {
    var lo = 0, hi = baselineDays.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if baselineDays[mid] <= days { lo = mid + 1 } else { hi = mid }
    }
    return lo == 0 ? 0 : baselineCumulativeHazard[lo - 1]
  }

  /// The probability that a customer with these values is still active
  /// after `days`; nil past the longest follow-up, where the data says
  /// nothing.
  public func survival(at days: Double, for values: [Double]) -> Double? {
    guard days <= longestFollowUp else { return nil }
    return exp(-baselineCumulativeHazard(at: days) * exp(logPartialHazard(values)))
  }

  /// The expected days active within the follow-up (the restricted mean:
  /// the area under the survival curve up to `limit`, at most and by
  /// default `longestFollowUp`; a customer the model expects to outlast
  /// the data counts the whole span).
  public func restrictedMeanDays(for values: [Double], upTo limit: Double? = nil) -> Double {
    let end = min(limit ?? longestFollowUp, longestFollowUp)
    let hazard = exp(logPartialHazard(values))
    var area = 0.0
    var from = 0.0
    var s = 1.0
    for (day, cumulative) in zip(baselineDays, baselineCumulativeHazard) where day <= end {
      area += s * (day - from)
      from = day
      s = exp(-cumulative * hazard)
    }
    return area + s * (end - from)
  }

  // MARK: - Pieces of the fit

  /// Each sorted row's score residual on the standardised scale (Lin and
  /// Wei's, with Breslow's increments over the true risk sets at tied times),
  /// row-major: rows × columns. Their cross-product is the sandwich's meat.
  static func scoreResiduals(_ likelihood: EfronPartialLikelihood, beta: [Double]) -> [Double] {
    let p = likelihood.columns
    let x = likelihood.x
    let eta = likelihood.linearPredictor(beta)
    let shift = eta.max() ?? 0
    let w = eta.map { exp($0 - shift) }
    // The risk set's sums at each tie, from a backward pass.
    var s0AtTie = [Double](repeating: 0, count: likelihood.ties.count)
    var s1AtTie = [Double](repeating: 0, count: likelihood.ties.count * p)
    var s0 = 0.0
    var s1 = [Double](repeating: 0, count: p)
    for (k, tie) in likelihood.ties.enumerated().reversed() {
      for r in tie {
        s0 += w[r]
        for a in 0..<p { s1[a] += w[r] * x[r * p + a] }
      }
      s0AtTie[k] = s0
      for a in 0..<p { s1AtTie[k * p + a] = s1[a] }
    }
    // Forward: cumulative hazard increments and their mean covariates.
    var residuals = [Double](repeating: 0, count: x.count)
    var hazard = 0.0
    var weighted = [Double](repeating: 0, count: p)
    for (k, tie) in likelihood.ties.enumerated() {
      let deaths = tie.reduce(0) { $0 + (likelihood.churned[$1] ? 1 : 0) }
      let s0 = s0AtTie[k]
      if deaths > 0 {
        hazard += Double(deaths) / s0
        for a in 0..<p { weighted[a] += Double(deaths) * s1AtTie[k * p + a] / (s0 * s0) }
      }
      for r in tie {
        for a in 0..<p {
          var value = -w[r] * (x[r * p + a] * hazard - weighted[a])
          if likelihood.churned[r] { value += x[r * p + a] - s1AtTie[k * p + a] / s0 }
          residuals[r * p + a] = value
        }
      }
    }
    return residuals
  }

  /// Breslow's baseline cumulative hazard at the mean covariates.
  private static func breslow(
    _ likelihood: EfronPartialLikelihood, beta: [Double], _ table: SurvivalTable, _ order: [Int]
  ) -> ([Double], [Double]) {
    let eta = likelihood.linearPredictor(beta)
    var atRisk = 0.0
    var increments: [(day: Double, hazard: Double)] = []
    for tie in likelihood.ties.reversed() {
      var deaths = 0
      for r in tie {
        atRisk += exp(eta[r])
        if likelihood.churned[r] { deaths += 1 }
      }
      if deaths > 0 { increments.append((table.durations[order[tie.lowerBound]], Double(deaths) / atRisk)) }
    }
    var cumulative = 0.0
    var days: [Double] = [], hazards: [Double] = []
    for (day, hazard) in increments.reversed() {
      cumulative += hazard
      days.append(day)
      hazards.append(cumulative)
    }
    return (days, hazards)
  }
}
