import ChurnData
import ChurnIO
import LinearAlgebra

/// Estimates a `StageTransitionModel` from an event log with a stage column.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// let model = try StageModelEstimator(churnEvent: "cancel").estimate(from: &reader, issues: &issues)
/// ```
public struct StageModelEstimator: Sendable {
  /// Stages in order; the last is the absorbing `churned`.
  public var stages = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "churned"]
  /// An event type that means the customer churned.
  public var churnEvent: String?
  /// Days without any event after which a customer counts as churned.
  public var inactivityDays: Int?
  /// The period of the discrete-time matrix, in days.
  public var periodDays = 1
  /// Dirichlet prior count added to every cell of a transient row.
  public var dirichletAlpha = 0.5
  /// Horizons (in periods) for the churn-within probabilities.
  public var horizons = [30, 90, 365]
  /// Bootstrap replicates over customers for the intervals of the daily
  /// matrix (0: none).
  public var bootstrapReplicates = 100
  /// Seed of the bootstrap draws.
  public var seed: UInt64 = 1
  /// Keep the bootstrap's matrices in the model (`transitionReplicates`),
  /// for the uncertainty of figures computed from the chain.
  public var keepsReplicates = false
  /// Stages from event types, for logs without a stage column (or to
  /// override it); nil: the stage column.
  public var stageMapping: StageMapping?
  /// Fit on the events up to this instant only (µs since the epoch), the
  /// data ending there: a point-in-time chain for features at a cutoff.
  public var observedThrough: Int64?
  /// Until when the log is complete (the open spells run to there); nil:
  /// the end of the last event's day for a date-only log, else the last
  /// event. Ignored with `observedThrough`.
  public var observedUntil: Cutoff?
  /// Event types that are actions: the model then reports, per action and
  /// stage, the churn and advance rates within `actionWindowDays` of the
  /// action against the stage's rates outside any action's window.
  public var actionEvents: [String] = []
  public var actionWindowDays = 90
  /// Leave out the stages no event of the log is in (`churned` stays): a
  /// stage nobody was seen in has no transitions to estimate, and its row
  /// would be the prior's invention. Off where the chain must keep the
  /// spec's stage list (the `markov_churn` feature, uplift).
  public var omitsUnobservedStages = false

  public init(churnEvent: String? = nil, inactivityDays: Int? = nil) {
    self.churnEvent = churnEvent
    self.inactivityDays = inactivityDays
  }

  public func estimate(from reader: inout EventLogReader, issues: inout IssueLog) throws -> StageTransitionModel {
    let (estimator, observations) = try observed(&reader, issues: &issues)
    return try estimator.fit(observations, customers: observations.customerRuns)
  }

  /// The observations, and this estimator with the stage list they need.
  private func observed(
    _ reader: inout EventLogReader, issues: inout IssueLog
  ) throws -> (StageModelEstimator, StageObservations) {
    var observations = try observe(&reader, issues: &issues)
    guard omitsUnobservedStages else { return (self, observations) }
    var seen = [Bool](repeating: false, count: stages.count)
    for s in observations.stage where s >= 0 { seen[Int(s)] = true }
    seen[stages.count - 1] = true
    guard seen.contains(false) else { return (self, observations) }
    var newIndex = [Int8](repeating: -1, count: stages.count)
    var kept: [String] = []
    for (s, name) in stages.enumerated() where seen[s] {
      newIndex[s] = Int8(kept.count)
      kept.append(name)
    }
    observations.stage = observations.stage.map { $0 >= 0 ? newIndex[Int($0)] : $0 }
    var reduced = self
    reduced.stages = kept
    return (reduced, observations)
  }

  /// One chain per segment (and one for all customers): `segmentOf` gives a
  /// customer's segment from their id (nil or empty: the segment
  /// `StageSegmentComparison.missing`). Segments come back sorted by name.
  public func estimateBySegment(
    from reader: inout EventLogReader, issues: inout IssueLog, segmentOf: (String) -> String?
  ) throws -> (all: StageTransitionModel, segments: [(name: String, model: StageTransitionModel)]) {
    let (estimator, observations) = try observed(&reader, issues: &issues)
    let all = try estimator.fit(observations, customers: observations.customerRuns)
    var runs: [String: [Range<Int>]] = [:]
    for run in observations.customerRuns {
      let c = observations.customer[observations.order[run.lowerBound]]
      let segment = segmentOf(observations.customerNames.string(c)).flatMap { $0.isEmpty ? nil : $0 }
      runs[segment ?? StageSegmentComparison.missing, default: []].append(run)
    }
    var segments: [(name: String, model: StageTransitionModel)] = []
    for name in runs.keys.sorted() {
      segments.append((name, try estimator.fit(observations, customers: runs[name]!)))
    }
    return (all, segments)
  }

  /// Reads the log into stage observations (checking the configuration first).
  func observe(_ reader: inout EventLogReader, issues: inout IssueLog) throws -> StageObservations {
    guard reader.columns.stage != nil || stageMapping != nil else {
      throw FeatureError.missingInput(
        "\(reader.path): the stage model needs a stage column (see --stage-column) or a mapping from event types to stages (--stage-map)"
      )
    }
    guard stages.count <= 64 else {
      throw ConfigurationError.tooManyStages(stages.count)
    }
    guard stages.last == "churned", stages.count >= 2, Set(stages).count == stages.count else {
      throw ConfigurationError.stageList(stages)
    }
    try stageMapping?.validate(against: stages)
    let observations = try StageObservations(
      reader: &reader, issues: &issues, stages: stages, churnEvent: churnEvent, mapping: stageMapping,
      through: observedThrough, observedUntil: observedUntil)
    guard !observations.order.isEmpty else {
      let source = stageMapping == nil ? "stage column value" : "event type in the stage mapping"
      throw FeatureError.missingInput(
        "\(reader.path): no event gives a stage (no \(source) is one of \(stages.joined(separator: ", ")))")
    }
    return observations
  }

  /// Fits the model on the customers whose runs of `observations.order` are given.
  func fit(_ observations: StageObservations, customers runs: [Range<Int>]) throws -> StageTransitionModel {
    var tally = StageSpellTally(observations, estimator: self)
    for run in runs { tally.add(observations.order[run]) }
    let (counted, generator) = spellEstimates(tally)
    var p = Matrix(rowMajor: counted)
    var iterations = 0
    var logLikelihood: Double?
    var interval: (lower: [[Double]], upper: [[Double]])?
    var replicates: [[[Double]]]?
    if periodDays == 1 && !tally.gaps.isEmpty {
      // Maximum likelihood over the unseen days between observations,
      // started from the spell estimate.
      let panel = PanelChainEstimator(states: stages.count, absorbing: stages.count - 1)
      let em = panel.estimate(gaps: tally.gaps, start: counted)
      p = Matrix(rowMajor: em.p)
      iterations = em.iterations
      logLikelihood = panel.logLikelihood(gaps: tally.gaps, p: em.p)
      if bootstrapReplicates > 0 {
        let fits = tally.bootstrap.replicates(
          estimator: panel, fitted: em.p, replicates: bootstrapReplicates, seed: seed)
        interval = PanelBootstrap.intervals(fits, fitted: em.p)
        let k = stages.count
        if keepsReplicates { replicates = fits.map { f in (0..<k).map { Array(f[($0 * k)..<($0 * k + k)]) } } }
      }
    }
    let analysis = try AbsorbingChainAnalysis(
      p: p, stages: stages, horizons: horizons.map { max(1, $0 / periodDays) },
      observedMoves: tally.moves.map { $0.map { $0 > 0 } })
    var model = StageTransitionModel(
      stages: stages, periodDays: periodDays, dirichletAlpha: dirichletAlpha, moves: tally.moves,
      daysInStage: tally.days, periodCounts: tally.periodCounts, countTransitionMatrix: counted,
      transitionMatrix: p.rowList, maximumLikelihoodIterations: iterations, logLikelihood: logLikelihood,
      bootstrapReplicates: interval == nil ? 0 : bootstrapReplicates,
      transitionLower: interval?.lower, transitionUpper: interval?.upper, generator: generator,
      customers: tally.customers, absorption: analysis,
      profiles: tally.profile.profiles(stages: stages, channelNames: observations.channelNames, days: tally.days),
      retention: tally.lifetimes.retentionByCohort(),
      actionEffects: actionEvents.isEmpty ? nil : tally.exposure.effects(stages: stages, windowDays: actionWindowDays),
      painPoints: try PainPointAnalysis(
        p: p, stages: stages, moves: tally.moves, profile: tally.profile, touchpoints: tally.touchpoints,
        eventNames: observations.eventNames, channelNames: observations.channelNames,
        horizon: max(1, 365 / periodDays), periodDays: periodDays))
    model.transitionReplicates = replicates
    return model
  }

  /// The chain from the spells: the period matrix from whole periods in
  /// each stage with a Dirichlet prior, and the continuous-time generator
  /// from moves per day in each stage.
  private func spellEstimates(_ tally: StageSpellTally) -> (periodMatrix: [[Double]], generator: [[Double]]) {
    let k = stages.count
    var p = Matrix(rows: k, columns: k)
    var q = Matrix(rows: k, columns: k)
    for i in 0..<(k - 1) {
      let total = tally.periodCounts[i].reduce(0, +) + dirichletAlpha * Double(k)
      for j in 0..<k { p[i, j] = (tally.periodCounts[i][j] + dirichletAlpha) / total }
      for j in 0..<k where j != i && tally.days[i] > 0 {
        q[i, j] = Double(tally.moves[i][j]) / tally.days[i]
        q[i, i] -= q[i, j]
      }
    }
    p[k - 1, k - 1] = 1
    return (p.rowList, q.rowList)
  }
}
