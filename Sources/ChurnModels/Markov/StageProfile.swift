import ChurnData
import ChurnIO

/// What customers did in one lifecycle stage: how many reached it, how long
/// they stayed, through which channels they were in touch and how they felt.
/// The journey report draws these next to the transition model.
public struct StageProfile: Sendable, Codable, Equatable {
  public let stage: String
  /// Customers seen in this stage at least once (an inferred move to
  /// `churned` counts for that stage).
  public let customersReached: Int
  /// Spells in the stage, finished or censored.
  public let spells: Int
  /// Days in the stage over spells (censored spells count as far as seen).
  public let meanDwellDays: Double
  /// Quantiles 10, 25, 50, 75, 90 % of finished spells' length in days;
  /// empty when no spell in the stage finished.
  public let dwellQuantiles: [Double]
  /// Events observed in the stage.
  public let events: Int
  /// Events per channel, most frequent first (ties by name); events without
  /// a channel are left out.
  public let channels: [ChannelCount]
  /// Mean sentiment of the stage's events that carry one; nil when none do.
  public let meanSentiment: Double?
  /// Events with a sentiment.
  public let sentimentEvents: Int

  public struct ChannelCount: Sendable, Codable, Equatable {
    public let channel: String
    public let events: Int
  }
}

/// Collects `StageProfile`s while the estimator reads events and walks spells.
struct StageProfileAccumulator {
  var events: [Int]
  var channelEvents: [[Int32: Int]]
  var sentimentSum: [Double]
  var sentimentCount: [Int]
  var reached: [Int]
  var spells: [Int]
  var completedDwell: [[Double]]
  /// Lengths of the stays that ended in churn, and of those that moved on
  /// to another stage.
  var churnDwell: [[Double]]
  var movedOnDwell: [[Double]]
  /// Customers whose first observation was in each stage.
  var firstStage: [Int]

  init(stages k: Int) {
    events = Array(repeating: 0, count: k)
    channelEvents = Array(repeating: [:], count: k)
    sentimentSum = Array(repeating: 0, count: k)
    sentimentCount = Array(repeating: 0, count: k)
    reached = Array(repeating: 0, count: k)
    spells = Array(repeating: 0, count: k)
    completedDwell = Array(repeating: [], count: k)
    churnDwell = Array(repeating: [], count: k)
    movedOnDwell = Array(repeating: [], count: k)
    firstStage = Array(repeating: 0, count: k)
  }

  mutating func add(stage s: Int, channel: Int32, sentiment: Double) {
    events[s] += 1
    if channel >= 0 { channelEvents[s][channel, default: 0] += 1 }
    if sentiment.isFinite {
      sentimentSum[s] += sentiment
      sentimentCount[s] += 1
    }
  }

  /// Counts one customer for every stage bit set in `visited`.
  mutating func countReached(_ visited: UInt64) {
    for s in reached.indices where visited & (1 << UInt64(s)) != 0 { reached[s] += 1 }
  }

  func profiles(stages: [String], channelNames: Interner, days: [Double]) -> [StageProfile] {
    stages.indices.map { s in
      let channels = channelEvents[s]
        .map { StageProfile.ChannelCount(channel: channelNames.string($0.key), events: $0.value) }
        .sorted { ($1.events, $0.channel) < ($0.events, $1.channel) }
      return StageProfile(
        stage: stages[s], customersReached: reached[s], spells: spells[s],
        meanDwellDays: spells[s] > 0 ? days[s] / Double(spells[s]) : 0,
        dwellQuantiles: Quantiles.linear(completedDwell[s], at: [0.1, 0.25, 0.5, 0.75, 0.9]),
        events: events[s], channels: channels,
        meanSentiment: sentimentCount[s] > 0 ? sentimentSum[s] / Double(sentimentCount[s]) : nil,
        sentimentEvents: sentimentCount[s])
    }
  }
}
