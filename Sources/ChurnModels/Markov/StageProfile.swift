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
  /// The standard error of `meanSentiment`, clustered by customer (a
  /// customer's ratings move together); nil with fewer than two customers.
  public let sentimentStandardError: Double?

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
  /// Per stage, over customers c with S_c the sum and n_c the number of
  /// their ratings there: Σ S_c², Σ S_c·n_c, Σ n_c² and the customers.
  var clusterSquares: [Double]
  var clusterCross: [Double]
  var clusterCounts: [Double]
  var clusters: [Int]
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
    clusterSquares = Array(repeating: 0, count: k)
    clusterCross = Array(repeating: 0, count: k)
    clusterCounts = Array(repeating: 0, count: k)
    clusters = Array(repeating: 0, count: k)
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

  /// One customer's ratings in a stage, for the clustered standard error.
  mutating func addCustomerSentiment(stage s: Int, sum: Double, count: Int) {
    guard count > 0 else { return }
    clusterSquares[s] += sum * sum
    clusterCross[s] += sum * Double(count)
    clusterCounts[s] += Double(count) * Double(count)
    clusters[s] += 1
  }

  /// The clustered standard error of stage `s`'s mean sentiment:
  /// √(C/(C−1) · Σ_c (S_c − n_c·m)² / N²), as statsmodels' cluster-robust
  /// error of a mean.
  func sentimentStandardError(_ s: Int) -> Double? {
    let c = Double(clusters[s]), n = Double(sentimentCount[s])
    guard clusters[s] > 1, n > 0 else { return nil }
    let m = sentimentSum[s] / n
    let residuals = max(0, clusterSquares[s] - 2 * m * clusterCross[s] + m * m * clusterCounts[s])
    return (c / (c - 1) * residuals).squareRoot() / n
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
        sentimentEvents: sentimentCount[s], sentimentStandardError: sentimentStandardError(s))
    }
  }
}
