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

  public init(churnEvent: String? = nil, inactivityDays: Int? = nil) {
    self.churnEvent = churnEvent
    self.inactivityDays = inactivityDays
  }

  public func estimate(from reader: inout EventLogReader, issues: inout IssueLog) throws -> StageTransitionModel {
    guard reader.columns.stage != nil else {
      throw FeatureError.missingInput("\(reader.path): the stage model needs a stage column (see --stage-column)")
    }
    guard stages.count <= 64 else { throw ModelError.invalidOption("at most 64 stages are supported, not \(stages.count)") }
    guard stages.last == "churned", stages.count >= 2 else {
      throw ModelError.invalidOption("the stage list must end with the absorbing stage 'churned'")
    }
    let churned = stages.count - 1
    // Observations (customer, time, stage index); churn events map to `churned`.
    var customer: [Int32] = []
    var time: [Int64] = []
    var stage: [Int8] = []
    var stageOfID: [Int] = []
    var churnTypeID: Int32 = -1
    var dataEnd = Int64.min
    let k = stages.count
    var profile = StageProfileAccumulator(stages: k)
    var touchpoints = TouchpointAccumulator(stages: k)
    var touch: [Int32] = []
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      while stageOfID.count < reader.stages.count {
        stageOfID.append(stages.firstIndex(of: reader.stages.string(Int32(stageOfID.count))) ?? -1)
      }
      if churnTypeID < 0, let name = churnEvent { churnTypeID = reader.eventTypes.lookup(name) ?? -1 }
      for i in 0..<batch.count {
        dataEnd = max(dataEnd, batch.time[i])
        var s = batch.stage[i] >= 0 ? stageOfID[Int(batch.stage[i])] : -1
        if batch.event[i] == churnTypeID { s = churned }
        guard s >= 0 else { continue }
        profile.add(stage: s, channel: batch.channel[i], sentiment: batch.sentiment[i])
        touch.append(touchpoints.add(stage: s, event: batch.event[i], channel: batch.channel[i], sentiment: batch.sentiment[i]))
        customer.append(batch.customer[i])
        time.append(batch.time[i])
        stage.append(Int8(s))
      }
    }
    let order = Self.customerTimeOrder(customer: customer, time: time, stage: stage)
    var moves = Array(repeating: Array(repeating: 0, count: k), count: k)
    var days = [Double](repeating: 0, count: k)
    var periodCounts = Array(repeating: Array(repeating: 0.0, count: k), count: k)
    let day = Double(microsPerDay)
    let period = Double(periodDays)
    var customers = 0
    var lifetimes = CustomerLifetimes()

    // Walks one customer's observations into spells.
    // Returns the time of a churn inferred from inactivity, if any.
    func spells(_ indexes: ArraySlice<Int>) -> Int64? {
      customers += 1
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
    var start = 0
    var gaps: [PanelChainEstimator.Gap: Int] = [:]
    var bootstrap = PanelBootstrap()
    while start < order.count {
      var end = start + 1
      while end < order.count && customer[order[end]] == customer[order[start]] { end += 1 }
      let inferredChurn = spells(order[start..<end])
      if periodDays == 1 { dailyGaps(order[start..<end], inactivityChurn: inferredChurn, into: &gaps) }
      start = end
    }

    // The stage of each observed day (a churn event counts from the next
    // day: the customer was still in their stage that day), and the gaps
    // between consecutive observed days. A churn inferred from inactivity is
    // observed like a churn event at the end of the window; later events
    // are left out, as in the spells.
    func dailyGaps(_ indexes: ArraySlice<Int>, inactivityChurn: Int64?, into gaps: inout [PanelChainEstimator.Gap: Int]) {
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
    var interval: (lower: [[Double]], upper: [[Double]])?
    if periodDays == 1 && !gaps.isEmpty {
      // Maximum likelihood over the unseen days between observations,
      // started from the spell estimate.
      let panel = PanelChainEstimator(states: k, absorbing: churned)
      let em = panel.estimate(gaps: gaps, start: counted)
      p = Matrix(rowMajor: em.p)
      iterations = em.iterations
      if bootstrapReplicates > 0 {
        interval = bootstrap.intervals(estimator: panel, fitted: em.p, replicates: bootstrapReplicates, seed: seed)
      }
    }
    let analysis = try AbsorbingChainAnalysis(p: p, stages: stages, horizons: horizons.map { max(1, $0 / periodDays) })
    return StageTransitionModel(
      stages: stages, periodDays: periodDays, dirichletAlpha: dirichletAlpha, moves: moves, daysInStage: days,
      periodCounts: periodCounts, countTransitionMatrix: counted, transitionMatrix: p.rowList,
      maximumLikelihoodIterations: iterations, bootstrapReplicates: interval == nil ? 0 : bootstrapReplicates,
      transitionLower: interval?.lower, transitionUpper: interval?.upper, generator: q.rowList, customers: customers, absorption: analysis,
      profiles: profile.profiles(stages: stages, channelNames: reader.channels, days: days),
      retention: lifetimes.retentionByCohort(),
      painPoints: try PainPointAnalysis(
        p: p, stages: stages, moves: moves, profile: profile, touchpoints: touchpoints,
        eventNames: reader.eventTypes, channelNames: reader.channels, horizon: max(1, 365 / periodDays), periodDays: periodDays))
  }

  /// Indexes of the observations ordered by (customer, time, stage): a
  /// counting sort by customer (ids are dense), then each customer's few
  /// observations sorted only when the log did not already have them in order.
  static func customerTimeOrder(customer: [Int32], time: [Int64], stage: [Int8]) -> [Int] {
    let customers = Int(customer.max() ?? -1) + 1
    var start = [Int](repeating: 0, count: customers + 1)
    for c in customer { start[Int(c) + 1] += 1 }
    for c in 0..<customers { start[c + 1] += start[c] }
    var next = start
    var order = [Int](repeating: 0, count: customer.count)
    for (i, c) in customer.enumerated() {
      order[next[Int(c)]] = i
      next[Int(c)] += 1
    }
    func before(_ a: Int, _ b: Int) -> Bool { (time[a], stage[a]) < (time[b], stage[b]) }
    for c in 0..<customers {
      let range = start[c]..<start[c + 1]
      guard range.count > 1 else { continue }
      var sorted = true
      for k in range.dropFirst() where before(order[k], order[k - 1]) {
        sorted = false
        break
      }
      if !sorted { order[range].sort(by: before) }
    }
    return order
  }
}
