import Foundation
import LinearAlgebra

/// Cox's proportional-hazards model: the estimator (configuration and fit).
/// Efron's method for tied churn times, Newton's method with a Cholesky
/// solve on LAPACK, step halving when a step would lower the partial
/// likelihood. Constant covariates and ones that are combinations of
/// others are set aside first, as the logistic fit does.
///
/// ```swift
/// let fit = try CoxProportionalHazards().fit(table)
/// fit.terms[0].hazardRatio   // e^β of the first covariate
/// fit.survival(at: 30, for: row)
/// ```
public struct CoxProportionalHazards: Sendable {
  public var maxIterations = 100
  /// Converged when no coefficient of the standardised covariates moves
  /// by more than this in a Newton step.
  public var tolerance = 1e-10
  /// Whether the terms' z, p and intervals use the robust (sandwich)
  /// standard errors instead of the inverse information.
  public var robustInference = false
  /// Ridge penalty (l2/2)·‖β‖² on the standardised coefficients, in total
  /// as the logistic fit's (lifelines' `penalizer` is per row: l2 / rows):
  /// it keeps every coefficient finite; the inference is then not classical.
  public var l2 = 0.0
  /// The largest move of a standardised coefficient in one Newton step: a
  /// first step from 0 can overshoot far when a feature barely varies
  /// within the risk sets.
  static let maxStep = 5.0

  public init() {}

  public func fit(_ table: SurvivalTable) throws(ModelError) -> FittedCox {
    guard table.rows > 0 else { throw .noRows }
    guard table.churns > 0 else { throw .singleClass(label: 0) }
    let screen = FeatureScreen(
      x: table.covariates, y: table.churned.map { $0 ? 1 : 0 }, weights: .init(repeating: 1, count: table.rows),
      featureNames: table.names, penalised: false, checksSeparation: false)
    var kept = screen.kept
    var dropped = screen.dropped
    while true {
      guard !kept.isEmpty else { throw .noFeatureLeft(dropped: dropped) }
      let table = table.selectingColumns(kept)
      let (means, deviations) = columnMoments(of: table.covariates)
      let order = table.durations.indices.sorted { table.durations[$0] < table.durations[$1] }
      let n = table.rows
      let likelihood = EfronPartialLikelihood(
        rows: order, durations: table.durations, churned: table.churned, columns: table.names.count
      ) { i, j in (table.covariates.storage[j * n + i] - means[j]) / deviations[j] }
      let solution = newton(likelihood)
      if solution.runsAway, let more = CoxProportionalHazards.setAside(table, solution) {
        // Refit without the features the partial likelihood cannot estimate.
        for (j, feature) in more.sorted(by: { $0.position > $1.position }) {
          dropped.append(feature)
          kept.remove(at: j)
        }
        continue
      }
      guard solution.usable else {
        throw .numericalFailure(
          "the partial likelihood's information matrix is not positive definite (features nearly collinear within the risk sets): a ridge penalty, e.g. --l2 0.1, keeps the fit finite"
        )
      }
      return try FittedCox(
        table: table, order: order, likelihood: likelihood, solution: solution, means: means, scales: deviations,
        dropped: dropped, robustInference: robustInference, l2: l2)
    }
  }

  /// A standardised coefficient beyond this (a hazard ratio of e¹⁰ per
  /// standard deviation) is a likelihood without a maximum, not an estimate.
  static let divergence = 10.0
  /// In a fit that runs away, a feature whose 1 − R² on the features
  /// before it is at most this is treated as aliased (VIF ≥ 10⁵).
  static let nearAliasTolerance = 1e-5

