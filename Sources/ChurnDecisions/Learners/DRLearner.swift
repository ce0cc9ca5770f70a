import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// The doubly robust learner (AIPW, the "DR-learner"): per action, on its
/// treated rows and the eligible controls, cross-fitted nuisance models —
/// churn without the action μ₀(x), with it μₐ(x), and the propensity e(x) —
/// give each row the pseudo-outcome
///
/// ```
/// ψ = μ₀(x) − μₐ(x) + (1 − t)(y − μ₀(x)) / (1 − e(x)) − t (y − μₐ(x)) / e(x)
/// ```
///
/// whose mean given x is the churn the action prevents whenever either the
/// outcome models or the propensity are right; ψ is then regressed on the
/// features with a lasso (λ by held-out squared error on the same customer
/// folds) and refitted on the features it keeps, with heteroskedasticity-
/// robust standard errors. Each row's nuisance figures come from models
/// fitted without its customer's fold, so its own outcome never flatters
/// it. Valid with `--assignment observational` as with random assignment.
struct DRLearner: UpliftLearner {
  static let folds = 5
  /// Propensities are clipped to [clip, 1 − clip] in the pseudo-outcome.
  static let propensityClip = 0.01

  func fit(_ data: UpliftFitData) throws -> FittedLearner {
    var fitted = DRLearnerFit(control: try data.fitOutcome(data.controls), effects: [])
    for a in 0..<data.actions {
      guard let (_, rows) = data.actionRows(a) else {
        fitted.effects.append(nil)
        continue
      }
      let pseudo = try pseudoOutcomes(a, rows, data)
      fitted.pseudoOutcomes += pseudo
      fitted.effects.append(try LinearEffect.fit(rows: rows, pseudo: pseudo, data: data))
    }
    try fitted.bind(features: data.names)
    return .dr(fitted)
  }

  /// Each row's nuisance figures from models fitted on the other folds, and its pseudo-outcome.
  func pseudoOutcomes(_ a: Int, _ rows: [UpliftTrainer.Row], _ data: UpliftFitData) throws -> [PseudoOutcome] {
    let fold = CrossValidation(folds: Self.folds, seed: data.seed).assignFolds(
      keys: rows.map(\.customer), labels: rows.map { $0.churned ? 1 : 0 })
    var result = [PseudoOutcome?](repeating: nil, count: rows.count)
    for k in 0..<Self.folds {
      let train = rows.indices.filter { fold[$0] != k }.map { rows[$0] }
      let test = rows.indices.filter { fold[$0] == k }
      guard !test.isEmpty else { continue }
      let treated = train.filter { $0.action == a }, controls = train.filter { $0.action != a }
      let withoutAction = try nuisance(controls.map(\.x), controls.map { $0.churned ? 1 : 0 }, data)
      let withAction = try nuisance(treated.map(\.x), treated.map { $0.churned ? 1 : 0 }, data)
      let propensity = try nuisance(train.map(\.x), train.map { $0.action == a ? 1 : 0 }, data)
      for i in test {
        let row = rows[i]
        let e = min(max(propensity(row.x), Self.propensityClip), 1 - Self.propensityClip)
        result[i] = PseudoOutcome(
          customer: row.customer, action: a, fold: k, treated: row.action == a, churned: row.churned,
          churnWithout: withoutAction(row.x), churnWith: withAction(row.x), propensity: e,
          features: row.x)
      }
    }
    return result.map { $0! }
  }

  /// A nuisance model of 0/1 `y` over the features, unweighted (the
  /// pseudo-outcome does the weighting); where a fold's rows are all of
  /// one class (a rare action's few treated without a churn) no model can
  /// be fitted, and the smoothed rate (k + ½)/(n + 1) stands in.
  private func nuisance(_ x: [[Double]], _ y: [Double], _ data: UpliftFitData) throws -> @Sendable ([Double]) -> Double
  {
    let events = y.reduce(0, +)
    guard events > 0, events < Double(y.count) else {
      let rate = (events + 0.5) / (Double(y.count) + 1)
      return { _ in rate }
    }
    let fit = try data.estimator.fit(Matrix(rowMajor: x), y, featureNames: data.names)
    return { fit.probability($0) }
  }
}

