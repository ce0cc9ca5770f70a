import ByteStreams
import ChurnData
import ChurnIO
import ChurnModels
import Foundation
import LinearAlgebra

/// Learns an `UpliftModel` from the treatments in an event log (events whose
/// type is an action id) and what happened after them.
///
/// The design: snapshots of every customer every `windowDays` (the grid of
/// cutoffs T). A customer treated in (T, T + window] gives a treated row —
/// features at T, outcome churn within the horizon after the treatment; one
/// not treated gives a control row, its outcome measured from a pseudo
/// treatment time drawn uniformly in the same window, so both groups are
/// alive at the moment their outcome starts. Rows whose horizon the data
/// does not cover are left out. Customers are split into training and
/// holdout (seeded hash of the id); the models are fitted on training rows
/// and judged on the holdout.
///
/// ```swift
/// let trainer = UpliftTrainer(catalog: try ActionCatalog.load(path: "models/actions.json"))
/// let uplift = try trainer.train(events: "events.csv", schema: EventSchema(), customers: table, baseline: model.baseline(for: "next best action"))
/// ```
public struct UpliftTrainer: Sendable {
  public var catalog: ActionCatalog
  public var assignment: UpliftModel.Assignment = .random
  public var learner: UpliftModel.Learner = .hazard
  /// The S-learner's effect modifiers (nil: chosen among the groups of
  /// customers-table attributes and the stage by a Wald test at
  /// `modifierSignificance`).
  public var effectModifiers: [String]?
  public var modifierSignificance = 0.05
  /// Snapshot spacing and the treatment window after each snapshot, in days.
  public var windowDays = 14
  public var holdoutFraction = 0.3
  public var seed: UInt64 = 42
  /// Called with the name of each phase as it starts (for a progress
  /// display; the library itself never prints).
  public var progress: (@Sendable (String) -> Void)?
  /// Ridge penalty of the outcome and propensity models (standardised scale).
  public var l2 = 1.0
  /// Take customer value from this feature instead of revenue × lifetime.
  /// nil: the repeat-purchase models' `clv` when the spec has it (a
  /// non-contractual log), else revenue × the stage chain's lifetime.
  public var valueFeature: String?
  public var valueHorizonDays = 1095
  /// Monthly discount rate of the revenue × lifetime value (the `clv`
  /// feature is discounted at its spec's rate).
  public var monthlyDiscountRate = 0.01
  /// Bootstrap replicates of the stage chain behind the value's standard
  /// error (0: none).
  public var valueBootstrapReplicates = 50
  public var propensityClip = 0.005
  /// Control rows kept at most (a seeded uniform sample beyond that).
  public var maxControlRows = 60_000
  /// Snapshot rows (customers × snapshot dates) built at once: the dates
  /// are read in blocks of about this many rows, one pass over the log
  /// each, so memory stays bounded while every customer is learned from.
  public var maxSnapshotRows = 400_000
  public var bootstrapReplicates = 200

  public init(catalog: ActionCatalog) { self.catalog = catalog }

  /// The learner to use when none is asked for: the hazard learner, unless
  /// assignment was not random or churn is inactivity (it needs treatments
  /// given at random and the time of each churn); else the S-learner.
  public static func defaultLearner(assignment: UpliftModel.Assignment, churn: ChurnDefinition) -> UpliftModel.Learner {
    assignment == .random && churn != .inactivity ? .hazard : .s
  }

  /// Refuses a learner that cannot work with the assignment and the churn
  /// definition; cheap, so a command can check before any training.
  public func checkLearner(churn: ChurnDefinition) throws(UpliftError) {
    try learner.estimator.check(assignment: assignment, churn: churn)
  }

  /// A treated or control row.
  struct Row {
    let customer: String
    let action: Int  // −1: control
    let churned: Bool
    let stage: Int?
    let x: [Double]
    let holdout: Bool
  }

  public func train(
    events path: String, schema: EventSchema, customers table: CustomerTable?, baseline: ChurnBaseline
  ) throws -> UpliftModel {
    try trainWithHoldout(events: path, schema: schema, customers: table, baseline: baseline).model
  }

