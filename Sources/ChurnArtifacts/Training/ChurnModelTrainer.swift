import ChurnData
import ChurnIO
import ChurnModels

/// From an event log to a saved-ready `ChurnModel`: features at the cutoff,
/// a holdout, the fit and its evaluation.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// let trainer = ChurnModelTrainer(
///   extractor: FeatureExtractor(cutoffs: [cutoff], horizon: horizon, churnDefinition: .event("cancel")),
///   estimator: LogisticRegression(l2: 1), holdout: .customers(fraction: 0.3, seed: 42))
/// let model = try trainer.train(from: &reader, customers: nil)
/// ```
public struct ChurnModelTrainer: Sendable {
  /// How evaluation data is held out.
  public enum Holdout: Sendable, Equatable {
    case none
    /// A share of customers, chosen by a seeded hash of their id.
    case customers(fraction: Double, seed: UInt64)
    /// Train at the extractor's cutoff, evaluate at a later one: the honest backtest.
    case cutoff(Cutoff)
  }

  public var extractor: FeatureExtractor
  public var estimator: LogisticRegression
  public var holdout: Holdout
  /// When set, the L2 penalty is chosen by cross-validation on the training rows.
  public var crossValidation: CrossValidation?
  /// With no penalty and no cross-validation asked for: choose the penalty
  /// by cross-validation when there are few events per feature
  /// (`CrossValidation.whenFewEvents`).
  public var choosesPenaltyWhenFewEvents = false

  public init(extractor: FeatureExtractor, estimator: LogisticRegression, holdout: Holdout = .none) {
    self.extractor = extractor
    self.estimator = estimator
    self.holdout = holdout
  }

  /// What training produced, beside the model.
  public struct Outcome: Sendable {
    public let model: ChurnModel
    public let censoredRows: Int
    /// Where the data ends and the latest cutoff with labels (a sentence).
    public let observation: String
    /// `FeatureSet.churnEventHint`, when it has one.
    public let churnEventHint: String?
    /// `FeatureSet.vocabularyNotes`.
    public let vocabularyNotes: [String]
    /// The fitted model's scores on the training rows and the holdout (for
    /// the report page).
    public let trainingScores: LabelledScores
    public let holdoutScores: LabelledScores?
    /// Set when the penalty was chosen by cross-validation because there
    /// were few events per feature: a sentence for the user.
    public let penaltyNote: String?
  }

