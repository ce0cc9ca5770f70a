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
    let churned = stages.count - 1
    let k = stages.count
    let time = observations.time, stage = observations.stage
    let touch = observations.touch
    let dataEnd = observations.dataEnd
    var profile = StageProfileAccumulator(stages: k)
    var touchpoints = TouchpointAccumulator(stages: k, keys: observations.touchKeys)
    let order = observations.order
    var moves = Array(repeating: Array(repeating: 0, count: k), count: k)
    var days = [Double](repeating: 0, count: k)
    var periodCounts = Array(repeating: Array(repeating: 0.0, count: k), count: k)
    let day = Double(microsPerDay)
    let period = Double(periodDays)
    var customers = 0
    var lifetimes = CustomerLifetimes()
    var exposure = ExposureAccumulator(actions: actionEvents, windowDays: actionWindowDays, stages: k)
    let actionOfEvent: [Int32: Int] = Dictionary(
      actionEvents.enumerated().compactMap { a, name in observations.eventNames.lookup(name).map { ($0, a) } },
      uniquingKeysWith: { a, _ in a })

    // Walks one customer's observations into spells.
    // Returns the time of a churn inferred from inactivity, if any.
    func spells(_ indexes: ArraySlice<Int>) -> Int64? {
      customers += 1
      for i in indexes {
        let s = Int(stage[i])
        profile.add(
          stage: s, channel: observations.touchKeys[Int(touch[i])].channel, sentiment: observations.sentiment[i])
        touchpoints.add(stage: s, touch: touch[i], sentiment: observations.sentiment[i])
      }
      var treatments = [[Int64]](repeating: [], count: actionEvents.count)
      if !actionOfEvent.isEmpty {
        for i in indexes {
          if let a = actionOfEvent[observations.touchKeys[Int(touch[i])].event] { treatments[a].append(time[i]) }
        }
      }
      let firstSeen = time[indexes.first!]
      var churnedAt: Int64?
      var current = Int(stage[indexes.first!])
      var visited: UInt64 = 1 << UInt64(current)
      var enter = time[indexes.first!]
      var lastSeen = enter
      var lastTouch = touch[indexes.first!]
      var inactivityChurn: Int64?
      profile.firstStage[current] += 1
      func close(at end: Int64, to next: Int?) {
        if !actionOfEvent.isEmpty {
          exposure.add(stage: current, enter: enter, end: end, next: next, treatments: treatments)
        }
        let d = Double(end - enter) / day
        days[current] += d
        profile.spells[current] += 1
        if next != nil { profile.completedDwell[current].append(d) }
        if let next { visited |= 1 << UInt64(next) }
        if next == churned {
          churnedAt = end
          touchpoints.countChurn(stage: current, lastTouch: lastTouch)
          profile.churnDwell[current].append(d)
        } else if next != nil {
          profile.movedOnDwell[current].append(d)
        }
        let steps = (d / period).rounded(.down)
        if let next {
          moves[current][next] += 1
          periodCounts[current][current] += max(steps - 1, 0)
          periodCounts[current][next] += 1
        } else {
          periodCounts[current][current] += steps
        }
      }
      for i in indexes.dropFirst() where current != churned {
        let s = Int(stage[i])
        if let window = inactivityDays, time[i] - lastSeen > Int64(window) * microsPerDay {
          let churnAt = lastSeen + Int64(window) * microsPerDay
          close(at: churnAt, to: churned)
          inactivityChurn = churnAt
          current = churned
          break
        }
        if s != current {
          let moveAt = s == churned ? time[i] : lastSeen + (time[i] - lastSeen) / 2
          close(at: moveAt, to: s)
          current = s
          enter = moveAt
        }
        lastSeen = time[i]
        lastTouch = touch[i]
      }
      defer {
        profile.countReached(visited)
        if current == churned && churnedAt == nil { churnedAt = firstSeen }  // churn on the first record
        lifetimes.append(firstSeen: firstSeen, end: churnedAt ?? dataEnd, churned: churnedAt != nil)
      }
      guard current != churned else { return inactivityChurn }
      if let window = inactivityDays, dataEnd - lastSeen > Int64(window) * microsPerDay {
        inactivityChurn = lastSeen + Int64(window) * microsPerDay
        close(at: inactivityChurn!, to: churned)
      } else {
        close(at: dataEnd, to: nil)  // censored
      }
      return inactivityChurn
    }
    var gaps: [PanelChainEstimator.Gap: Int] = [:]
    var bootstrap = PanelBootstrap()
    for run in runs {
      let inferredChurn = spells(order[run])
      if periodDays == 1 { dailyGaps(order[run], inactivityChurn: inferredChurn, into: &gaps) }
    }

    // The stage of each observed day (a churn event counts from the next
    // day: the customer was still in their stage that day), and the gaps
    // between consecutive observed days. A churn inferred from inactivity is
    // observed like a churn event at the end of the window; later events
    // are left out, as in the spells.
    func dailyGaps(_ indexes: ArraySlice<Int>, inactivityChurn: Int64?, into gaps: inout [PanelChainEstimator.Gap: Int])
    {
      var previous: (day: Int64, stage: Int)?
      var observations: [(day: Int64, stage: Int)] = []
      for i in indexes where inactivityChurn.map({ time[i] <= $0 }) ?? true {
        let s = Int(stage[i])
        let d = time[i] / microsPerDay + (s == churned ? 1 : 0)
        if let last = observations.last, last.day == d {
          observations[observations.count - 1].stage = s
        } else {
          observations.append((d, s))
        }
      }
      if let churnAt = inactivityChurn, observations.last?.stage != churned {
        observations.append((churnAt / microsPerDay + 1, churned))
      }
      var customerGaps: [PanelChainEstimator.Gap] = []
      for o in observations {
        if let p = previous, p.stage != churned {
          let gap = PanelChainEstimator.Gap(from: p.stage, to: o.stage, days: Int(o.day - p.day))
          gaps[gap, default: 0] += 1
          if bootstrapReplicates > 0 { customerGaps.append(gap) }
        }
        previous = o
      }
      if bootstrapReplicates > 0 { bootstrap.addCustomer(customerGaps) }
    }

    var p = Matrix(rows: k, columns: k)
    var q = Matrix(rows: k, columns: k)
    for i in 0..<(k - 1) {
      let total = periodCounts[i].reduce(0, +) + dirichletAlpha * Double(k)
      for j in 0..<k { p[i, j] = (periodCounts[i][j] + dirichletAlpha) / total }
      for j in 0..<k where j != i && days[i] > 0 {
        q[i, j] = Double(moves[i][j]) / days[i]
        q[i, i] -= q[i, j]
      }
    }
    p[k - 1, k - 1] = 1
    let counted = p.rowList
    var iterations = 0
    var logLikelihood: Double?
    var interval: (lower: [[Double]], upper: [[Double]])?
    if periodDays == 1 && !gaps.isEmpty {
      // Maximum likelihood over the unseen days between observations,
      // started from the spell estimate.
      let panel = PanelChainEstimator(states: k, absorbing: churned)
      let em = panel.estimate(gaps: gaps, start: counted)
      p = Matrix(rowMajor: em.p)
      iterations = em.iterations
      logLikelihood = panel.logLikelihood(gaps: gaps, p: em.p)
      if bootstrapReplicates > 0 {
        interval = bootstrap.intervals(estimator: panel, fitted: em.p, replicates: bootstrapReplicates, seed: seed)
      }
    }
    let analysis = try AbsorbingChainAnalysis(p: p, stages: stages, horizons: horizons.map { max(1, $0 / periodDays) })
    return StageTransitionModel(
      stages: stages, periodDays: periodDays, dirichletAlpha: dirichletAlpha, moves: moves, daysInStage: days,
      periodCounts: periodCounts, countTransitionMatrix: counted, transitionMatrix: p.rowList,
      maximumLikelihoodIterations: iterations, logLikelihood: logLikelihood,
      bootstrapReplicates: interval == nil ? 0 : bootstrapReplicates,
      transitionLower: interval?.lower, transitionUpper: interval?.upper, generator: q.rowList, customers: customers,
      absorption: analysis,
      profiles: profile.profiles(stages: stages, channelNames: observations.channelNames, days: days),
      retention: lifetimes.retentionByCohort(),
      actionEffects: actionEvents.isEmpty ? nil : exposure.effects(stages: stages, windowDays: actionWindowDays),
      painPoints: try PainPointAnalysis(
        p: p, stages: stages, moves: moves, profile: profile, touchpoints: touchpoints,
        eventNames: observations.eventNames, channelNames: observations.channelNames, horizon: max(1, 365 / periodDays),
        periodDays: periodDays))
  }
}