/// One row's cross-fitted nuisance figures and its AIPW pseudo-outcome.
public struct PseudoOutcome: Sendable {
  public let customer: String
  public let action: Int
  /// The fold its nuisance models were fitted without.
  public let fold: Int
  public let treated: Bool
  public let churned: Bool
  /// μ₀(x), μₐ(x), e(x) (clipped).
  public let churnWithout: Double
  public let churnWith: Double
  public let propensity: Double
  /// The row's features (shared with the training row, not copied).
  public let features: [Double]

  /// ψ: the churn the action prevents for this row, doubly robust.
  public var value: Double {
    let y = churned ? 1.0 : 0.0
    return churnWithout - churnWith
      + (treated ? -(y - churnWith) / propensity : (y - churnWithout) / (1 - propensity))
  }
}

extension PseudoOutcome {
  /// The rows as CSV: who, which action, the fold left out of their
  /// nuisance models, t, y, μ₀, μₐ, e, ψ and the features.
  public static func csvText(_ rows: [PseudoOutcome], actions: [String], features: [String]) -> String {
    var text =
      "customer_id,action,fold,treated,churned,churn_without,churn_with,propensity,pseudo_outcome,"
      + features.map(CSVFormatting.escape).joined(separator: ",") + "\n"
    for r in rows {
      text +=
        "\(CSVFormatting.escape(r.customer)),\(CSVFormatting.escape(actions[r.action])),\(r.fold),\(r.treated ? 1 : 0),\(r.churned ? 1 : 0),\(r.churnWithout),\(r.churnWith),\(r.propensity),\(r.value),"
        + r.features.map { "\($0)" }.joined(separator: ",") + "\n"
    }
    return text
  }
}

/// An action's effect on churn (the churn it prevents) as a linear function
/// of the features it varies with, and the coefficients' covariance.
public struct LinearEffect: Sendable, Codable, Equatable {
  public var features: [String]
  public var intercept: Double
  public var coefficients: [Double]
  /// Covariance of (intercept, coefficients…): heteroskedasticity-robust (HC0).
  public var covariance: [[Double]]
  /// The lasso penalty that chose the features.
  public var lambda: Double

  /// The estimate for x (positions of `features` in x given) and its variance cᵀΣc.
  func estimate(_ x: [Double], columns: [Int]) -> (effect: Double, variance: Double) {
    let c = [1.0] + columns.map { x[$0] }
    var effect = 0.0, variance = 0.0
    for i in c.indices {
      effect += (i == 0 ? intercept : coefficients[i - 1]) * c[i]
      for j in c.indices { variance += c[i] * c[j] * covariance[i][j] }
    }
    return (effect, max(variance, 0))
  }

  /// The lasso of the pseudo-outcomes on the features, λ by held-out squared
  /// error on customer folds, then the least-squares refit on what it keeps.
  static func fit(rows: [UpliftTrainer.Row], pseudo: [PseudoOutcome], data: UpliftFitData) throws -> LinearEffect {
    let x = Matrix(rowMajor: rows.map(\.x)), y = pseudo.map(\.value)
    let fold = pseudo.map(\.fold)
    let whole = PenalisedLeastSquares.Moments(x, y, weights: Array(repeating: 1, count: rows.count))
    let largest = whole.largestL1 * 1.001
    let path = (0..<10).map { largest * pow(0.02, Double($0) / 9) }
    var errors = [Double](repeating: 0, count: path.count)
    for k in 0..<DRLearner.folds {
      let train = rows.indices.filter { fold[$0] != k }, test = rows.indices.filter { fold[$0] == k }
      guard !train.isEmpty, !test.isEmpty else { continue }
      let moments = PenalisedLeastSquares.Moments(
        x.selectingRows(train), train.map { y[$0] }, weights: Array(repeating: 1, count: train.count))
      var start: [Double]? = nil
      for (l, lambda) in path.enumerated() {
        let solver = PenalisedLeastSquares(l1: lambda, l2: data.estimator.l2)
        let gamma = solver.solve(moments, start: start)
        start = gamma
        let fit = PenalisedLeastSquares.originalScale(gamma, moments)
        for i in test {
          let r = y[i] - fit.predict(rows[i].x)
          errors[l] += r * r
        }
      }
    }
    let chosen = errors.indices.min { (errors[$0], $0) < (errors[$1], $1) } ?? 0
    let lasso = PenalisedLeastSquares(l1: path[chosen], l2: data.estimator.l2).fit(whole)
    var kept = lasso.coefficients.indices.filter { lasso.coefficients[$0] != 0 }
    // More kept features than the rows can estimate: the action's mean effect alone.
    if kept.count + 2 > rows.count { kept = [] }
    var effect: LinearEffect
    do { effect = try refit(x, y, kept: kept) } catch {
      kept = []
      effect = try refit(x, y, kept: [])
    }
    effect.features = kept.map { data.names[$0] }
    effect.lambda = path[chosen]
    return effect
  }