  public func train(
    from reader: inout EventLogReader, customers table: CustomerTable?, issues: inout IssueLog
  ) throws -> Outcome {
    var extractor = self.extractor
    let trainCutoffs = extractor.cutoffs
    guard let lastTrainCutoff = trainCutoffs.last else { throw TrainingError.noCutoff }
    if case .cutoff(let later) = holdout {
      guard later > lastTrainCutoff else {
        throw TrainingError.holdoutNotAfterTraining(holdout: later, training: lastTrainCutoff)
      }
      extractor.cutoffs = trainCutoffs + [later]
    }
    let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
    let labelled = set.rows.indices.filter { set.rows[$0].label != .censored }
    let censored = set.rows.count - labelled.count
    let (trainingRows, holdoutRows, holdoutDescription) = split(labelled, of: set)
    let (x, y) = set.matrix(rows: trainingRows)
    try Self.checkLabels(y, set: set, cutoffs: trainCutoffs)
    var estimator = self.estimator
    var path: [CrossValidation.Point]?
    let crossValidation = CrossValidation.toRun(
      asked: self.crossValidation, choosing: choosesPenaltyWhenFewEvents, estimator: estimator, y: y,
      features: x.columns)
    if let crossValidation {
      let keys = trainingRows.map { set.rows[$0].customerID }
      let (best, points) = try crossValidation.path(
        x: x, y: y, keys: keys, featureNames: set.featureNames, estimator: estimator)
      estimator.l2 = best
      path = points
    }
    let fit = try estimator.fit(x, y, featureNames: set.featureNames)
    let predictor = fit.predictor(over: set.featureNames)
    let trainingScores = (0..<x.rows).map { predictor.probability(x.row($0)) }
    let metrics = BinaryMetrics(probabilities: trainingScores, labels: y)
    var holdoutMetrics: BinaryMetrics?
    var holdoutScores: LabelledScores?
    if !holdoutRows.isEmpty {
      let (hx, hy) = set.matrix(rows: holdoutRows)
      let p = (0..<hx.rows).map { predictor.probability(hx.row($0)) }
      holdoutMetrics = BinaryMetrics(probabilities: p, labels: hy)
      holdoutScores = LabelledScores(probabilities: p, labels: hy, features: hx)
    }
    var training = ChurnModel.Training(
      events: reader.path, eventRows: reader.rowsRead, eventsFingerprint: set.eventsFingerprint,
      cutoffs: extractor.cutoffs.map(\.description), horizonDays: set.horizon.days,
      churnDefinition: set.churnDefinition.description, rows: trainingRows.count,
      baseRate: y.reduce(0, +) / Double(y.count), holdout: holdoutDescription, metrics: metrics,
      holdoutMetrics: holdoutMetrics, crossValidationFolds: crossValidation?.folds, crossValidationPath: path)
    training.activeWithinDays = set.activeWithin == set.horizon ? nil : set.activeWithin.days
    let reference = ChurnModel.Reference(
      x: x, scores: trainingScores, featureNames: set.featureNames, neverDays: set.spec.neverDays)
    return Outcome(
      model: ChurnModel(
        featureSpec: set.spec, features: set.featureNames, fit: fit, training: training, reference: reference),
      censoredRows: censored, observation: set.observationText, churnEventHint: set.churnEventHint,
      vocabularyNotes: set.vocabularyNotes,
      trainingScores: LabelledScores(probabilities: trainingScores, labels: y, features: x),
      holdoutScores: holdoutScores,
      penaltyNote: self.crossValidation == nil && crossValidation != nil
        ? CrossValidation.chosenPenaltyNote(y: y, features: x.columns, l2: estimator.l2) : nil)
  }

  /// The labelled rows split into training and holdout rows, and the
  /// holdout described for the model file.
  private func split(_ labelled: [Int], of set: FeatureSet) -> (training: [Int], holdout: [Int], description: String?) {
    switch holdout {
    case .none:
      return (labelled, [], nil)
    case .customers(let fraction, let seed):
      var training: [Int] = []
      var held: [Int] = []
      for i in labelled {
        if CustomerHoldout.contains(set.rows[i].customerID, fraction: fraction, seed: seed) {
          held.append(i)
        } else {
          training.append(i)
        }
      }
      return (training, held, "\(fraction) of customers (seed \(seed))")
    case .cutoff(let later):
      return (
        labelled.filter { set.rows[$0].cutoff != later }, labelled.filter { set.rows[$0].cutoff == later },
        "cutoff \(later)"
      )
    }
  }

  /// Training labels need both classes: when one is missing, say why (the
  /// horizon runs past the data, or nobody churned) and what to change.
  static func checkLabels(_ y: [Double], set: FeatureSet, cutoffs: [Cutoff]) throws(TrainingError) {
    let churned = Int(y.reduce(0, +))
    let retained = y.count - churned
    guard churned == 0 || retained == 0 else { return }
    throw .oneLabelClass(
      TrainingError.LabelCounts(
        churned: churned, retained: retained,
        censored: set.rows.filter { $0.label == .censored && cutoffs.contains($0.cutoff) }.count,
        cutoffs: cutoffs, observation: set.observationText, latestLabelledCutoff: set.latestLabelledCutoff,
        observedUntil: set.observedUntil, horizonDays: set.horizon.days,
        churnDefinition: set.churnDefinition.description))
  }
}
