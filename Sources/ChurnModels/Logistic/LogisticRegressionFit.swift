import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// A fitted logistic regression: coefficients on the original scale of the
/// features, and their inference (standard errors from the inverse Hessian,
/// Wald z and p-values, 95% intervals, odds ratios), as statsmodels'
/// `LogitResults` reports them.
public struct LogisticRegressionFit: Sendable, Codable {
  /// One row of the coefficient table.
  public struct Term: Sendable, Codable, Equatable {
    public let name: String
    public let coefficient: Double
    public let standardError: Double
    public let z: Double
    public let pValue: Double
    public let lower95: Double
    public let upper95: Double
    public let oddsRatio: Double
  }

  /// The intercept first ("(intercept)"), then one term per feature.
  public let terms: [Term]
  /// Covariance of the terms' coefficients, row-major, intercept first.
  public let covariance: [[Double]]
  /// The standardisation used in fitting (means 0 and scales 1 when none).
  public let means: [Double]
  public let scales: [Double]
  public let l2: Double
  public let l1: Double
  public let rows: Int
  public let logLikelihood: Double
  public let nullLogLikelihood: Double
  public let iterations: Int
  public let converged: Bool
  public let warnings: [FitWarning]
  /// Features left out before fitting (constant, or aliased with features
  /// before them), in their input order; nil when none was.
  public let dropped: [DroppedFeature]?

  /// McFadden's pseudo-R²: 1 − logL / logL₀.
  public var pseudoRSquared: Double { 1 - logLikelihood / nullLogLikelihood }
  /// Akaike's information criterion: 2k − 2 logL.
  public var aic: Double { 2 * Double(terms.count) - 2 * logLikelihood }
  public var intercept: Double { terms[0].coefficient }
  public var coefficients: [Double] { terms.dropFirst().map(\.coefficient) }
  public var featureNames: [String] { terms.dropFirst().map(\.name) }

  /// The churn probability of one feature vector (original scale).
  public func probability(_ features: [Double]) -> Double {
    logistic(logOdds(features))
  }

  /// Intercept + Σ βⱼ xⱼ over the given features (original scale); a
  /// shorter vector leaves the later terms out.
  public func logOdds(_ features: [Double]) -> Double {
    var eta = terms[0].coefficient
    for j in 0..<min(features.count, terms.count - 1) { eta += terms[j + 1].coefficient * features[j] }
    return eta
  }

  /// The fit laid out over `names`, the columns of the design it was given
  /// (or any list that holds its features): a dropped feature weighs 0.
  public func predictor(over names: [String]) -> LinearPredictor {
    let position = Dictionary(featureNames.enumerated().map { ($1, $0 + 1) }, uniquingKeysWith: { first, _ in first })
    return LinearPredictor(
      intercept: intercept, coefficients: names.map { position[$0].map { terms[$0].coefficient } ?? 0 })
  }

  /// - Parameters:
  ///   - likelihood: the fit's log-likelihood and the intercept-only
  ///     model's, over `rows` rows.
  init(
    outcome: NewtonCholeskySolver.Outcome, rows: Int, likelihood: (fitted: Double, null: Double), means: [Double],
    scales: [Double], featureNames: [String], l2: Double, l1: Double, standardized: Bool,
    dropped: [DroppedFeature] = [], warnings screeningWarnings: [FitWarning] = []
  ) throws(ModelError) {
    self.dropped = dropped.isEmpty ? nil : dropped
    let p = featureNames.count
    let gamma = outcome.beta
    // Back to the original scale: β = A γ with A = [[1, −m/s], [0, diag(1/s)]].
    var a = Matrix.identity(p + 1)
    for j in 0..<p {
      a[0, j + 1] = -means[j] / scales[j]
      a[j + 1, j + 1] = 1 / scales[j]
    }
    let beta = a.multiplied(by: gamma)
    let covarianceStandardized: Matrix
    do {
      covarianceStandardized = try Cholesky(outcome.hessian).inverse()
    } catch {
      throw .numericalFailure("the Hessian at the optimum cannot be inverted (\(error))")
    }
    let cov = a.multiplied(by: covarianceStandardized).multiplied(by: a, transposeOther: true)
    let names = ["(intercept)"] + featureNames
    let z95 = 1.959963984540054
    terms = (0...p).map { j in
      let se = cov[j, j].squareRoot()
      let z = beta[j] / se
      return Term(
        name: names[j], coefficient: beta[j], standardError: se, z: z, pValue: erfc(abs(z) / 2.0.squareRoot()),
        lower95: beta[j] - z95 * se, upper95: beta[j] + z95 * se, oddsRatio: exp(beta[j]))
    }
    covariance = cov.rowList
    self.means = means
    self.scales = scales
    self.l2 = l2
    self.l1 = l1
    self.rows = rows
    logLikelihood = likelihood.fitted
    nullLogLikelihood = likelihood.null
    iterations = outcome.iterations
    converged = outcome.converged
    var warnings = screeningWarnings + outcome.warnings
    // Coefficients this large on the standardised scale mean the classes are
    // (almost) separable along those features.
    let runaway = (0..<p).filter { abs(gamma[$0 + 1]) > 15 }.map { featureNames[$0] }
    if !runaway.isEmpty { warnings.append(.separation(features: runaway)) }
    if l2 > 0 || l1 > 0 { warnings.append(.penalisedInference) }
    self.warnings = warnings
  }
}

/// Intercept + Σ βⱼ xⱼ over a fixed list of columns, some of which may
/// weigh nothing (features a fit dropped).
public struct LinearPredictor: Sendable, Equatable {
  public let intercept: Double
  public let coefficients: [Double]

  public func logOdds(_ features: [Double]) -> Double {
    var eta = intercept
    for j in 0..<min(features.count, coefficients.count) { eta += coefficients[j] * features[j] }
    return eta
  }

  public func probability(_ features: [Double]) -> Double { logistic(logOdds(features)) }
}