  /// Least squares of y on an intercept and the `kept` columns of x, with
  /// the sandwich covariance (XᵀX)⁻¹ (Σ eᵢ² xᵢxᵢᵀ) (XᵀX)⁻¹.
  static func refit(_ x: Matrix, _ y: [Double], kept: [Int]) throws -> LinearEffect {
    let n = x.rows, k = kept.count + 1
    var design = Matrix(rows: n, columns: k)
    for i in 0..<n { design[i, 0] = 1 }
    for (c, j) in kept.enumerated() { for i in 0..<n { design[i, c + 1] = x[i, j] } }
    var gram = Matrix(rows: k, columns: k)
    Matrix.accumulateGram(of: design, into: &gram, alpha: 1, beta: 0)
    gram.symmetrizeFromLower()
    let inverse: Matrix
    do {
      inverse = try Cholesky(gram).inverse()
    } catch {
      // Near-aliased kept features: a hair of ridge, relative to each column's own scale.
      for j in 1..<k { gram[j, j] *= 1 + 1e-9 }
      inverse = try Cholesky(gram).inverse()
    }
    var xty = [Double](repeating: 0, count: k)
    for c in 0..<k { for i in 0..<n { xty[c] += design[i, c] * y[i] } }
    let beta = (0..<k).map { r in (0..<k).reduce(0) { $0 + inverse[r, $1] * xty[$1] } }
    var meat = Matrix(rows: k, columns: k)
    var scaled = Matrix(rows: n, columns: k)
    for i in 0..<n {
      var residual = y[i]
      for c in 0..<k { residual -= beta[c] * design[i, c] }
      for c in 0..<k { scaled[i, c] = residual * design[i, c] }
    }
    Matrix.accumulateGram(of: scaled, into: &meat, alpha: 1, beta: 0)
    meat.symmetrizeFromLower()
    let covariance = inverse.multiplied(by: meat).multiplied(by: inverse)
    return LinearEffect(
      features: [], intercept: beta[0], coefficients: Array(beta.dropFirst()),
      covariance: (0..<k).map { r in (0..<k).map { covariance[r, $0] } }, lambda: 0)
  }
}

/// The DR-learner's models.
public struct DRLearnerFit: FittedUpliftLearner {
  /// The untreated customers' model: churn without any action.
  public var control: LogisticRegressionFit
  /// Per action, its effect (nil: too few treated rows; the stage prior is used).
  public var effects: [LinearEffect?]
  /// The training rows' pseudo-outcomes (not saved; for `--uplift-pseudo-outcomes`).
  public var pseudoOutcomes: [PseudoOutcome] = []
  private var columns: [[Int]] = []

  enum CodingKeys: String, CodingKey { case control, effects }

  public init(control: LogisticRegressionFit, effects: [LinearEffect?]) {
    self.control = control
    self.effects = effects
  }

  var effectModifiers: [[String]] { effects.map { $0?.features ?? [] } }

  mutating func bind(features names: [String]) throws(UpliftError) {
    columns = try effects.map { e throws(UpliftError) in try positions(of: e?.features ?? [], in: names) }
  }

  func logOddsEffect(_ a: Int, _ x: [Double]) -> (delta: Double, variance: Double)? { nil }

  func churnChange(_ a: Int, _ x: [Double]) -> Double? { estimate(a, x).map { -$0.effect } }

  func modifierCoefficients(_ a: Int) -> [(coefficient: Double, standardError: Double)] {
    guard let e = effects[a] else { return [] }
    return e.coefficients.indices.map { (-e.coefficients[$0], e.covariance[$0 + 1][$0 + 1].squareRoot()) }
  }

