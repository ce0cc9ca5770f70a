import ChurnIO

/// Bootstrap over customers for the panel-data transition matrix: each
/// replicate draws as many customers as there are, with replacement, adds up
/// their gaps and refits by EM from the full-data estimate; the interval of
/// each probability is the 2.5th and 97.5th percentile over replicates, and
/// the replicates themselves give the uncertainty of anything computed from
/// the matrix (the customer value's standard error).
///
/// Replicate r draws from `SplitMix64(seed: seed &+ r)`, and replicates run
/// on all cores into fixed slots, so the intervals are the same on every run
/// and machine.
struct PanelBootstrap {
  /// Distinct gaps; customers refer to them by index.
  private(set) var table: [PanelChainEstimator.Gap] = []
  /// Index into `table` by stage pair (from × 64 + to) and then days; −1
  /// where not seen yet. Arrays, not a hash table: this runs once per gap.
  private var index: [[Int32]] = Array(repeating: [], count: 64 * 64)
  /// Each customer's distinct gaps (index into `table`) and how often they
  /// occur, customer after customer: a customer seen on most days repeats a
  /// few gaps many times, so this is much shorter than the gap list.
  private var gapOfCustomers: [Int32] = []
  private var countOfCustomers: [Int32] = []
  /// Where each customer's entries start (customers + 1 entries).
  private var starts: [Int] = [0]

  var customers: Int { starts.count - 1 }

  /// Records one customer's gaps (call once per customer, in order).
  mutating func addCustomer(_ gaps: [PanelChainEstimator.Gap]) {
    var indexes: [Int32] = []
    indexes.reserveCapacity(gaps.count)
    for gap in gaps {
      let pair = gap.from * 64 + gap.to
      if index[pair].count <= gap.days {
        index[pair] += Array(repeating: -1, count: gap.days + 1 - index[pair].count)
      }
      var i = index[pair][gap.days]
      if i < 0 {
        i = Int32(table.count)
        index[pair][gap.days] = i
        table.append(gap)
      }
      indexes.append(i)
    }
    indexes.sort()
    var k = 0
    while k < indexes.count {
      var run = 1
      while k + run < indexes.count && indexes[k + run] == indexes[k] { run += 1 }
      gapOfCustomers.append(indexes[k])
      countOfCustomers.append(Int32(run))
      k += run
    }
    starts.append(gapOfCustomers.count)
  }

  /// The refitted matrix of each replicate (rows flattened, k × k each).
  func replicates(
    estimator: PanelChainEstimator, fitted: [[Double]], replicates: Int, seed: UInt64
  ) -> [[Double]] {
    let n = customers
    var settings = estimator
    settings.tolerance = 1e-6
    settings.iterations = 500
    let refit = settings
    return RowPartition(rows: replicates, parts: replicates, threshold: 0).map { range -> [Double] in
      var rng = SplitMix64(seed: seed &+ UInt64(range.lowerBound))
      // How often each customer is drawn, then their gaps times that.
      var drawn = [Int32](repeating: 0, count: n)
      for _ in 0..<n { drawn[Int(rng.next() % UInt64(n))] += 1 }
      var counts = [Int](repeating: 0, count: table.count)
      for c in 0..<n where drawn[c] > 0 {
        let weight = Int(drawn[c])
        for e in starts[c]..<starts[c + 1] { counts[Int(gapOfCustomers[e])] += weight * Int(countOfCustomers[e]) }
      }
      var gaps: [PanelChainEstimator.Gap: Int] = [:]
      for (i, count) in counts.enumerated() where count > 0 { gaps[table[i]] = count }
      return refit.estimate(gaps: gaps, start: fitted).p.flatMap { $0 }
    }
  }

  /// Lower and upper 95% percentile intervals of every transition
  /// probability over the replicates.
  static func intervals(_ fits: [[Double]], fitted: [[Double]]) -> (lower: [[Double]], upper: [[Double]]) {
    let k = fitted.count
    var lower = fitted, upper = fitted
    for i in 0..<k {
      for j in 0..<k {
        let q = Quantiles.linear(fits.map { $0[i * k + j] }, at: [0.025, 0.975])
        lower[i][j] = q[0]
        upper[i][j] = q[1]
      }
    }
    return (lower, upper)
  }
}
