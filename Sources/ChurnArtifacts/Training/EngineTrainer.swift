import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels

/// `train --engine`: the features, labels and logistic fit of
/// `ChurnModelTrainer`, computed inside the database that holds the events.
///
/// The feature query (`FeatureSQL`) and the labels run in the database
/// into a temporary table; the fit (`LogisticRegression.fit(summarised:)`)
/// sends one aggregate query per Newton step and solves the p × p system
/// here. What comes back is sums, each vocabulary's customer counts, the
/// labelled customers' ids when a holdout is drawn (the split is
/// `CustomerHoldout`'s hash, which SQL engines cannot compute alike), and
/// each row's fitted probability and label for the metrics. Temporary
/// tables end with the session, so a failure leaves nothing behind.
public struct EngineTrainer {
  public let session: any SQLSession
  public let dialect: ModelExport.Dialect
  /// The events table, as given (`schema.table` allowed).
  public let table: String
  /// The location for the model file and messages, e.g. `sqlite:shop.db?table=events`.
  public let shown: String
  public var spec: FeatureSpec
  public var cutoffs: [Cutoff]
  public var horizon: Duration
  public var activeWithin: Duration?
  public var churnDefinition: ChurnDefinition
  public var observedUntil: Cutoff?
  public var estimator: LogisticRegression
  public var holdout: ChurnModelTrainer.Holdout
  /// With no penalty given: refuse a design with few events per feature,
  /// where the in-memory trainer would choose the penalty by
  /// cross-validation (`CrossValidation.whenFewEvents`), which does not run
  /// in the database.
  public var choosesPenaltyWhenFewEvents = false
  /// Called with each phase as it starts ("features and labels in the database" …).
  public var progress: ((String) -> Void)?

  public init(
    session: any SQLSession, dialect: ModelExport.Dialect, table: String, shown: String, spec: FeatureSpec,
    cutoffs: [Cutoff], horizon: Duration, churnDefinition: ChurnDefinition, estimator: LogisticRegression,
    holdout: ChurnModelTrainer.Holdout
  ) {
    self.session = session
    self.dialect = dialect
    self.table = table
    self.shown = shown
    self.spec = spec
    self.cutoffs = cutoffs
    self.horizon = horizon
    self.churnDefinition = churnDefinition
    self.estimator = estimator
    self.holdout = holdout
  }

  public struct Outcome: Sendable {
    public let model: ChurnModel
    public let censoredRows: Int
    /// Where the data ends and the latest cutoff with labels (a sentence).
    public let observation: String
    public let vocabularyNotes: [String]
  }

  public func train() throws -> Outcome {
    try checkSupported()
    guard let lastTrainCutoff = cutoffs.last else { throw TrainingError.noCutoff }
    var allCutoffs = cutoffs
    if case .cutoff(let later) = holdout {
      guard later > lastTrainCutoff else {
        throw TrainingError.holdoutNotAfterTraining(holdout: later, training: lastTrainCutoff)
      }
      allCutoffs.append(later)
    }
    if dialect == .postgres {
      // JIT-compiling each Newton step's wide query costs more than running
      // it (2 s against 0.3 s at 80 features); servers before 11 have no JIT.
      try? session.execute("SET jit = off")
    }
    progress?("reading the table's extent")
    let extent = try EngineExtent(self, cutoffs: allCutoffs)
    let (resolved, notes) = try resolvedSpec(latestCutoff: allCutoffs.max()!)
    let names = FeatureSet.featureNames(ofResolved: resolved)
    progress?("features and labels in the database")
    try createRows(spec: resolved, names: names, cutoffs: allCutoffs, dataEnd: extent.observedEnd)
    let split = try splitRows(trainingCutoffs: cutoffs.count)
    let design = try EngineDesign(session: session, dialect: dialect, table: "churnkit_training", featureNames: names)
    try checkLabels(design, censored: split.censored, extent: extent)
    try checkEventsPerFeature(design, features: names.count)
    progress?("fitting: one aggregate query per Newton step")
    let fit = try estimator.fit(summarised: design, featureNames: names)
    let predictor = fit.predictor(over: names)
    progress?("metrics and reference distributions")
    let (scores, y) = try scoresAndLabels(predictor, names: names, table: "churnkit_training")
    var holdoutMetrics: BinaryMetrics?
    if split.held {
      let (p, hy) = try scoresAndLabels(predictor, names: names, table: "churnkit_holdout")
      if !p.isEmpty { holdoutMetrics = BinaryMetrics(probabilities: p, labels: hy) }
    }
    let reference = try EngineReference(design: design, neverDays: resolved.neverDays).reference(scores: scores)
    var training = ChurnModel.Training(
      events: shown, eventRows: extent.rows, eventsFingerprint: "sql:\(extent.rows)",
      cutoffs: allCutoffs.map(\.description), horizonDays: horizon.days,
      churnDefinition: churnDefinition.description, rows: y.count, baseRate: y.reduce(0, +) / Double(y.count),
      holdout: split.description, metrics: BinaryMetrics(probabilities: scores, labels: y),
      holdoutMetrics: holdoutMetrics, crossValidationFolds: nil, crossValidationPath: nil)
    training.activeWithinDays = activeWithin.map(\.days).flatMap { $0 == horizon.days ? nil : $0 }
    return Outcome(
      model: ChurnModel(featureSpec: resolved, features: names, fit: fit, training: training, reference: reference),
      censoredRows: split.censored, observation: extent.observationText(horizon: horizon), vocabularyNotes: notes)
  }

