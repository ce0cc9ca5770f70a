import ChurnData
import ChurnIO
import ChurnModels
import LinearAlgebra

/// How a saved model does on newly labelled data, and how its calibration
/// has drifted since training.
public struct ModelEvaluation: Sendable, Codable, Equatable {
  /// Calibration in the large: observed churn against the mean prediction.
  public struct Calibration: Sendable, Codable, Equatable {
    public let observedRate: Double
    public let meanPredicted: Double
    /// Observed over expected churners (1 is perfect; below 1, the model over-predicts).
    public let observedOverExpected: Double
    /// The largest |mean predicted − observed rate| over the deciles.
    public let largestDecileGap: Double

    init(_ m: BinaryMetrics) {
      let weighted = m.calibration.reduce(0) { $0 + $1.meanPredicted * Double($1.count) }
      meanPredicted = weighted / Double(m.count)
      observedRate = Double(m.positives) / Double(m.count)
      observedOverExpected = meanPredicted > 0 ? observedRate / meanPredicted : .nan
      largestDecileGap = m.calibration.map { abs($0.meanPredicted - $0.observedRate) }.max() ?? 0
    }
  }

  public let metrics: BinaryMetrics
  public let calibration: Calibration
  /// The same summary on the model's training rows.
  public let trainingCalibration: Calibration
  /// Change in calibration in the large since training (new − training).
  public let calibrationDrift: Double
  public let rows: Int
  public let censoredRows: Int

  public init(model: ChurnModel, probabilities: [Double], labels: [Double], censoredRows: Int) throws(ModelError) {
    guard !labels.isEmpty else { throw .noRows }
    metrics = BinaryMetrics(probabilities: probabilities, labels: labels)
    calibration = Calibration(metrics)
    trainingCalibration = Calibration(model.training.metrics)
    calibrationDrift = calibration.observedOverExpected - trainingCalibration.observedOverExpected
    rows = labels.count
    self.censoredRows = censoredRows
  }

  /// Builds the model's features on an event log at `cutoff` (with the
  /// model's vocabularies, horizon and churn definition unless overridden)
  /// and evaluates the model on the rows whose label is known.
  public static func evaluate(
    _ model: ChurnModel, events reader: inout EventLogReader, customers table: CustomerTable?, cutoff: Cutoff,
    horizon: Duration? = nil, churnDefinition: ChurnDefinition? = nil, observedUntil: Cutoff? = nil,
    issues: inout IssueLog
  ) throws -> ModelEvaluation {
    let scores = try LabelledScores(
      model, events: &reader, customers: table, cutoff: cutoff, horizon: horizon, churnDefinition: churnDefinition,
      observedUntil: observedUntil, issues: &issues)
    return try ModelEvaluation(
      model: model, probabilities: scores.probabilities, labels: scores.labels, censoredRows: scores.censoredRows)
  }

  /// Evaluates the model on a feature file with a label column; its columns
  /// are matched to the model's features by name.
  public static func evaluate(
    _ model: ChurnModel, featureTable path: String, label: String, ignoring: [String] = []
  ) throws -> ModelEvaluation {
    let scores = try LabelledScores(model, featureTable: path, label: label, ignoring: ignoring)
    return try ModelEvaluation(
      model: model, probabilities: scores.probabilities, labels: scores.labels, censoredRows: scores.censoredRows)
  }

  /// The evaluation as text.
  public func renderText() -> String {
    var out = metrics.renderText(title: "Evaluation")
    func f(_ v: Double) -> String { v.isNaN ? "n/a" : String(format: "%.4f", v) }
    out += "  calibration: observed \(f(calibration.observedRate)) vs predicted \(f(calibration.meanPredicted))"
    out += " (O/E \(f(calibration.observedOverExpected)); at training \(f(trainingCalibration.observedOverExpected)),"
    out += " drift \(f(calibrationDrift)); largest decile gap \(f(calibration.largestDecileGap)))\n"
    if censoredRows > 0 { out += "  \(censoredRows) rows not yet observable were left out\n" }
    return out
  }
}

#if canImport(Foundation)
  import Foundation
#endif

/// A model's probabilities on labelled rows, with the rows' features (in
/// the model's order): what evaluations and reports are computed from.
public struct LabelledScores: Sendable {
  public let probabilities: [Double]
  /// 1 churned, 0 retained.
  public let labels: [Double]
  /// n × p, the model's features.
  public let features: Matrix
  public let censoredRows: Int

  public init(probabilities: [Double], labels: [Double], features: Matrix, censoredRows: Int = 0) {
    (self.probabilities, self.labels, self.features, self.censoredRows) = (
      probabilities, labels, features, censoredRows
    )
  }

  /// The model's features built on an event log at `cutoff` (its
  /// vocabularies, horizon and churn definition unless overridden); the
  /// censored rows are left out and counted.
  public init(
    _ model: ChurnModel, events reader: inout EventLogReader, customers table: CustomerTable?, cutoff: Cutoff,
    horizon: Duration? = nil, churnDefinition: ChurnDefinition? = nil, observedUntil: Cutoff? = nil,
    issues: inout IssueLog
  ) throws {
    var extractor = FeatureExtractor(
      spec: try model.specForEvents("evaluation"), cutoffs: [cutoff],
      horizon: horizon ?? Duration(days: model.training.horizonDays),
      churnDefinition: try churnDefinition ?? ChurnDefinition(parsing: model.training.churnDefinition))
    extractor.useFeatureModels()
    extractor.requiresKnownNames = false
    extractor.observedUntil = observedUntil
    extractor.activeWithin = model.training.activeWithinDays.map { Duration(days: $0) }
    let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
    guard set.featureNames == model.features else {
      throw ModelUseError.featuresDiffer(missing: model.features.filter { !set.featureNames.contains($0) })
    }
    let labelled = set.rows.indices.filter { set.rows[$0].label != .censored }
    let (x, y) = set.matrix(rows: labelled)
    let predictor = model.predictor
    probabilities = (0..<x.rows).map { predictor.probability(x.row($0)) }
    labels = y
    features = x
    censoredRows = set.rows.count - labelled.count
  }

  /// A feature file with a label column; its columns are matched to the
  /// model's features by name.
  public init(_ model: ChurnModel, featureTable path: String, label: String, ignoring: [String] = []) throws {
    let data = try LabelledFeatures(path: path, label: label, exclude: ["customer_id", "cutoff"] + ignoring) { header in
      let named = header.enumerated().map { (name: $1, position: $0) }.filter { $0.name != label }
      _ = try FeatureColumns(header: named, model: model, path: path, ignoring: ignoring)
    }
    let columns = model.features.map { data.featureNames.firstIndex(of: $0)! }
    var x = Matrix(rows: data.x.rows, columns: columns.count)
    for i in 0..<data.x.rows {
      for (j, c) in columns.enumerated() { x[i, j] = data.x[i, c] }
    }
    let predictor = model.predictor
    probabilities = (0..<x.rows).map { predictor.probability(x.row($0)) }
    labels = data.y
    features = x
    censoredRows = data.unlabelledRows
  }
}
