import LinearAlgebra

#if canImport(Glibc)
  import Glibc
#endif

/// Logistic regression fitted by Newton's method with Cholesky solves
/// through the system BLAS and LAPACK: the estimator (its options) — `fit`
/// returns a `LogisticRegressionFit` with the coefficients and inference.
///
/// The objective is Σ wᵢ logloss + (λ/2)‖β‖², the intercept unpenalised.
/// With `standardize` (the default) each feature is centred and scaled by
/// its standard deviation before fitting (the penalty then applies on that
/// scale, as in glmnet), and coefficients are reported on the original scale.
///
/// `classWeight: .balanced` weights each row by n / (2 · rows of its class),
/// as scikit-learn's `class_weight="balanced"`, so rare churners count as
/// much as the many who stay.
///
/// ```swift
/// let fit = try LogisticRegression(l2: 0).fit(x, y, featureNames: ["tenure", "tickets"])
/// fit.terms[1].oddsRatio
/// ```
public struct LogisticRegression: Sendable {
  /// How rows are weighted by class.
  public enum ClassWeight: String, Sendable, CaseIterable {
    case none
    case balanced
  }

  /// L2 penalty λ on the (standardised) coefficients; 0 for plain maximum likelihood.
  public var l2: Double
  /// L1 penalty a: the objective gains a‖β‖₁ (elastic net with `l2`).
  public var l1: Double = 0
  /// Per feature, the factor both penalties are multiplied by (glmnet's
  /// `penalty.factor`): 0 leaves a feature unpenalised, as main effects
  /// are while their interactions are selected. nil: 1 for every feature.
  public var penaltyFactors: [Double]?
  public var classWeight: ClassWeight = .none
  public var standardize: Bool
  public var maxIterations: Int
  /// Screen the features before fitting: constant ones are left out of the
  /// fit and listed in `LogisticRegressionFit.dropped`, and without a
  /// penalty, as R's `glm` does, so are those that are linear combinations
  /// of features before them (with what each equals) and those that alone
  /// separate the labels (their coefficients would be infinite); a fit with
  /// fewer than 10 events of the rarer class per feature is warned about when unpenalised. Off, such a design fails the
  /// fit unless a penalty makes it estimable.
  public var screensFeatures = true

  public init(l2: Double = 0, standardize: Bool = true, maxIterations: Int = 100) {
    self.l2 = l2
    self.standardize = standardize
    self.maxIterations = maxIterations
  }

  /// What is wrong with the options, before any fitting.
  public func validate() -> [ConfigurationError] {
    var problems: [ConfigurationError] = []
    if !(l2 >= 0) || !l2.isFinite { problems.append(.penalty(name: "L2", value: l2)) }
    if !(l1 >= 0) || !l1.isFinite { problems.append(.penalty(name: "L1", value: l1)) }
    if maxIterations < 1 { problems.append(.iterationLimit(maxIterations)) }
    if let factors = penaltyFactors, let bad = factors.first(where: { !($0 >= 0) || !$0.isFinite }) {
      problems.append(.penalty(name: "penalty factor", value: bad))
    }
    return problems
  }

  /// Fits the model to `x` (n × p, one column per feature, no intercept
  /// column) and 0/1 labels `y`.
  ///
  /// - Throws: `ModelError` for labels that are not 0/1 or all alike, when
  ///   no feature is left to fit, and (without `screensFeatures`) for
  ///   constant or collinear features (by name, with the remedy).
  /// - Complexity: O(n · p²) per Newton iteration.
  public func fit(
    _ x: Matrix, _ y: [Double], featureNames: [String], weights: [Double]? = nil
  ) throws(ModelError) -> LogisticRegressionFit {
    // The loss splits its work over the cores itself; one BLAS thread per
    // part keeps the two kinds of parallelism from fighting, and holding it
    // for the whole fit (inference included) makes the result independent
    // of whatever else the process does with BLAS.
    let result = BLASLibrary.withThreadCount(1) { () -> Result<LogisticRegressionFit, ModelError> in
      do throws(ModelError) {
        return .success(try fitWithOneBLASThread(x, y, featureNames: featureNames, weights: weights))
      } catch {
        return .failure(error)
      }
    }
    return try result.get()
  }

