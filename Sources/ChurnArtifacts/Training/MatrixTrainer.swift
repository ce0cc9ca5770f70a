import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels

/// Fits and evaluates the churn model on a feature matrix the user brings
/// (`LabelledFeatures`): the customer holdout, the optional cross-validated
/// penalty, the fit, and predictions and metrics for both parts.
public struct MatrixTrainer: Sendable {
  public var estimator: LogisticRegression
  public var crossValidation: CrossValidation?
  /// Share of customers held out (by a seeded hash of the key column), if any.
  public var holdout: (fraction: Double, seed: UInt64)?
  /// With no penalty and no cross-validation asked for, choose the L2
  /// penalty by cross-validation when events per feature are few
  /// (`CrossValidation.whenFewEvents`), as `ChurnModelTrainer` does.
  public var choosesPenaltyWhenFewEvents = false

  public init(
    estimator: LogisticRegression, crossValidation: CrossValidation? = nil,
    holdout: (fraction: Double, seed: UInt64)? = nil
  ) {
    self.estimator = estimator
    self.crossValidation = crossValidation
    self.holdout = holdout
  }

  /// What training produced.
  public struct Outcome: Sendable {
    public let fit: LogisticRegressionFit
    public let trainingRows: [Int]
    public let holdoutRows: [Int]
    public let trainingPredictions: [Double]
    public let holdoutPredictions: [Double]
    public let trainingMetrics: BinaryMetrics
    public let holdoutMetrics: BinaryMetrics?
    public let path: [CrossValidation.Point]?
    /// The folds of the cross-validation that chose the penalty, if one did.
    public let folds: Int?
    /// Says so when the penalty was chosen for the user.
    public let penaltyNote: String?
  }

  public func train(_ data: LabelledFeatures) throws -> Outcome {
    let (trainingRows, holdoutRows) =
      holdout.map { data.holdoutSplit(fraction: $0.fraction, seed: $0.seed) }
      ?? (Array(0..<data.y.count), [])
    let training = data.subset(trainingRows)
    var estimator = self.estimator
    var path: [CrossValidation.Point]?
    let crossValidation = CrossValidation.toRun(
      asked: self.crossValidation, choosing: choosesPenaltyWhenFewEvents, estimator: estimator, y: training.y,
      features: data.featureNames.count)
    if let crossValidation {
      let keys = training.keys ?? trainingRows.map(String.init)
      let (best, points) = try crossValidation.path(
        x: training.x, y: training.y, keys: keys, featureNames: data.featureNames, estimator: estimator)
      estimator.l2 = best
      path = points
    }
    let fit = try estimator.fit(training.x, training.y, featureNames: data.featureNames, weights: training.weights)
    let predictor = fit.predictor(over: data.featureNames)
    func predictions(_ rows: [Int]) -> [Double] { rows.map { predictor.probability(data.x.row($0)) } }
    let trainingPredictions = predictions(trainingRows)
    let holdoutPredictions = predictions(holdoutRows)
    return Outcome(
      fit: fit, trainingRows: trainingRows, holdoutRows: holdoutRows, trainingPredictions: trainingPredictions,
      holdoutPredictions: holdoutPredictions,
      trainingMetrics: BinaryMetrics(probabilities: trainingPredictions, labels: training.y),
      holdoutMetrics: holdoutRows.isEmpty
        ? nil : BinaryMetrics(probabilities: holdoutPredictions, labels: holdoutRows.map { data.y[$0] }),
      path: path, folds: crossValidation?.folds,
      penaltyNote: self.crossValidation == nil && crossValidation != nil
        ? CrossValidation.chosenPenaltyNote(y: training.y, features: data.featureNames.count, l2: estimator.l2) : nil)
  }

  /// The model to save: the table's feature columns in order (those the
  /// fit dropped weigh nothing), the fit, its metrics, and the training
  /// rows' distributions for reasons, risk bands and drift. It has no
  /// feature spec: it scores feature tables with the same columns.
  public func model(
    _ outcome: Outcome, data: LabelledFeatures, path: String, labelColumn: String, otherColumns: [String] = []
  ) -> ChurnModel {
    let training = data.subset(outcome.trainingRows)
    var record = ChurnModel.Training(
      events: path, eventRows: data.y.count + data.unlabelledRows, eventsFingerprint: data.fingerprint, cutoffs: [],
      horizonDays: 0, churnDefinition: "label column '\(labelColumn)'", rows: outcome.trainingRows.count,
      baseRate: training.y.reduce(0, +) / Double(max(training.y.count, 1)),
      holdout: holdout.map { "\($0.fraction) of keys (seed \($0.seed))" }, metrics: outcome.trainingMetrics,
      holdoutMetrics: outcome.holdoutMetrics, crossValidationFolds: outcome.folds,
      crossValidationPath: outcome.path)
    let defaults = ["customer_id", "cutoff", "label"]
    var others: [String] = []
    for name in [labelColumn] + otherColumns where !defaults.contains(name) && !others.contains(name) {
      others.append(name)
    }
    record.otherColumns = others.isEmpty ? nil : others
    return ChurnModel(
      featureSpec: nil, features: data.featureNames, fit: outcome.fit, training: record,
      reference: ChurnModel.Reference(
        x: training.x, scores: outcome.trainingPredictions, featureNames: data.featureNames,
        neverDays: FeatureSpec().neverDays))
  }

  /// Writes `key,set,probability,label` for every row (atomically).
  public static func writePredictions(_ outcome: Outcome, data: LabelledFeatures, to path: String) throws {
    let writer = try AtomicFileWriter(path: path)
    try writer.write(predictionsText(outcome, data: data))
    try writer.commit()
  }

  /// The CSV `writePredictions` writes.
  public static func predictionsText(_ outcome: Outcome, data: LabelledFeatures) -> String {
    var text = "key,set,probability,label\n"
    let parts = [
      ("training", outcome.trainingRows, outcome.trainingPredictions),
      ("holdout", outcome.holdoutRows, outcome.holdoutPredictions),
    ]
    for (set, rows, p) in parts {
      for (i, row) in rows.enumerated() {
        let key = data.keys.map { CSVFormatting.escape($0[row]) } ?? String(row)
        text += "\(key),\(set),\(p[i]),\(Int(data.y[row]))\n"
      }
    }
    return text
  }
}