  public func trainWithHoldout(
    events path: String, schema: EventSchema, customers table: CustomerTable?, baseline: ChurnBaseline
  ) throws -> (model: UpliftModel, holdout: HoldoutPredictions) {
    try check(events: path, baseline: baseline)
    let spec = baseline.spec
    let horizon = baseline.horizonDays

    // Pass 1: treatment times and churn times per customer.
    let history = try TreatmentHistory(
      path: path, schema: schema, actions: catalog.actions.map(\.id), churn: baseline.churnDefinition, spec: spec)

    // Pass 2 (one per block of snapshot dates): the rows the fits need.
    let grid = try snapshotGrid(history, horizon: horizon)
    let estimator = learner.estimator
    let snapshots = try snapshotRows(
      events: path, schema: schema, customers: table, baseline: baseline, history: history, grid: grid,
      learnsFromPeriods: estimator.learnsFromPeriods)
    let rows = snapshots.rows

    // Pass 3: the stage chain, for customer value and stage moves.
    let stageModel = try hasStages(path, schema) ? stageChain(events: path, schema: schema, baseline: baseline) : nil
    var value = try customerValue(stageModel, rows: rows, names: snapshots.featureNames, spec: spec)
    if stageModel == nil && value.source == .revenue {
      value.withoutStages(
        dailyChurnHazard: Self.dailyChurnHazard(history, horizonDays: horizon, through: baseline.firstCutoff),
        stages: spec.stages.count, monthlyDiscountRate: monthlyDiscountRate)
    }

    // Judged on the holdout when fitted without it, then refitted on every row.
    let fitting = UpliftFitting(
      trainer: self, learner: estimator, spec: spec, names: snapshots.featureNames, horizon: horizon, value: value)
    let periods = snapshots.periods
    progress?("uplift: fitting the \(learner) learner on \(rows.filter { !$0.holdout }.count) training rows")
    var held = try fitting.fit(rows.filter { !$0.holdout }, periods.filter { !$0.holdout })
    held.model.reachability = snapshots.reachability
    progress?("uplift: judging it on the holdout")
    let (evaluation, predictions) = try evaluate(
      held.model, rows: rows.filter(\.holdout), names: snapshots.featureNames, baseline: baseline,
      propensity: held.propensity)
    progress?("uplift: refitting on all \(rows.count) rows")
    var model = try fitting.fit(rows, periods).model
    model.reachability = snapshots.reachability
    model.evaluation = evaluation
    model.stageTransitions = stageModel?.actionEffects ?? []
    model.evaluation.holdout += "; the saved models are refitted on all rows"
    return (model, predictions)
  }

  /// Refuses what cannot be learned from before reading the log: standard
  /// input, a learner that cannot work with the data, a catalog that does
  /// not fit the model, an action the features do not record.
  private func check(events path: String, baseline: ChurnBaseline) throws {
    guard path != "-" else {
      throw UpliftError.eventsFromStandardInput
    }
    try checkLearner(churn: baseline.churnDefinition)
    try catalog.validate()
    try catalog.validate(features: baseline.features, stages: baseline.spec.stages)
    for a in catalog.actions where !baseline.spec.interventions.contains(a.id) {
      throw UpliftError.actionNotAnIntervention(a.id)
    }
  }

  /// Snapshot dates every `windowDays` from 60 days into the log to the
  /// last one whose window and horizon the log covers.
  private func snapshotGrid(_ history: TreatmentHistory, horizon: Int) throws -> [Cutoff] {
    let window = Int64(windowDays) * microsPerDay
    let first = (history.dataStart / microsPerDay + 60) * microsPerDay + microsPerDay - 1
    let last = history.dataEnd - Int64(horizon) * microsPerDay - window
    guard first < last else {
      throw UpliftError.logTooShort(horizonDays: horizon, windowDays: windowDays)
    }
    return stride(from: first, through: last, by: Int(window)).map(Cutoff.init(micros:))
  }

  /// The stage chain up to the training cutoff: expected lifetimes for the
  /// value, and the action-conditioned stage transitions.
  private func stageChain(
    events path: String, schema: EventSchema, baseline: ChurnBaseline
  ) throws -> StageTransitionModel {
    var chain = StageModelEstimator()
    switch baseline.churnDefinition {
    case .event(let name): chain.churnEvent = name
    case .inactivity: chain.inactivityDays = baseline.horizonDays
    }
    chain.stages = baseline.spec.stages
    chain.bootstrapReplicates =
      valueSource(names: baseline.features, spec: baseline.spec).feature == nil ? valueBootstrapReplicates : 0
    chain.keepsReplicates = true
    chain.seed = seed
    chain.observedThrough = baseline.firstCutoff?.micros
    chain.actionEvents = catalog.actions.map(\.id)
    chain.actionWindowDays = baseline.horizonDays
    progress?("uplift: the stage chain and customer value")
    var issues = IssueLog(limit: 0)
    var reader = try EventLogReader(path: path, schema: schema)
    return try chain.estimate(from: &reader, issues: &issues)
  }