  private func fitWithOneBLASThread(
    _ x: Matrix, _ y: [Double], featureNames: [String], weights: [Double]?
  ) throws(ModelError) -> LogisticRegressionFit {
    if let problem = validate().first { throw .configuration(problem) }
    let n = x.rows
    precondition(y.count == n && featureNames.count == x.columns, "fit: shapes do not match")
    guard n > 0 else { throw .noRows }
    for (i, v) in y.enumerated() where v != 0 && v != 1 { throw .invalidLabel(row: i, value: v) }
    if y.allSatisfy({ $0 == y[0] }) { throw .singleClass(label: y[0]) }
    var w = weights ?? Array(repeating: 1, count: n)
    if classWeight == .balanced {
      let positives = y.reduce(0, +)
      let perClass = [Double(n) / (2 * (Double(n) - positives)), Double(n) / (2 * positives)]
      for i in 0..<n { w[i] *= perClass[Int(y[i])] }
    }
    precondition(penaltyFactors.map { $0.count == x.columns } ?? true, "fit: one penalty factor per feature")
    var design = x
    var names = featureNames
    var factors = penaltyFactors
    var dropped: [DroppedFeature] = []
    var warnings: [FitWarning] = []
    if screensFeatures {
      let screen = FeatureScreen(x: x, y: y, weights: w, featureNames: featureNames, penalised: l2 > 0 || l1 > 0)
      if !screen.dropped.isEmpty {
        design = x.selectingColumns(screen.kept)
        names = screen.kept.map { featureNames[$0] }
        factors = penaltyFactors.map { f in screen.kept.map { f[$0] } }
        dropped = screen.dropped
      }
      guard !names.isEmpty else { throw .noFeatureLeft(dropped: dropped) }
      // A penalty is the remedy this warning gives, so only an unpenalised
      // fit hears it.
      let events = rarerClassCount(y)
      if l2 == 0 && l1 == 0 && events < 10 * names.count {
        warnings.append(.fewEventsPerFeature(events: events, features: names.count))
      }
    }
    let (means, scales) = standardization(of: design)
    let loss = LogisticLoss(
      x: design, y: y, weights: w, l2: l2, means: means, scales: scales, penaltyFactors: factors)
    let rate = zip(y, w).reduce(0) { $0 + $1.0 * $1.1 } / w.reduce(0, +)
    let outcome = try minimize(loss, baseRate: rate, names: names, factors: factors) { column in
      design.storage[(column * n)..<((column + 1) * n)].allSatisfy { $0 == design.storage[column * n] }
    }
    // Intercept-only model: p̄ = weighted base rate.
    let null = zip(y, w).reduce(0) { $0 + $1.1 * ($1.0 * log(rate) + (1 - $1.0) * log(1 - rate)) }
    return try LogisticRegressionFit(
      outcome: outcome, rows: n, likelihood: (loss.logLikelihood(eta: loss.linearPredictor(outcome.beta)), null),
      means: means, scales: scales, featureNames: names, l2: l2, l1: l1, standardized: standardize,
      dropped: dropped, warnings: warnings)
  }

  /// Newton (or proximal Newton with an L1 penalty) from the base rate's
  /// log-odds; a design found rank deficient is reported by the feature's
  /// name (`isConstant(j)`: whether fitted feature j is constant).
  func minimize<Loss: LogisticObjective>(
    _ loss: Loss, baseRate rate: Double, names: [String], factors: [Double]?, isConstant: (Int) -> Bool
  ) throws(ModelError) -> NewtonCholeskySolver.Outcome {
    var start = [Double](repeating: 0, count: names.count + 1)
    start[0] = log(rate / (1 - rate))
    do throws(ModelError) {
      return l1 > 0
        ? try ProximalNewtonSolver(l1: l1, penaltyFactors: factors, maxIterations: maxIterations).minimize(
          loss, start: start)
        : try NewtonCholeskySolver(maxIterations: maxIterations).minimize(loss, start: start)
    } catch {
      if case .rankDeficient(let column) = error {
        let name = column == 0 ? "(intercept)" : names[column - 1]
        throw column > 0 && isConstant(column - 1) ? .constantColumn(name: name) : .collinearColumn(name: name)
      }
      throw error
    }
  }

  /// Centre and scale (population standard deviation, as scikit-learn's
  /// StandardScaler), or leave the columns as they are. X is never copied:
  /// the loss standardises on the fly.
  private func standardization(of x: Matrix) -> (means: [Double], scales: [Double]) {
    guard standardize else {
      return ([Double](repeating: 0, count: x.columns), [Double](repeating: 1, count: x.columns))
    }
    let (means, deviations) = columnMoments(of: x)
    return (means, deviations.map { $0 > 0 ? $0 : 1 })
  }

}
