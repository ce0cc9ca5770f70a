/// Bootstrap over customers for the panel-data transition matrix: each
/// replicate draws as many customers as there are, with replacement, adds up
/// their gaps and refits by EM from the full-data estimate; the interval of
/// each probability is the 2.5th and 97.5th percentile over replicates.
///
/// Replicate r draws from `SplitMix64(seed: seed &+ r)`, and replicates run
/// on all cores into fixed slots, so the intervals are the same on every run
/// and machine.
struct PanelBootstrap {
  /// Distinct gaps; customers refer to them by index.
  private(set) var table: [PanelChainEstimator.Gap] = []
  private var index: [PanelChainEstimator.Gap: Int32] = [:]
  /// Gap indexes, customer after customer.
  private var gapsOfCustomers: [Int32] = []
  /// Where each customer's gaps start in `gapsOfCustomers` (customers + 1 entries).
  private var starts: [Int] = [0]

  var customers: Int { starts.count - 1 }

  /// Records one customer's gaps (call once per customer, in order).
  mutating func addCustomer(_ gaps: [PanelChainEstimator.Gap]) {
    for gap in gaps {
      if let i = index[gap] {
        gapsOfCustomers.append(i)
      } else {
        let i = Int32(table.count)
        index[gap] = i
        table.append(gap)
        gapsOfCustomers.append(i)
      }
    }
    starts.append(gapsOfCustomers.count)
  }

  /// Lower and upper 95% percentile intervals of every transition probability.
  func intervals(
    estimator: PanelChainEstimator, fitted: [[Double]], replicates: Int, seed: UInt64
  ) -> (lower: [[Double]], upper: [[Double]]) {
    let k = estimator.states
    let n = customers
    var settings = estimator
    settings.tolerance = 1e-8
    settings.iterations = 500
    let refit = settings
    let fits = RowPartition(rows: replicates, parts: replicates, threshold: 0).map { range -> [Double] in
      var rng = SplitMix64(seed: seed &+ UInt64(range.lowerBound))
      var counts = [Int](repeating: 0, count: table.count)
      for _ in 0..<n {
        let c = Int(rng.next() % UInt64(n))
        for g in starts[c]..<starts[c + 1] { counts[Int(gapsOfCustomers[g])] += 1 }
      }
      var gaps: [PanelChainEstimator.Gap: Int] = [:]
      for (i, count) in counts.enumerated() where count > 0 { gaps[table[i]] = count }
      return refit.estimate(gaps: gaps, start: fitted).p.flatMap { $0 }
    }
    var lower = fitted, upper = fitted
    for i in 0..<k {
      for j in 0..<k {
        let q = StageProfileAccumulator.quantiles(fits.map { $0[i * k + j] }, [0.025, 0.975])
        lower[i][j] = q[0]
        upper[i][j] = q[1]
      }
    }
    return (lower, upper)
  }
}
