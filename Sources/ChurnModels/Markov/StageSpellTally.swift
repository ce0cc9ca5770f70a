import ChurnData
import ChurnIO

/// One pass over customers' stage observations: each customer's spells in
/// their stages (moves, days, whole periods), and beside them the stage
/// profiles, touchpoints, lifetimes, exposure to actions and — for the
/// daily chain — the gaps between observed days that the panel estimator
/// fits. What `StageModelEstimator.fit` estimates the chain from.
struct StageSpellTally {
  let observations: StageObservations
  let churned: Int
  let period: Double
  let inactivityDays: Int?
  /// The daily chain is fitted over the gaps between observed days.
  let collectsDailyGaps: Bool
  /// Each customer's gaps are kept for the bootstrap.
  let keepsCustomerGaps: Bool
  let actions: Int
  let actionOfEvent: [Int32: Int]

  var moves: [[Int]]
  var days: [Double]
  var periodCounts: [[Double]]
  var customers = 0
  var profile: StageProfileAccumulator
  var touchpoints: TouchpointAccumulator
  var lifetimes = CustomerLifetimes()
  var exposure: ExposureAccumulator
  var gaps: [PanelChainEstimator.Gap: Int] = [:]
  var bootstrap = PanelBootstrap()

  init(_ observations: StageObservations, estimator: StageModelEstimator) {
    let k = estimator.stages.count
    self.observations = observations
    churned = k - 1
    period = Double(estimator.periodDays)
    inactivityDays = estimator.inactivityDays
    collectsDailyGaps = estimator.periodDays == 1
    keepsCustomerGaps = estimator.bootstrapReplicates > 0
    actions = estimator.actionEvents.count
    actionOfEvent = Dictionary(
      estimator.actionEvents.enumerated().compactMap { a, name in observations.eventNames.lookup(name).map { ($0, a) }
      },
      uniquingKeysWith: { a, _ in a })
    moves = Array(repeating: Array(repeating: 0, count: k), count: k)
    days = [Double](repeating: 0, count: k)
    periodCounts = Array(repeating: Array(repeating: 0.0, count: k), count: k)
    profile = StageProfileAccumulator(stages: k)
    touchpoints = TouchpointAccumulator(stages: k, keys: observations.touchKeys)
    exposure = ExposureAccumulator(actions: estimator.actionEvents, windowDays: estimator.actionWindowDays, stages: k)
  }

  /// Adds one customer, whose observations are `indexes` in time order.
  mutating func add(_ indexes: ArraySlice<Int>) {
    let inferredChurn = walk(indexes)
    if collectsDailyGaps { addDailyGaps(indexes, inactivityChurn: inferredChurn) }
  }

  // MARK: - Spells

  /// A customer's current spell and what their spells so far add up to.
  private struct Spell {
    var stage: Int
    var enter: Int64
    var lastTouch: Int32
    var visited: UInt64
    var churnedAt: Int64?
    let treatments: [[Int64]]
  }

  /// Walks one customer's observations into spells; returns the time of a
  /// churn inferred from inactivity, if any.
  private mutating func walk(_ indexes: ArraySlice<Int>) -> Int64? {
    customers += 1
    addTouches(indexes)
    let time = observations.time, stage = observations.stage, touch = observations.touch
    let first = indexes.first!
    let firstSeen = time[first]
    var spell = Spell(
      stage: Int(stage[first]), enter: firstSeen, lastTouch: touch[first], visited: 1 << UInt64(stage[first]),
      churnedAt: nil, treatments: treatments(indexes))
    var lastSeen = firstSeen
    var inactivityChurn: Int64?
    profile.firstStage[spell.stage] += 1
    for i in indexes.dropFirst() where spell.stage != churned {
      let s = Int(stage[i])
      if let window = inactivityDays, time[i] - lastSeen > Int64(window) * microsPerDay {
        let churnAt = lastSeen + Int64(window) * microsPerDay
        close(&spell, at: churnAt, to: churned)
        inactivityChurn = churnAt
        spell.stage = churned
        break
      }
      if s != spell.stage {
        let moveAt = s == churned ? time[i] : lastSeen + (time[i] - lastSeen) / 2
        close(&spell, at: moveAt, to: s)
        spell.stage = s
        spell.enter = moveAt
      }
      lastSeen = time[i]
      spell.lastTouch = touch[i]
    }
    if spell.stage != churned {
      if let window = inactivityDays, observations.dataEnd - lastSeen > Int64(window) * microsPerDay {
        inactivityChurn = lastSeen + Int64(window) * microsPerDay
        close(&spell, at: inactivityChurn!, to: churned)
      } else {
        close(&spell, at: observations.dataEnd, to: nil)  // censored
      }
    }
    profile.countReached(spell.visited)
    if spell.stage == churned && spell.churnedAt == nil { spell.churnedAt = firstSeen }  // churn on the first record
    lifetimes.append(
      firstSeen: firstSeen, end: spell.churnedAt ?? observations.dataEnd, churned: spell.churnedAt != nil)
    return inactivityChurn
  }

