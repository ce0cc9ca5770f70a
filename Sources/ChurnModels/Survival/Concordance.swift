/// Harrell's concordance index: of the pairs whose order is known, the share
/// the scores put in the same order, a tie in scores counting a half.
/// Higher scores mean longer survival (pass −risk for a risk score), as in
/// lifelines' `concordance_index`.
///
/// A pair is comparable when the one who churned first did so strictly
/// before the other left the data, or at the same time as the other was
/// censored. Two churns at the same time are not compared. nil when no pair
/// is comparable or a score is not finite. O(n log n).
///
/// ```swift
/// concordanceIndex(durations: [1, 2, 3], scores: [1, 2, 3], churned: [true, true, true])  // 1.0
/// ```
public func concordanceIndex(durations: [Double], scores: [Double], churned: [Bool]) -> Double? {
  precondition(durations.count == scores.count && scores.count == churned.count, "one score per duration")
  guard scores.allSatisfy(\.isFinite) else { return nil }
  let ranks = denseRanks(scores)
  var later = FenwickCounts(size: (ranks.max() ?? -1) + 1)
  var pairs = 0, correct = 0, tied = 0
  let order = durations.indices.sorted { durations[$0] > durations[$1] }
  var start = 0
  while start < order.count {
    var end = start
    while end < order.count && durations[order[end]] == durations[order[start]] { end += 1 }
    let group = order[start..<end]
    // Censored at this time: outlived the churns of this time.
    for i in group where !churned[i] { later.add(ranks[i]) }
    for i in group where churned[i] {
      let below = later.count(upTo: ranks[i])  // ranks < rank i
      let same = later.count(upTo: ranks[i] + 1) - below
      pairs += later.total
      correct += later.total - below - same
      tied += same
    }
    for i in group where churned[i] { later.add(ranks[i]) }
    start = end
  }
  guard pairs > 0 else { return nil }
  return (Double(correct) + Double(tied) / 2) / Double(pairs)
}

/// 0-based ranks of the distinct values, equal values sharing one.
private func denseRanks(_ values: [Double]) -> [Int] {
  let distinct = Array(Set(values)).sorted()
  var position: [Double: Int] = [:]
  for (k, v) in distinct.enumerated() { position[v] = k }
  return values.map { position[$0]! }
}

/// Counts of values added at each rank, with prefix sums in O(log n).
private struct FenwickCounts {
  private var tree: [Int]
  private(set) var total = 0

  init(size: Int) { tree = .init(repeating: 0, count: size + 1) }

  mutating func add(_ rank: Int) {
    total += 1
    var i = rank + 1
    while i < tree.count {
      tree[i] += 1
      i += i & -i
    }
  }

  /// How many added values have a rank below `rank`.
  func count(upTo rank: Int) -> Int {
    var s = 0
    var i = rank
    while i > 0 {
      s += tree[i]
      i -= i & -i
    }
    return s
  }
}