  // MARK: - Steps

  /// What the database path does not compute (yet): features that need a
  /// model fitted on the events, customers-table attributes, class weights.
  private func checkSupported() throws {
    let fitted = [
      spec.stageChurn == nil ? nil : "stage_churn", spec.repeatPurchase == nil ? nil : "repeat_purchase",
      spec.coxRisk == nil ? nil : "cox_risk",
    ].compactMap { $0 }
    if let first = fitted.first {
      throw EngineTrainingError.unsupported(
        "the spec asks for \(first), which needs a model fitted on the events in memory: train without --engine, or drop it from the spec"
      )
    }
    if !(spec.staticEncodings ?? []).isEmpty {
      throw EngineTrainingError.unsupported(
        "the spec has static attributes, which come from a customers table: train without --engine, or drop them from the spec"
      )
    }
    if estimator.classWeight != .none {
      throw EngineTrainingError.unsupported("--class-weight balanced is not available with --engine")
    }
  }

  /// The spec with its vocabularies fixed from the table (`FeatureSpec.resolvingVocabularies`).
  private func resolvedSpec(latestCutoff: Cutoff) throws -> (FeatureSpec, [String]) {
    var spec = self.spec
    spec.usesAmount = spec.usesAmount ?? true
    spec.usesChannel = spec.usesChannel ?? true
    spec.usesSentiment = spec.usesSentiment ?? true
    spec.usesStage = spec.usesStage ?? true
    let query = featureQuery(spec, cutoff: latestCutoff)
    let time = query.eventMicros(query.q("timestamp"))
    func uses(_ column: String) throws -> (used: [CategoryUse], all: [String]) {
      let c = query.q(column)
      let rows = try session.rows(
        """
        SELECT \(c), COUNT(DISTINCT CASE WHEN \(time) <= \(latestCutoff.micros) THEN \(query.q("customer_id")) END)
        FROM \(query.table(table)) WHERE \(c) IS NOT NULL GROUP BY \(c) ORDER BY \(c)
        """)
      let all = rows.compactMap { $0[0] }
      let used = rows.compactMap { row -> CategoryUse? in
        guard let name = row[0], let n = row[1].flatMap({ Int($0) }), n > 0 else { return nil }
        return CategoryUse(name: name, customers: n)
      }
      return (used, all)
    }
    let types = try uses("event")
    if case .event(let name) = churnDefinition, !types.all.contains(name) {
      throw FeatureError.churnEventNeverSeen(name: name, available: types.all)
    }
    let channels = try uses("channel")
    return try spec.resolvingVocabularies(
      types: types.used, allTypes: types.all, channels: channels.used, allChannels: channels.all,
      churnDefinition: churnDefinition)
  }

  func featureQuery(_ spec: FeatureSpec, cutoff: Cutoff) -> FeatureQuery {
    FeatureQuery(spec: spec, dialect: dialect, cutoff: cutoff, churn: churnDefinition, events: table)
  }

  /// `churnkit_rows`: per cutoff (`k`, its position) and eligible
  /// customer, the features and the label `y` (NULL when censored).
  private func createRows(spec: FeatureSpec, names: [String], cutoffs: [Cutoff], dataEnd: Int64) throws {
    let featureColumns = names.map { "f.\(ModelExport.identifier($0, dialect))" }.joined(separator: ", ")
    let selects = try cutoffs.enumerated().map { k, cutoff in
      let features = try FeatureSQL.features(
        spec: spec, names: names, churn: churnDefinition, activeWithinDays: (activeWithin ?? horizon).days,
        cutoff: cutoff, dialect: dialect, events: table)
      let labels = featureQuery(spec, cutoff: cutoff).labels(
        horizon: horizon.micros, observed: dataEnd >= cutoff.micros + horizon.micros)
      return """
        SELECT CAST(f.\(ModelExport.identifier("customer_id", dialect)) AS TEXT) AS customer_id, \(k) AS k,
          \(featureColumns), l.y AS y
        FROM (\(features)) AS f JOIN (\(labels)) AS l ON l.customer_id = f.\(ModelExport.identifier("customer_id", dialect))
        """
    }
    try session.execute("CREATE TEMP TABLE churnkit_rows AS \(selects.joined(separator: "\nUNION ALL\n"))")
  }