  /// Every observation's stage, channel, sentiment and touchpoint.
  private mutating func addTouches(_ indexes: ArraySlice<Int>) {
    var ratings: [Int: (sum: Double, count: Int)] = [:]
    for i in indexes {
      let s = Int(observations.stage[i])
      let touch = observations.touch[i]
      let sentiment = observations.sentiment[i]
      profile.add(stage: s, channel: observations.touchKeys[Int(touch)].channel, sentiment: sentiment)
      touchpoints.add(stage: s, touch: touch, sentiment: sentiment)
      if sentiment.isFinite { ratings[s, default: (0, 0)].sum += sentiment; ratings[s, default: (0, 0)].count += 1 }
    }
    for (s, r) in ratings { profile.addCustomerSentiment(stage: s, sum: r.sum, count: r.count) }
  }

  /// The times the customer received each action.
  private func treatments(_ indexes: ArraySlice<Int>) -> [[Int64]] {
    var treatments = [[Int64]](repeating: [], count: actions)
    guard !actionOfEvent.isEmpty else { return treatments }
    for i in indexes {
      if let a = actionOfEvent[observations.touchKeys[Int(observations.touch[i])].event] {
        treatments[a].append(observations.time[i])
      }
    }
    return treatments
  }

  /// Ends the spell at `end`, moving to `next` (nil: censored there).
  private mutating func close(_ spell: inout Spell, at end: Int64, to next: Int?) {
    let current = spell.stage
    if !actionOfEvent.isEmpty {
      exposure.add(stage: current, enter: spell.enter, end: end, next: next, treatments: spell.treatments)
    }
    let d = Double(end - spell.enter) / Double(microsPerDay)
    days[current] += d
    profile.spells[current] += 1
    if next != nil { profile.completedDwell[current].append(d) }
    if let next { spell.visited |= 1 << UInt64(next) }
    if next == churned {
      spell.churnedAt = end
      touchpoints.countChurn(stage: current, lastTouch: spell.lastTouch)
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

  // MARK: - Daily gaps

  /// The stage of each observed day (a churn event counts from the next
  /// day: the customer was still in their stage that day), and the gaps
  /// between consecutive observed days. A churn inferred from inactivity is
  /// observed like a churn event at the end of the window; later events
  /// are left out, as in the spells.
  private mutating func addDailyGaps(_ indexes: ArraySlice<Int>, inactivityChurn: Int64?) {
    var observed: [(day: Int64, stage: Int)] = []
    for i in indexes where inactivityChurn.map({ observations.time[i] <= $0 }) ?? true {
      let s = Int(observations.stage[i])
      let d = observations.time[i] / microsPerDay + (s == churned ? 1 : 0)
      if let last = observed.last, last.day == d {
        observed[observed.count - 1].stage = s
      } else {
        observed.append((d, s))
      }
    }
    if let churnAt = inactivityChurn, observed.last?.stage != churned {
      observed.append((churnAt / microsPerDay + 1, churned))
    }
    var previous: (day: Int64, stage: Int)?
    var customerGaps: [PanelChainEstimator.Gap] = []
    for o in observed {
      if let p = previous, p.stage != churned {
        let gap = PanelChainEstimator.Gap(from: p.stage, to: o.stage, days: Int(o.day - p.day))
        gaps[gap, default: 0] += 1
        if keepsCustomerGaps { customerGaps.append(gap) }
      }
      previous = o
    }
    if keepsCustomerGaps { bootstrap.addCustomer(customerGaps) }
  }
}
