/// Why a model could not be fitted. Each case says what to change.
public enum ModelError: Error, Equatable, CustomStringConvertible {
  case noRows
  case singleClass(label: Double)
  case invalidLabel(row: Int, value: Double)
  case rankDeficient(column: Int)
  case constantColumn(name: String)
  case collinearColumn(name: String)
  case numericalFailure(String)
  /// A setting of the estimator that cannot work.
  case configuration(ConfigurationError)
  /// Cross-validation found no penalty of its grid that fits on every fold.
  case noPenaltyFitsEveryFold
  /// Every feature was constant or aliased.
  case noFeatureLeft(dropped: [DroppedFeature])
  /// Newton stopped at its iteration limit.
  case notConverged(iterations: Int)
  /// A combination of features separates the labels: fitted probabilities
  /// reached 0 or 1 (|η| > 23) and the likelihood has no finite maximum.
  case separated(iterations: Int, saturatedRows: Int)
  /// The rows' summaries could not be read (a database query failed).
  case summaries(String)

  public var description: String {
    switch self {
    case .noRows: return "no rows to fit"
    case .singleClass(let label):
      return "every label is \(label): a churn model needs both churned (1) and retained (0) customers"
    case .invalidLabel(let row, let value): return "row \(row): label \(value) is not 0 or 1"
    case .rankDeficient(let column): return "the design matrix is rank deficient at column \(column)"
    case .constantColumn(let name):
      return "feature '\(name)' is constant: drop it, or add an L2 penalty (--l2)"
    case .collinearColumn(let name):
      return "feature '\(name)' is a linear combination of the features before it: drop it, or add an L2 penalty (--l2)"
    case .numericalFailure(let what): return "numerical failure: \(what)"
    case .summaries(let what): return what
    case .configuration(let problem): return problem.description
    case .noPenaltyFitsEveryFold:
      return "cross-validation could not fit any penalty of the grid on every fold"
    case .notConverged(let n):
      return
        "the fit did not converge in \(n) Newton iterations, so its coefficients are not the maximum-likelihood ones: add an L2 penalty (--l2 1, or --cv 5), raise --max-iterations, or pass --allow-unconverged to save it anyway"
    case .separated(let iterations, let rows):
      return
        "a combination of features separates the labels: after \(iterations) Newton steps \(rows) rows have a fitted probability of 0 or 1, and the unpenalised likelihood has no finite maximum. Add an L2 penalty (--l2 1, or --cv 5 to choose it), or drop the features that give the label away"
    case .noFeatureLeft(let dropped):
      let reasons = dropped.prefix(3).map { "\($0.name) \($0.description)" }.joined(separator: "; ")
      return "no feature is left to fit: \(reasons)\(dropped.count > 3 ? "; …" : "")"
    }
  }
}

/// Something the user should know about a fit that still produced a model.
public enum FitWarning: Equatable, Sendable, CustomStringConvertible, Codable {
  case notConverged(iterations: Int)
  case separation(features: [String])
  case penalisedInference
  /// Fewer than 10 events of the rarer class per fitted feature.
  case fewEventsPerFeature(events: Int, features: Int)

  public var description: String {
    switch self {
    case .notConverged(let n):
      return "Newton did not converge in \(n) iterations; the coefficients may be inaccurate"
    case .separation(let names):
      return
        "perfect or quasi-perfect separation: coefficients of \(names.joined(separator: ", ")) run away; add an L2 penalty (--l2) or drop them"
    case .penalisedInference:
      return
        "with a penalty the standard errors, p-values and intervals are not classical (they come from the penalised Hessian)"
    case .fewEventsPerFeature(let events, let features):
      let ratio = String(format: "%.1f", Double(events) / Double(max(features, 1)))
      return
        "\(events) events of the rarer outcome for \(features) features (\(ratio) per feature, fewer than 10): the coefficients may be unstable and the fit optimistic; add an L2 penalty (--l2, or --cv 5 to choose it) or use fewer features (a spec with fewer windows or event types)"
    }
  }
}
