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
    var cuts: [Double] = []
    if !sorted.isEmpty {
      for d in 1..<10 {
        let cut = sorted[min(sorted.count - 1, sorted.count * d / 10)]
        if cut < sorted.last!, cuts.last.map({ cut > $0 }) ?? true { cuts.append(cut) }
      }
    }
    self.cuts = cuts
    shares = DistributionReference.shares(of: sorted, cuts: cuts)
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