  /// The raw estimate of the churn action `a` prevents for x, and its variance.
  func estimate(_ a: Int, _ x: [Double]) -> (effect: Double, variance: Double)? {
    effects[a].map { $0.estimate(x, columns: columns[a]) }
  }

  func outlook(for x: [Double], stage s: Int?, in model: UpliftModel, columns: UpliftModel.Columns) -> ChurnOutlook {
    let without = control.probability(x)
    return ChurnOutlook(
      baseline: without,
      actions: effects.indices.map { a in
        guard let raw = estimate(a, x)?.effect else { return nil }
        let effects = model.effects[a]
        let prior = s.map { effects.stages[$0].prior } ?? effects.overall
        let weight = s.map { effects.stages[$0].customerWeight } ?? 0
        // Churn with the action stays a probability.
        let uplift = min(max(prior + weight * (raw - prior), without - 1), without)
        return ChurnOutlook.Action(churnWithout: without, churnWith: without - uplift, uplift: uplift)
      })
  }

  /// σ² from the customers' deviations from their stage's effect beyond
  /// their sampling variance; a stage's weight σ² / (σ² + v̄_s).
  func effectSpread(_ a: Int, sample: [[Double]], stages: [Int?], priors: EffectPriors) -> EffectSpread? {
    guard effects[a] != nil else { return nil }
    return probabilitySpread(
      sample.map { estimate(a, $0)! }, stages: stages, priors: priors)
  }

  func heading(horizonDays: Int, windowDays: Int) -> String {
    "doubly robust learner, churn within \(horizonDays) days of the treatment"
  }

  var logOddsScale: String? { nil }

  func fitShapes(features names: [String], field: String) -> [FitShape] {
    [FitShape(field: field + ".control", fit: control, featureNames: names, terms: names.count + 1)]
  }

  func structureProblems(actions: Int, field: String) -> [(field: String, problem: String)] {
    var problems: [(field: String, problem: String)] = []
    if effects.count != actions {
      problems.append((field + ".effects", "has \(effects.count) entries, the actions \(actions)"))
    }
    for (a, e) in effects.enumerated() {
      guard let e else { continue }
      let k = e.features.count + 1
      if e.coefficients.count != e.features.count {
        problems.append(
          (
            field + ".effects[\(a)].coefficients",
            "has \(e.coefficients.count) entries, the features \(e.features.count)"
          ))
      }
      if e.covariance.count != k || e.covariance.contains(where: { $0.count != k }) {
        problems.append((field + ".effects[\(a)].covariance", "is not \(k) × \(k)"))
      }
      if !([e.intercept] + e.coefficients + e.covariance.flatMap { $0 }).allSatisfy(\.isFinite) {
        problems.append((field + ".effects[\(a)]", "holds a number that is not finite"))
      }
    }
    return problems
  }
}

extension FittedUpliftLearner {
  /// The spread of effects on the churn scale (T- and DR-learners): σ²
  /// from the customers' deviations from their stage's effect beyond their
  /// sampling variance; a stage's weight σ² / (σ² + v̄_s).
  func probabilitySpread(
    _ estimates: [(effect: Double, variance: Double)], stages: [Int?], priors: EffectPriors
  ) -> EffectSpread {
    var spread = EffectSpread.none(stages: priors.stages.count)
    var deviations: [Double] = [], variances: [Double] = []
    var varianceByStage = [[Double]](repeating: [], count: priors.stages.count)
    for (e, s) in zip(estimates, stages) {
      deviations.append(e.effect - (s.map { priors.stages[$0] } ?? priors.overall))
      variances.append(e.variance)
      if let s { varianceByStage[s].append(e.variance) }
    }
    if deviations.count >= 2 {
      let mean = deviations.reduce(0, +) / Double(deviations.count)
      let spreadOfRaw = SampleMoments.variance(deviations)
      spread.heterogeneity = max(0, spreadOfRaw + mean * mean - variances.reduce(0, +) / Double(variances.count))
    }
    for s in priors.stages.indices where !varianceByStage[s].isEmpty {
      let v = varianceByStage[s].reduce(0, +) / Double(varianceByStage[s].count)
      spread.customerWeights[s] = spread.heterogeneity / (spread.heterogeneity + v)
    }
    return spread
  }
}
