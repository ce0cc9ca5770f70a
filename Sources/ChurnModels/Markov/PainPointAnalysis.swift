import ChurnData
import ChurnIO
import LinearAlgebra

/// Where churn comes from, by stage and by touchpoint (event type × channel)
/// within a stage, ranked in one currency: customers.
///
/// - A stage's **removal effect** is the share of churn within the horizon
///   (from the observed mix of first stages) that disappears when that
///   stage's flow into churn is removed — the customers stay instead — as in
///   Markov attribution. Its score is that share of the customers seen to
///   churn.
/// - A touchpoint's **last-touch churn** counts customers whose last event in
///   the stage before churning was that touchpoint; its score is the excess
///   over what its share of the stage's events would give.
public struct PainPointAnalysis: Sendable, Codable {
  /// Horizon of the removal effect, in periods.
  public let horizonPeriods: Int
  /// Share of customers whose first observation was in each transient stage.
  public let startDistribution: [Double]
  /// Probability of churning within the horizon from that start.
  public let churnWithinHorizon: Double
  public let stages: [StagePainPoint]
  public let touchpoints: [TouchpointPainPoint]
  /// The ten largest scores of both kinds, largest first.
  public let ranked: [PainPoint]

  public struct StagePainPoint: Sendable, Codable {
    public let stage: String
    public let customersReached: Int
    /// Customers who churned from this stage.
    public let churned: Int
    public let removalEffect: Double
    public let meanSentiment: Double?
    /// Median length of stays that moved on to another stage, in days.
    public let medianDwellDays: Double?
    /// Median length of stays that ended in churn, in days.
    public let medianDwellBeforeChurnDays: Double?
  }

  public struct TouchpointPainPoint: Sendable, Codable {
    public let stage: String
    public let event: String
    /// Empty when the events carry no channel.
    public let channel: String
    public let events: Int
    public let meanSentiment: Double?
    /// Customers whose last event in the stage before churning was this one.
    public let lastTouchChurns: Int
    /// Share of the stage's events.
    public let eventShare: Double
    /// Share of the stage's churns.
    public let churnShare: Double
  }

