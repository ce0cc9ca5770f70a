import Foundation

/// Two groups of sessions compared transition by transition — a segment
/// against the rest, or one period against another — as retentioneering's
/// segment and period diffs: the two graphs, and for every transition
/// taken often enough its share in each group, tested (the two-proportion
/// z-test with the design effect of clustering by customer, as the change
/// scan) with the false discovery rate held across the transitions.
public struct GraphComparison: Sendable, Encodable {
  public struct Difference: Sendable, Encodable, Equatable {
    public let from: String
    public let to: String
    public let shareA: Double
    public let shareB: Double
    public let trialsA: Int
    public let trialsB: Int
    public let z: Double
    public let pValue: Double
    public let q: Double
  }

  /// What the groups are: "platform=ios", "2020-02-01..2020-02-28", "the rest".
  public let a: String
  public let b: String
  public let fdr: Double
  public let graphA: TouchpointGraph
  public let graphB: TouchpointGraph
  /// Every transition tested, the significant first (largest change in
  /// share first), then the rest by q.
  public let differences: [Difference]

  public var significant: [Difference] { differences.filter { $0.q <= fdr } }

  /// `group(customer, day)` says which group an event's session or move
  /// belongs to: true for A, false for B, nil for neither (days since
  /// 1970-01-01; a session goes by its first event).
  public init(
    log: SessionLog, a: String, b: String, fdr: Double = 0.05, minimumTrials: Int = 20,
    group: (Int32, Int64) -> Bool?
  ) {
    (self.a, self.b, self.fdr) = (a, b, fdr)
    let day = { (i: Int) in Funnel.day(log.times[i]) }
    graphA = TouchpointGraph(log.subset { group(log.customers[$0.lowerBound], day($0.lowerBound)) == true })
    graphB = TouchpointGraph(log.subset { group(log.customers[$0.lowerBound], day($0.lowerBound)) == false })
    var tested: [(series: ShareSeries, difference: ClusteredShareDifference)] = []
    for s in ShareSeries.transitions(of: log, minimum: minimumTrials) {
      var inA = [Bool?](repeating: nil, count: s.trials)
      var (n1, k1, g1, n0, k0) = (0, 0, 0, 0, 0)
      var last: Int32 = -1
      for i in 0..<s.trials {
        inA[i] = group(s.customers[i], Int64(s.days[i]))
        guard let a = inA[i] else { continue }
        let success = s.successes[i] ? 1 : 0
        if a {
          (n1, k1) = (n1 + 1, k1 + success)
          if s.customers[i] != last { g1 += 1 }
          last = s.customers[i]
        } else {
          (n0, k0) = (n0 + 1, k0 + success)
        }
      }
      let deff = ClusteredShareDifference.designEffect(s.perCustomer { inA[$0] != nil })
      if let d = ClusteredShareDifference(
        trials1: n1, successes1: k1, customers1: g1, trials0: n0, successes0: k0, designEffect: deff,
        minimumTrials: minimumTrials)
      {
        tested.append((s, d))
      }
    }
    let q = benjaminiHochberg(tested.map(\.difference.pValue))
    let all = tested.indices.map { k in
      let (s, d) = tested[k]
      return Difference(
        from: s.from!, to: s.to!, shareA: d.share1, shareB: d.share0, trialsA: d.trials1, trialsB: d.trials0,
        z: d.z, pValue: d.pValue, q: q[k])
    }
    differences = all.sorted {
      let (sa, sb) = ($0.q <= fdr, $1.q <= fdr)
      if sa != sb { return sa }
      let (da, db) = (abs($0.shareA - $0.shareB), abs($1.shareA - $1.shareB))
      if sa && da != db { return da > db }
      return ($0.q, $0.from, $0.to) < ($1.q, $1.from, $1.to)
    }
  }
}