  /// The training and holdout tables, by the trainer's holdout.
  private func splitRows(trainingCutoffs: Int) throws -> (held: Bool, description: String?, censored: Int) {
    let censored =
      try EngineDesign.numbers(
        session, "SELECT COUNT(*) FROM churnkit_rows WHERE y IS NULL AND k < \(trainingCutoffs)")[0] ?? 0
    let labelled = "SELECT * FROM churnkit_rows WHERE y IS NOT NULL"
    switch holdout {
    case .none:
      try session.execute("CREATE TEMP TABLE churnkit_training AS \(labelled)")
      return (false, nil, Int(censored))
    case .customers(let fraction, let seed):
      let ids = try session.rows("SELECT DISTINCT customer_id FROM churnkit_rows WHERE y IS NOT NULL")
        .compactMap { $0[0] }
      let held = ids.filter { CustomerHoldout.contains($0, fraction: fraction, seed: seed) }
      try session.createTemporaryTable("churnkit_held", column: "customer_id", values: held)
      let inHoldout = "customer_id IN (SELECT customer_id FROM churnkit_held)"
      try session.execute("CREATE TEMP TABLE churnkit_training AS \(labelled) AND NOT \(inHoldout)")
      try session.execute("CREATE TEMP TABLE churnkit_holdout AS \(labelled) AND \(inHoldout)")
      return (true, "\(fraction) of customers (seed \(seed))", Int(censored))
    case .cutoff(let later):
      try session.execute("CREATE TEMP TABLE churnkit_training AS \(labelled) AND k < \(trainingCutoffs)")
      try session.execute("CREATE TEMP TABLE churnkit_holdout AS \(labelled) AND k = \(trainingCutoffs)")
      return (true, "cutoff \(later)", Int(censored))
    }
  }

  /// Both label classes among the training rows, or the reason and the remedy.
  private func checkLabels(_ design: EngineDesign, censored: Int, extent: EngineExtent) throws {
    guard design.positives == 0 || design.positives == design.rows else { return }
    throw TrainingError.oneLabelClass(
      TrainingError.LabelCounts(
        churned: design.positives, retained: design.rows - design.positives, censored: censored,
        cutoffs: cutoffs, observation: extent.observationText(horizon: horizon),
        latestLabelledCutoff: extent.latestLabelledCutoff(horizon: horizon),
        observedUntil: Cutoff(micros: extent.observedEnd), horizonDays: horizon.days,
        churnDefinition: churnDefinition.description))
  }

  private func checkEventsPerFeature(_ design: EngineDesign, features: Int) throws {
    let events = min(design.positives, design.rows - design.positives)
    guard choosesPenaltyWhenFewEvents, estimator.l2 == 0, estimator.l1 == 0, events < 10 * features else { return }
    throw EngineTrainingError.unsupported(
      "few events per feature (\(events) for \(features)): without --engine the L2 penalty would be chosen by 5-fold cross-validation, which does not run in the database; give --l2 (e.g. --l2 1), or --l2 0 to fit without one"
    )
  }

  /// Each row's fitted probability and label, in the order of the local
  /// trainer's rows (cutoff, then customer id byte by byte).
  private func scoresAndLabels(
    _ predictor: LinearPredictor, names: [String], table: String
  ) throws -> (scores: [Double], labels: [Double]) {
    let terms = zip(predictor.coefficients, names).map { b, name in
      "\(literal(b)) * \(ModelExport.identifier(name, dialect))"
    }
    let eta = ([literal(predictor.intercept)] + terms).joined(separator: " + ")
    let order = dialect == .postgres ? "customer_id COLLATE \"C\"" : "customer_id"
    let rows = try session.rows(
      """
      SELECT \(EngineDesign.logistic("eta")), y
      FROM (SELECT \(eta) AS eta, y, k, customer_id FROM \(table)) AS s
      ORDER BY k, \(order)
      """)
    var scores: [Double] = []
    var labels: [Double] = []
    scores.reserveCapacity(rows.count)
    for row in rows {
      guard let p = row[0].flatMap(Double.init), let y = row[1].flatMap(Double.init) else {
        throw EngineTrainingError.unexpectedResult("the database returned a row without a probability or label")
      }
      scores.append(p)
      labels.append(y)
    }
    return (scores, labels)
  }

  private func literal(_ v: Double) -> String { EngineDesign.number(v, dialect) }
}

/// Why `train --engine` cannot go on.
public enum EngineTrainingError: Error, CustomStringConvertible {
  /// What the database path does not compute, and what to do instead.
  case unsupported(String)
  /// An answer of the database that cannot be read.
  case unexpectedResult(String)

  public var description: String {
    switch self {
    case .unsupported(let what), .unexpectedResult(let what): return what
    }
  }
}