  /// Which features of a fit that runs away to set aside, in this order of
  /// causes: near-combinations of earlier features (the partial likelihood
  /// rises without end along their difference), combinations within the
  /// risk sets (the information matrix is singular), and a single feature
  /// whose coefficient grows without bound (monotone likelihood).
  static func setAside(_ table: SurvivalTable, _ solution: Solution) -> [(position: Int, feature: DroppedFeature)]? {
    let near = FeatureScreen(
      x: table.covariates, y: table.churned.map { $0 ? 1 : 0 }, weights: .init(repeating: 1, count: table.rows),
      featureNames: table.names, penalised: false, checksSeparation: false, aliasTolerance: nearAliasTolerance)
    if !near.dropped.isEmpty {
      let kept = Set(near.kept)
      let positions = table.names.indices.filter { !kept.contains($0) }
      return Array(zip(positions, near.dropped))
    }
    if !solution.usable, !solution.unidentified.isEmpty {
      // The information also turns singular when a coefficient runs off
      // (the risk sets' weight piles onto a few customers): a large one is
      // a monotone likelihood, a small one a combination of the others.
      return solution.unidentified.map { j in
        let beta = solution.beta[j]
        let monotone = abs(beta) >= divergence / 2
        return (
          j,
          DroppedFeature(
            name: table.names[j], reason: monotone ? .monotone : .unidentified,
            constant: monotone ? (beta < 0 ? -1 : 1) : 0)
        )
      }
    }
    guard let j = solution.beta.indices.max(by: { abs(solution.beta[$0]) < abs(solution.beta[$1]) }),
      abs(solution.beta[j]) > divergence
    else { return nil }
    return [(j, DroppedFeature(name: table.names[j], reason: .monotone, constant: solution.beta[j] < 0 ? -1 : 1))]
  }

  struct Solution {
    var beta: [Double]
    var evaluation: EfronPartialLikelihood.Evaluation
    var nullLogLikelihood: Double
    var iterations: Int
    var converged: Bool
    /// False when the information matrix stopped being positive definite.
    var usable = true
    /// Then: the columns that are combinations of earlier ones in it.
    var unidentified: [Int] = []

    /// Did not converge, and either the information became singular or a
    /// coefficient went past `divergence`.
    var runsAway: Bool {
      !converged && (!usable || beta.contains { abs($0) > CoxProportionalHazards.divergence })
    }
  }

  /// Newton's method from β = 0, halving steps that would lower the
  /// partial likelihood; stops early when a coefficient runs away.
  private func newton(_ likelihood: EfronPartialLikelihood) -> Solution {
    let p = likelihood.columns
    var beta = [Double](repeating: 0, count: p)
    let evaluate = { (beta: [Double]) in self.penalised(likelihood.evaluate(beta), beta) }
    var current = evaluate(beta)
    var solution = Solution(
      beta: beta, evaluation: current, nullLogLikelihood: current.value, iterations: 0, converged: false)
    for iteration in 1...maxIterations {
      solution.iterations = iteration
      let information = Matrix(rows: p, columns: p, columnMajor: current.information)
      guard let step = try? Cholesky(information).solve(current.gradient) else {
        solution.usable = false
        solution.unidentified = ColumnDependence(gram: information).dependent.map(\.column)
        return solution
      }
      let longest = step.map(abs).max() ?? 0
      var scale = longest > CoxProportionalHazards.maxStep ? CoxProportionalHazards.maxStep / longest : 1
      while true {
        let trial = zip(beta, step).map { $0 + scale * $1 }
        let next = evaluate(trial)
        if next.value.isFinite && next.value >= current.value - 1e-12 * abs(current.value) {
          beta = trial
          current = next
          break
        }
        scale /= 2
        guard scale > 1e-10 else { return solution }
      }
      (solution.beta, solution.evaluation) = (beta, current)
      if step.allSatisfy({ abs(scale * $0) <= tolerance }) {
        solution.converged = true
        return solution
      }
      if beta.contains(where: { abs($0) > 2 * CoxProportionalHazards.divergence }) { return solution }
    }
    return solution
  }

  /// The evaluation with the ridge penalty taken off the value and its
  /// derivatives.
  private func penalised(_ e: EfronPartialLikelihood.Evaluation, _ beta: [Double]) -> EfronPartialLikelihood.Evaluation
  {
    guard l2 > 0 else { return e }
    var e = e
    let p = beta.count
    for j in 0..<p {
      e.value -= l2 / 2 * beta[j] * beta[j]
      e.gradient[j] -= l2 * beta[j]
      e.information[j * p + j] += l2
    }
    return e
  }
}
