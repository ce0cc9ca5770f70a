import Foundation
import LinearAlgebra

/// The log-rank test that several groups share one survival curve:
/// observed against expected churns per group at every churn time, with the
/// hypergeometric covariance, compared to χ² with groups − 1 degrees of
/// freedom (lifelines' `multivariate_logrank_test`; for two groups,
/// `logrank_test`).
///
/// ```swift
/// let test = LogRankTest(durations: d, churned: c, groups: ["a", "b", "a"])
/// test?.pValue
/// ```
public struct LogRankTest: Sendable, Codable, Equatable {
  public struct Group: Sendable, Codable, Equatable {
    public let name: String
    public let customers: Int
    public let observed: Int
    public let expected: Double
  }

  /// In the order of their names.
  public let groups: [Group]
  public let statistic: Double
  public let degreesOfFreedom: Int
  public let pValue: Double

  /// nil with fewer than two groups, without churns, or when the groups'
  /// differences have no variance (every churn where only one group remained).
  public init?(durations: [Double], churned: [Bool], groups labels: [String]) {
    precondition(durations.count == labels.count && churned.count == labels.count, "one group per customer")
    let names = Array(Set(labels)).sorted()
    guard names.count >= 2 else { return nil }
    let index = Dictionary(uniqueKeysWithValues: names.enumerated().map { ($1, $0) })
    let member = labels.map { index[$0]! }
    let k = names.count
    var atRisk = [Double](repeating: 0, count: k)
    for g in member { atRisk[g] += 1 }
    let customers = atRisk.map { Int($0) }
    var observed = [Int](repeating: 0, count: k)
    var expected = [Double](repeating: 0, count: k)
    var covariance = Matrix(rows: k - 1, columns: k - 1)
    let order = durations.indices.sorted { durations[$0] < durations[$1] }
    var start = 0
    while start < order.count {
      var end = start
      while end < order.count && durations[order[end]] == durations[order[start]] { end += 1 }
      var deaths = [Double](repeating: 0, count: k)
      for i in order[start..<end] where churned[i] { deaths[member[i]] += 1 }
      let d = deaths.reduce(0, +)
      let n = atRisk.reduce(0, +)
      if d > 0 {
        for g in 0..<k {
          observed[g] += Int(deaths[g])
          expected[g] += d * atRisk[g] / n
        }
        if n > 1 {
          let factor = d * (n - d) / (n - 1)
          for g in 0..<(k - 1) {
            for h in 0..<(k - 1) {
              let share = (g == h ? atRisk[g] / n : 0) - atRisk[g] * atRisk[h] / (n * n)
              covariance.storage[h * (k - 1) + g] += factor * share
            }
          }
        }
      }
      for i in order[start..<end] { atRisk[member[i]] -= 1 }
      start = end
    }
    let difference = (0..<(k - 1)).map { Double(observed[$0]) - expected[$0] }
    guard observed.reduce(0, +) > 0, let solved = try? covariance.solve(difference) else { return nil }
    statistic = zip(difference, solved).reduce(0) { $0 + $1.0 * $1.1 }
    degreesOfFreedom = k - 1
    pValue = ChiSquareDistribution(degreesOfFreedom: Double(k - 1)).survival(statistic)
    groups = (0..<k).map {
      Group(name: names[$0], customers: customers[$0], observed: observed[$0], expected: expected[$0])
    }
  }
}