  public struct PainPoint: Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case stage, touchpoint }
    public let kind: Kind
    public let stage: String
    /// "event via channel" for a touchpoint, nil for a stage.
    public let touchpoint: String?
    /// Customers attributable (see the type's documentation).
    public let customers: Double
    /// One line for the report.
    public let explanation: String
  }

  init(
    p: Matrix, stages names: [String], moves: [[Int]], profile: StageProfileAccumulator,
    touchpoints touches: TouchpointAccumulator, eventNames: Interner, channelNames: Interner, horizon: Int,
    periodDays: Int
  ) throws(LinearAlgebraError) {
    let k = names.count
    let churned = k - 1
    let transient = Array(0..<churned)
    let starters = transient.reduce(0) { $0 + profile.firstStage[$1] }
    let start = transient.map { starters > 0 ? Double(profile.firstStage[$0]) / Double(starters) : 0 }
    func churnWithin(_ chain: Matrix) -> Double {
      let ph = AbsorbingChainAnalysis.power(chain, horizon)
      return transient.reduce(0) { $0 + start[$1] * ph[$1, churned] }
    }
    let base = churnWithin(p)
    horizonPeriods = horizon
    startDistribution = start
    churnWithinHorizon = base
    let churnedCustomers = transient.reduce(0) { $0 + moves[$1][churned] }
    let (stageRows, stagePoints) = Self.stages(
      p, names: names, moves: moves, profile: profile, base: base, churnedCustomers: churnedCustomers,
      days: horizon * periodDays, churnWithin: churnWithin)
    let (touchRows, touchPoints) = Self.touchpoints(
      touches, names: names, eventNames: eventNames, channelNames: channelNames)
    stages = stageRows
    touchpoints = touchRows
    ranked = Array(
      (stagePoints + touchPoints).sorted {
        ($1.customers, $0.stage, $0.touchpoint ?? "") < ($0.customers, $1.stage, $1.touchpoint ?? "")
      }
      .prefix(10))
  }

  /// Per transient stage, what removing its churn would change, and the
  /// stages where that is a pain point.
  private static func stages(
    _ p: Matrix, names: [String], moves: [[Int]], profile: StageProfileAccumulator, base: Double,
    churnedCustomers: Int, days: Int, churnWithin: (Matrix) -> Double
  ) -> ([StagePainPoint], [PainPoint]) {
    let churned = names.count - 1
    var stageRows: [StagePainPoint] = []
    var ranked: [PainPoint] = []
    for i in 0..<churned {
      var without = p
      without[i, i] += without[i, churned]
      without[i, churned] = 0
      let effect = base > 0 ? (base - churnWithin(without)) / base : 0
      let reached = profile.reached[i]
      let sentiment = profile.sentimentCount[i] > 0 ? profile.sentimentSum[i] / Double(profile.sentimentCount[i]) : nil
      let moving = Quantiles.linear(profile.movedOnDwell[i], at: [0.5]).first
      let beforeChurn = Quantiles.linear(profile.churnDwell[i], at: [0.5]).first
      let row = StagePainPoint(
        stage: names[i], customersReached: reached, churned: moves[i][churned], removalEffect: effect,
        meanSentiment: sentiment, medianDwellDays: moving, medianDwellBeforeChurnDays: beforeChurn)
      stageRows.append(row)
      guard effect > 0, moves[i][churned] > 0 else { continue }
      var line =
        "Removing churn from \(names[i]) would cut churn within \(days) days by \(NumberText.percent(effect))"
      line +=
        "; \(moves[i][churned]) customers churned from it (\(NumberText.percent(Double(moves[i][churned]) / Double(max(reached, 1)))) of those who reached it)"
      if let b = beforeChurn, let m = moving {
        line +=
          ", after a median \(NumberText.fixed(b, 0)) days there against \(NumberText.fixed(m, 0)) for those who moved on"
      }
      if let s = sentiment { line += "; mean sentiment \(NumberText.fixed(s, 2))" }
      ranked.append(
        PainPoint(
          kind: .stage, stage: names[i], touchpoint: nil, customers: effect * Double(churnedCustomers),
          explanation: line + "."))
    }
    return (stageRows, ranked)
  }

  /// Per stage and touchpoint, its share of the stage's events and of its
  /// last touches before churn, and the touchpoints that are pain points.
  private static func touchpoints(
    _ touches: TouchpointAccumulator, names: [String], eventNames: Interner, channelNames: Interner
  ) -> ([TouchpointPainPoint], [PainPoint]) {
    let k = names.count
    var touchRows: [TouchpointPainPoint] = []
    var ranked: [PainPoint] = []
    for i in 0..<(k - 1) {
      let stageEvents = touches.keys.indices.reduce(0) { $0 + touches.events[$1 * k + i] }
      let stageChurns = touches.keys.indices.reduce(0) { $0 + touches.churns[$1 * k + i] }
      guard stageEvents > 0 else { continue }
      for t in touches.keys.indices where touches.events[t * k + i] > 0 {
        let cell = t * k + i
        let key = touches.keys[t]
        let eventName = key.event >= 0 ? eventNames.string(key.event) : ""
        let channel = key.channel >= 0 ? channelNames.string(key.channel) : ""
        let eventShare = Double(touches.events[cell]) / Double(stageEvents)
        let churnShare = stageChurns > 0 ? Double(touches.churns[cell]) / Double(stageChurns) : 0
        let sentiment =
          touches.sentimentCount[cell] > 0 ? touches.sentimentSum[cell] / Double(touches.sentimentCount[cell]) : nil
        touchRows.append(
          TouchpointPainPoint(
            stage: names[i], event: eventName, channel: channel, events: touches.events[cell], meanSentiment: sentiment,
            lastTouchChurns: touches.churns[cell], eventShare: eventShare, churnShare: churnShare))
        let excess = Double(touches.churns[cell]) - eventShare * Double(stageChurns)
        guard excess >= 1, touches.churns[cell] >= 5, churnShare >= 1.2 * eventShare else { continue }
        let name = channel.isEmpty ? eventName : "\(eventName) via \(channel)"
        var line =
          "In \(names[i]), \(name) was the last touch before \(touches.churns[cell]) of \(stageChurns) churns (\(NumberText.percent(churnShare)))"
        line +=
          " though it is \(NumberText.percent(eventShare)) of the stage's events (\(NumberText.fixed(churnShare / eventShare, 1))×)"
        if let s = sentiment { line += "; mean sentiment \(NumberText.fixed(s, 2))" }
        ranked.append(
          PainPoint(kind: .touchpoint, stage: names[i], touchpoint: name, customers: excess, explanation: line + "."))
      }
    }
    return (touchRows, ranked)
  }
}

/// Counts events, sentiment and last-touch churns per (touchpoint, stage),
/// where a touchpoint is an (event type, channel) pair.
struct TouchpointAccumulator {
  let stages: Int
  let keys: [(event: Int32, channel: Int32)]
  /// Indexed touchpoint × stages + stage.
  private(set) var events: [Int]
  private(set) var sentimentSum: [Double]
  private(set) var sentimentCount: [Int]
  private(set) var churns: [Int]

  init(stages: Int, keys: [(event: Int32, channel: Int32)]) {
    self.stages = stages
    self.keys = keys
    events = Array(repeating: 0, count: keys.count * stages)
    sentimentSum = Array(repeating: 0, count: keys.count * stages)
    sentimentCount = Array(repeating: 0, count: keys.count * stages)
    churns = Array(repeating: 0, count: keys.count * stages)
  }

  /// Counts one event at touchpoint `touch` (an index into `keys`).
  mutating func add(stage: Int, touch: Int32, sentiment: Double) {
    let cell = Int(touch) * stages + stage
    events[cell] += 1
    if sentiment.isFinite {
      sentimentSum[cell] += sentiment
      sentimentCount[cell] += 1
    }
  }

  mutating func countChurn(stage: Int, lastTouch: Int32) {
    churns[Int(lastTouch) * stages + stage] += 1
  }
}
