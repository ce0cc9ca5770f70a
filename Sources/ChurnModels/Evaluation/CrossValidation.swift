import ChurnIO
import LinearAlgebra

/// Chooses the L2 penalty by k-fold cross-validation on log loss.
///
/// Folds are made of whole customers (all rows of a customer — several
/// cutoffs — fall in one fold) and stratified: customers with a churned row
/// and the others are dealt round-robin, in a seeded order, so every fold has
/// about the same churn rate. Each λ of the grid is fitted on k − 1 folds and
/// scored on the last, for every fold; the λ with the lowest mean held-out
/// log loss wins.
public struct CrossValidation: Sendable {
  /// One point of the regularisation path.
  public struct Point: Sendable, Codable, Equatable {
    public let l2: Double
    /// Mean held-out log loss over the folds that could be fitted.
    public let meanLogLoss: Double
    /// Its standard error across folds.
    public let standardError: Double
    /// Folds where the fit failed (say, a constant column with λ = 0).
    public let failedFolds: Int
  }

  public var folds = 5
  public var seed: UInt64 = 42
  /// Penalties to try: by default 13 values from 1e-3 to 1e3, half a decade apart.
  public var grid: [Double] = (0...12).map { pow(10, -3 + Double($0) / 2) }

  public init(folds: Int = 5, seed: UInt64 = 42) {
    self.folds = folds
    self.seed = seed
  }

  /// The fold (0..<folds) of every row.
  public func assignFolds(keys: [String], labels: [Double]) -> [Int] {
    var churned: [String: Bool] = [:]
    for (k, y) in zip(keys, labels) { churned[k] = (churned[k] ?? false) || y == 1 }
    func rank(_ key: String) -> UInt64 {
      var h: UInt64 = 0xCBF2_9CE4_8422_2325
      for b in key.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
      var rng = SplitMix64(seed: h ^ seed)
      return rng.next()
    }
    var foldOf: [String: Int] = [:]
    for group in [true, false] {
      let members = churned.filter { $0.value == group }.keys.sorted { (rank($0), $0) < (rank($1), $1) }
      for (i, key) in members.enumerated() { foldOf[key] = i % folds }
    }
    return keys.map { foldOf[$0]! }
  }

  /// The regularisation path and the chosen penalty.
  public func path(
    x: Matrix, y: [Double], keys: [String], featureNames: [String], estimator: LogisticRegression
  ) throws(ModelError) -> (best: Double, path: [Point]) {
    guard folds >= 2 else { throw .configuration(.tooFewFolds(folds)) }
    let fold = assignFolds(keys: keys, labels: y)
    var points: [Point] = []
    for l2 in grid {
      var losses: [Double] = []
      var failed = 0
      for f in 0..<folds {
        let trainRows = fold.indices.filter { fold[$0] != f }
        let testRows = fold.indices.filter { fold[$0] == f }
        guard !testRows.isEmpty else { continue }
        var e = estimator
        e.l2 = l2
        do {
          let fit = try e.fit(x.selectingRows(trainRows), trainRows.map { y[$0] }, featureNames: featureNames)
          let test = x.selectingRows(testRows)
          let predictor = fit.predictor(over: featureNames)
          let p = (0..<test.rows).map { predictor.probability(test.row($0)) }
          losses.append(BinaryMetrics(probabilities: p, labels: testRows.map { y[$0] }).logLoss)
        } catch {
          failed += 1
        }
      }
      let mean = losses.isEmpty ? .infinity : losses.reduce(0, +) / Double(losses.count)
      let variance = SampleMoments.variance(losses)
      points.append(
        Point(
          l2: l2, meanLogLoss: mean, standardError: (variance / Double(max(losses.count, 1))).squareRoot(),
          failedFolds: failed))
    }
    guard
      let best = points.filter({ $0.failedFolds == 0 && $0.meanLogLoss.isFinite }).min(by: {
        $0.meanLogLoss < $1.meanLogLoss
      })
    else { throw .noPenaltyFitsEveryFold }
    return (best.l2, points)
  }
}

#if canImport(Glibc)
  import Glibc
#endif

extension CrossValidation {
  /// The rule when no penalty was asked for: with fewer than 10 events of
  /// the rarer class per feature an unpenalised fit overfits, or has no
  /// finite optimum at all, so the L2 penalty is chosen by 5-fold
  /// cross-validation instead; nil when there are events enough.
  public static func whenFewEvents(_ y: [Double], features: Int) -> CrossValidation? {
    rarerClassCount(y) < 10 * features ? CrossValidation(folds: 5) : nil
  }

  /// The cross-validation a trainer runs: the one asked for; else, when it
  /// may choose and no penalty was given, `whenFewEvents`.
  package static func toRun(
    asked: CrossValidation?, choosing: Bool, estimator: LogisticRegression, y: [Double], features: Int
  ) -> CrossValidation? {
    guard asked == nil, choosing, estimator.l2 == 0, estimator.l1 == 0 else { return asked }
    return whenFewEvents(y, features: features)
  }

  /// The sentence saying the penalty was chosen for the user, and why.
  package static func chosenPenaltyNote(y: [Double], features: Int, l2: Double) -> String {
    "few events per feature (\(rarerClassCount(y)) for \(features)): the L2 penalty was chosen by 5-fold cross-validation (λ = \(l2)); --l2 0 fits without one"
  }
}