  /// Whether the log has a stage column: else there is no stage chain to learn.
  private func hasStages(_ path: String, _ schema: EventSchema) throws -> Bool {
    try EventLogReader(path: path, schema: schema).columns.stage != nil
  }

  /// Churns per customer-day at risk up to `cutoff`, from each customer's
  /// first activity to their churn (a churn event, or with churn by
  /// inactivity the day a silence reaches the horizon) or the cutoff: the
  /// lifetime of a log without stages.
  static func dailyChurnHazard(_ history: TreatmentHistory, horizonDays: Int, through cutoff: Cutoff?) -> Double {
    let end = cutoff?.micros ?? history.dataEnd
    let horizon = Int64(horizonDays) * microsPerDay
    var churns = 0.0, days = 0.0
    for c in 0..<history.customerCount {
      let times = history.activity(c)
      guard let first = times.first, first <= end else { continue }
      let churn =
        history.definition == .inactivity
        ? ChurnDefinition.firstSilence(times, longerThan: horizon) ?? .max
        : history.churnTime[c]
      let stop = min(churn, end)
      days += Double(max(stop - first, 0)) / Double(microsPerDay)
      if churn <= end { churns += 1 }
    }
    return days > 0 ? churns / days : 0
  }

  /// Where the value comes from: `valueFeature`, else the `clv` feature of
  /// a repeat-purchase spec, else revenue × lifetime.
  func valueSource(names: [String], spec: FeatureSpec) -> (source: CustomerValue.Source, feature: String?) {
    if let valueFeature { return (.feature, valueFeature) }
    if spec.repeatPurchase != nil, let clv = ["clv", "log1p_clv"].first(where: names.contains) {
      return (.feature, clv)
    }
    return (.revenue, nil)
  }

  /// A customer's value: the value feature, or revenue × the discounted
  /// expected days alive over `valueHorizonDays` in their stage (the rows'
  /// mean without one), with standard errors over the chain's bootstrap.
  private func customerValue(
    _ stageModel: StageTransitionModel?, rows: [Row], names: [String], spec: FeatureSpec
  ) throws -> CustomerValue {
    let (source, feature) = valueSource(names: names, spec: spec)
    var value = CustomerValue(
      source: source, feature: feature, expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: valueHorizonDays)
    if feature == "clv" || feature == "log1p_clv", let family = spec.repeatPurchase {
      value.monthlyDiscountRate = family.discountRate ?? RepeatPurchaseFeature.defaultDiscountRate
    }
    if source == .revenue, let stageModel {
      let v = CustomerValue.dailyDiscountFactor(monthlyRate: monthlyDiscountRate)
      let staged = rows.compactMap(\.stage)
      let perStage = { (p: [[Double]]) -> (days: [Double], unstaged: Double) in
        let days = CustomerValue.expectedDaysAlive(p: p, horizon: self.valueHorizonDays, dailyDiscount: v)
        return (days, staged.isEmpty ? 0 : staged.reduce(0) { $0 + days[$1] } / Double(staged.count))
      }
      (value.expectedDays, value.expectedDaysWithoutStage) = perStage(stageModel.transitionMatrix)
      value.monthlyDiscountRate = monthlyDiscountRate
      if let replicates = stageModel.transitionReplicates, replicates.count > 1 {
        let draws = replicates.map(perStage)
        value.expectedDaysStandardError = value.expectedDays.indices.map { s in
          SampleMoments.standardDeviation(draws.map { $0.days[s] })
        }
        value.expectedDaysWithoutStageStandardError = SampleMoments.standardDeviation(draws.map(\.unstaged))
      }
    }
    _ = try value.columns(in: names)
    return value
  }

  static func hash(_ id: String) -> UInt64 {
    var h: UInt64 = 0xCBF2_9CE4_8422_2325
    for b in id.utf8 { h = (h ^ UInt64(b)) &* 0x100_0000_01B3 }
    return h
  }
}
