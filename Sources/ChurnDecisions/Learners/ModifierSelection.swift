import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// Chooses the features an action's effect varies with, among all of them:
/// a lasso on the interactions of the action (t, or the hazard learner's
/// exposure f) with every candidate feature, fitted on the rows where the
/// action works, with the learner's fit without modifiers as an input it
/// does not penalise (its linear predictor: the main effects stay as they
/// were fitted on every row). The penalty λ is chosen on customer folds by
/// held-out log-likelihood — the uplift log-likelihood, since only the
/// interactions vary. (The largest λ within one standard error of the
/// best, glmnet's `lambda.1se`, kept too little: on generated logs with
/// behaviour-dependent effects its plans reached 4–93% of the oracle's
/// value where the best λ's reached 68–104%; the empirical Bayes shrinkage
/// of each customer's effect tempers what noise the best λ lets in.)
///
/// The learner then refits itself with the kept modifiers, unpenalised by
/// the lasso, which gives their coefficients' standard errors.
struct ModifierSelection {
  /// The rows where the action works.
  struct Rows {
    /// The learner's log-odds without modifiers (the action's own effect included).
    var base: [Double] = []
    /// t (1) or the exposure f: what the features interact with.
    var multiplier: [Double] = []
    var x: [[Double]] = []
    var churned: [Double] = []
    var weights: [Double] = []
    var customers: [String] = []

    mutating func append(
      base b: Double, multiplier m: Double, x row: [Double], churned y: Bool, weight w: Double, customer: String
    ) {
      base.append(b)
      multiplier.append(m)
      x.append(row)
      churned.append(y ? 1 : 0)
      weights.append(w)
      customers.append(customer)
    }

    var count: Int { base.count }
  }

  /// What the selection found: the kept features (by position among the
  /// candidates' names, in feature order) and the path it chose on.
  struct Outcome {
    let kept: [Int]
    let lambda: Double
    let path: [(lambda: Double, kept: Int, heldOutLogLikelihood: Double)]
  }

  let names: [String]
  /// Features never offered (the treatment-history ones, which the hazard
  /// learner's design holds at zero).
  var excluded: Set<String> = []
  var folds = 5
  var pathLength = 10
  /// The smallest λ of the path as a share of the largest.
  var smallestRatio = 0.02
  var l2 = 1.0
  var seed: UInt64 = 42

  /// Needs this many rows with churn and without: fewer cannot tell a
  /// modifier from noise, and nothing is kept.
  static let minimumOutcomes = 30

  func select(_ rows: Rows) throws -> Outcome {
    let events = rows.churned.reduce(0, +)
    let candidates = names.indices.filter { j in
      !excluded.contains(names[j]) && rows.x.contains { $0[j] != rows.x[0][j] }
    }
    guard !candidates.isEmpty, events >= Double(Self.minimumOutcomes),
      Double(rows.count) - events >= Double(Self.minimumOutcomes)
    else { return Outcome(kept: [], lambda: .infinity, path: []) }
    let design = Matrix(
      rowMajor: rows.x.indices.map { i in [rows.base[i]] + candidates.map { rows.multiplier[i] * rows.x[i][$0] } })
    let columnNames = ["base"] + candidates.map { names[$0] }
    let lambdas = path(from: largestLambda(design, rows))
    let fold = CrossValidation(folds: folds, seed: seed).assignFolds(keys: rows.customers, labels: rows.churned)
    var perFold = Array(repeating: [Double](), count: lambdas.count)
    for k in 0..<folds {
      let train = rows.customers.indices.filter { fold[$0] != k }
      let test = rows.customers.indices.filter { fold[$0] == k }
      let trainY = train.map { rows.churned[$0] }
      guard !test.isEmpty, trainY.contains(0), trainY.contains(1) else { continue }
      let trainX = design.selectingRows(train), trainW = train.map { rows.weights[$0] }
      for (l, lambda) in lambdas.enumerated() {
        let fit = try estimator(lambda, columns: design.columns).fit(
          trainX, trainY, featureNames: columnNames, weights: trainW)
        let predictor = fit.predictor(over: columnNames)
        var total = 0.0, weight = 0.0
        for i in test {
          let p = min(max(predictor.probability(design.row(i)), 1e-12), 1 - 1e-12)
          total += rows.weights[i] * (rows.churned[i] == 1 ? log(p) : log(1 - p))
          weight += rows.weights[i]
        }
        perFold[l].append(total / weight)
      }
    }
    let means = perFold.map { $0.reduce(0, +) / Double(max($0.count, 1)) }
    // The λ with the best held-out log-likelihood (the largest of equals).
    let chosen = means.indices.max { (means[$0], -$0) < (means[$1], -$1) } ?? 0
    var path: [(lambda: Double, kept: Int, heldOutLogLikelihood: Double)] = []
    var kept: [Int] = []
    for (l, lambda) in lambdas.enumerated() where l <= chosen {
      let fit = try estimator(lambda, columns: design.columns).fit(
        design, rows.churned, featureNames: columnNames, weights: rows.weights)
      let nonzero = Set(fit.terms.dropFirst().filter { $0.name != "base" && $0.coefficient != 0 }.map(\.name))
      path.append((lambda, nonzero.count, means[l]))
      if l == chosen { kept = candidates.filter { nonzero.contains(names[$0]) } }
    }
    return Outcome(kept: kept, lambda: lambdas[chosen], path: path)
  }

  /// The lasso at `lambda` over `columns` columns, the first (the base) unpenalised.
  private func estimator(_ lambda: Double, columns: Int) -> LogisticRegression {
    var estimator = LogisticRegression(l2: l2)
    estimator.l1 = lambda
    estimator.penaltyFactors = [0] + Array(repeating: 1, count: columns - 1)
    return estimator
  }

  /// The smallest λ that keeps every interaction at zero: the largest
  /// gradient of a standardised interaction at the fit on the base alone.
  private func largestLambda(_ design: Matrix, _ rows: Rows) -> Double {
    let baseOnly = try? LogisticRegression(l2: 0).fit(
      design.selectingColumns([0]), rows.churned, featureNames: ["base"], weights: rows.weights)
    let residuals = (0..<design.rows).map { i in
      rows.weights[i] * ((baseOnly?.probability([design[i, 0]]) ?? 0.5) - rows.churned[i])
    }
    var largest = 0.0
    for j in 1..<design.columns {
      let column = design.column(j)
      let mean = column.reduce(0, +) / Double(column.count)
      let sd = (column.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(column.count)).squareRoot()
      guard sd > 0 else { continue }
      var g = 0.0
      for i in 0..<design.rows { g += residuals[i] * (column[i] - mean) / sd }
      largest = max(largest, abs(g))
    }
    // A little above, so that no coefficient is left a rounding error from zero at the top of the path.
    return max(largest * 1.001, 1e-6)
  }

  /// `pathLength` penalties from `largest` down to `smallestRatio` of it, evenly on the log scale.
  private func path(from largest: Double) -> [Double] {
    (0..<pathLength).map { k in largest * pow(smallestRatio, Double(k) / Double(max(pathLength - 1, 1))) }
  }
}
