#if canImport(Glibc)
  import Glibc
#endif

/// A logistic design whose rows stay where they are (a database table):
/// the fit sees only sums over them — moments, extremes, and at each
/// Newton step the loss, XᵀWX and Xᵀ(y − p) — never a row.
package protocol SummarisedLogisticDesign: ScreenedDesign where Failure == ModelError {
  associatedtype Objective: LogisticObjective
  /// Rows labelled 1.
  var positives: Int { get }
  /// The penalised loss over `columns`, each standardised by its mean and
  /// scale, with λ per term (the intercept's first, 0).
  func objective(columns: [Int], means: [Double], scales: [Double], l2PerTerm: [Double]) -> Objective
}

extension LogisticRegression {
  /// Fits the model to rows seen only through their sums: the same
  /// screen, standardisation, solver and inference as `fit(_:_:featureNames:)`
  /// on the same rows, so the coefficients agree to rounding. Rows are
  /// unweighted (no `classWeight`).
  package func fit<Design: SummarisedLogisticDesign>(
    summarised design: Design, featureNames: [String]
  ) throws(ModelError) -> LogisticRegressionFit {
    if let problem = validate().first { throw .configuration(problem) }
    precondition(classWeight == .none, "fit(summarised:): rows are unweighted")
    let n = design.rows
    guard n > 0 else { throw .noRows }
    let positives = design.positives
    if positives == 0 || positives == n { throw .singleClass(label: positives == 0 ? 0 : 1) }
    let screen = try FeatureScreen(design: design, featureNames: featureNames, penalised: l2 > 0 || l1 > 0)
    let kept = screensFeatures ? screen.kept : Array(featureNames.indices)
    let names = kept.map { featureNames[$0] }
    let factors = penaltyFactors.map { f in kept.map { f[$0] } }
    guard !names.isEmpty else { throw .noFeatureLeft(dropped: screen.dropped) }
    var warnings: [FitWarning] = []
    let events = min(positives, n - positives)
    if screensFeatures && l2 == 0 && l1 == 0 && events < 10 * names.count {
      warnings.append(.fewEventsPerFeature(events: events, features: names.count))
    }
    let means = standardize ? kept.map { screen.means[$0] } : kept.map { _ in 0 }
    let scales = standardize ? kept.map { screen.deviations[$0] > 0 ? screen.deviations[$0] : 1 } : kept.map { _ in 1 }
    let l2PerTerm = [0] + (factors ?? kept.map { _ in 1 }).map { l2 * $0 }
    let objective = design.objective(columns: kept, means: means, scales: scales, l2PerTerm: l2PerTerm)
    let rate = Double(positives) / Double(n)
    let outcome = try minimize(objective, baseRate: rate, names: names, factors: factors) { _ in false }
    let fitted = objective.logLikelihood(at: try objective.state(at: outcome.beta))
    let null = Double(positives) * log(rate) + Double(n - positives) * log(1 - rate)
    return try LogisticRegressionFit(
      outcome: outcome, rows: n, likelihood: (fitted, null), means: means, scales: scales, featureNames: names,
      l2: l2, l1: l1, standardized: standardize, dropped: screensFeatures ? screen.dropped : [], warnings: warnings)
  }
}
