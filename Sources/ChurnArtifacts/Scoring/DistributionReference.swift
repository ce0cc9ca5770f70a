/// A reference distribution of one variable at training time — its decile
/// cut points and the share of training rows in each bin — against which
/// new data is compared by the population stability index.
///
/// ```
/// PSI = Σ_bins (aₖ − eₖ) · ln(aₖ / eₖ)
/// ```
///
/// with e the training shares and a the new ones, each floored at 1e-4 so an
/// empty bin does not make it infinite. Above 0.2 is the usual sign that a
/// population has shifted.
public struct DistributionReference: Sendable, Codable, Equatable {
  /// Increasing cut points: bin k holds values v with cuts[k−1] < v ≤ cuts[k].
  public let cuts: [Double]
  /// Share of training rows per bin (cuts.count + 1 bins).
  public let shares: [Double]

  /// The deciles of `values` (duplicates merged, so a 0/1 feature has two bins).
  public init(values: [Double]) {
    let sorted = values.filter { !$0.isNaN }.sorted()
    cuts = Self.cuts(count: sorted.count) { sorted[$0] }
    shares = DistributionReference.shares(of: sorted, cuts: cuts)
  }

  /// The same reference from the sorted values' order statistics, for
  /// values that stay in a database: `orderStatistics[k]` is the k-th
  /// smallest (0-based) of `count` values at each of `ranks(count:)`, and
  /// `countsAtMost(cuts)` says how many values are at most each cut.
  init(
    count: Int, orderStatistics: [Int: Double], countsAtMost: ([Double]) throws -> [Int]
  ) rethrows {
    let cuts = Self.cuts(count: count) { orderStatistics[$0]! }
    let atMost = try countsAtMost(cuts)
    let total = max(Double(count), 1)
    self.cuts = cuts
    shares = (0...cuts.count).map { k in
      let upTo = k < cuts.count ? atMost[k] : count
      return Double(upTo - (k > 0 ? atMost[k - 1] : 0)) / total
    }
  }

  /// The ranks (0-based) of the sorted values the cuts are read from: the
  /// nine deciles and the largest.
  static func ranks(count n: Int) -> [Int] {
    n == 0 ? [] : (1..<10).map { d in min(n - 1, n * d / 10) } + [n - 1]
  }

  /// Each decile of the sorted values (`value(rank)`) that is below the
  /// largest and above the cut before it.
  private static func cuts(count n: Int, value: (Int) -> Double) -> [Double] {
    guard n > 0 else { return [] }
    let largest = value(n - 1)
    var cuts: [Double] = []
    for d in 1..<10 {
      let cut = value(min(n - 1, n * d / 10))
      if cut < largest, cuts.last.map({ cut > $0 }) ?? true { cuts.append(cut) }
    }
    return cuts
  }

  /// The bin of a value.
  public func bin(_ value: Double) -> Int {
    var lo = 0
    var hi = cuts.count
    while lo < hi {
      let mid = (lo + hi) / 2
      if value <= cuts[mid] { hi = mid } else { lo = mid + 1 }
    }
    return lo
  }

  /// The population stability index of `values` against the reference.
  public func stabilityIndex(_ values: [Double]) -> Double {
    var counts = [Double](repeating: 0, count: shares.count)
    for v in values where !v.isNaN { counts[bin(v)] += 1 }
    return stabilityIndex(counts: counts)
  }

  /// The population stability index of new data given its count per bin.
  public func stabilityIndex(counts: [Double]) -> Double {
    let total = max(counts.reduce(0, +), 1)
    var psi = 0.0
    for (count, expected) in zip(counts, shares) {
      let a = max(count / total, 1e-4)
      let e = max(expected, 1e-4)
      psi += (a - e) * log(a / e)
    }
    return psi
  }

  private static func shares(of sorted: [Double], cuts: [Double]) -> [Double] {
    var counts = [Double](repeating: 0, count: cuts.count + 1)
    let reference = DistributionReference(cuts: cuts, shares: [])
    for v in sorted { counts[reference.bin(v)] += 1 }
    let total = max(Double(sorted.count), 1)
    return counts.map { $0 / total }
  }

  private init(cuts: [Double], shares: [Double]) {
    self.cuts = cuts
    self.shares = shares
  }
}

#if canImport(Glibc)
  import Glibc
#endif
