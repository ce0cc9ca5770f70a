import ChurnIO
import Foundation

/// What changed, when and for whom: every share (transition, funnel step)
/// tested week by week against the surrounding weeks, for all customers
/// and within each segment, and each segment against the rest; the false
/// discovery rate controlled across all of those tests together
/// (Benjamini–Hochberg); runs of significant weeks dated to the day, as a
/// window of a different share (an epidemic change point) or a shift that
/// lasts, whichever the likelihood prefers.
///
/// ```swift
/// let changes = ShareChangeScan().scan(ShareSeries.transitions(of: log), segments: nil)
/// changes.changes.first  // the largest change, with its window
/// ```
public struct ShareChangeScan: Sendable {
  /// The false discovery rate.
  public var fdr = 0.05
  /// Weeks on each side of a week that make its baseline.
  public var baselineWeeks = 4
  /// Trials a group needs for a test.
  public var minimumTrials = 20
  /// A week this significant alone (before the rate) stays out of the
  /// second pass's baselines.
  public var suspectPValue = 0.01
  /// The customers' amounts by day, for the revenue a change touches
  /// (nil: not reported).
  public var revenue: CustomerRevenue?

  public init() {}

  public func scan(_ series: [ShareSeries], segments: CustomerSegments?) -> ShareChanges {
    // Two passes: the second leaves the weeks the first found suspect (q
    // within the rate, or p ≤ 0.01 alone) out of every baseline, reaching
    // further out for clean weeks, so that the weeks next to an incident,
    // even one too weak to pass the rate, are not tested against a
    // baseline that holds it and called changes the other way.
    let firstPass = tests(series, segments: segments, leavingOut: [:])
    let tests = tests(
      series, segments: segments, leavingOut: Self.changedWeeks(firstPass, fdr: fdr, orPValue: suspectPValue))
    let windows = windows(series, tests: tests, segments: segments, changedWeeks: Self.changedWeeks(tests, fdr: fdr))
    return ShareChanges(
      fdr: fdr, baselineWeeks: baselineWeeks, segmentColumn: segments?.column, series: series.map(\.name),
      tests: tests, changes: Self.attributed(windows, segments: segments),
      segmentDifferences: segments.map { distinctSegments(series, tests: tests, segments: $0) } ?? [])
  }

  /// The segments that differ from the rest, without their mirror images:
  /// per share, the most different segment first; each next one is kept
  /// only if it still differs (p at most the largest p the rate passed)
  /// from the customers outside it and outside those kept — with one
  /// segment far below, every other one is "above the rest" for no reason
  /// of its own.
  private func distinctSegments(
    _ series: [ShareSeries], tests: [ShareChanges.Test], segments: CustomerSegments
  ) -> [ShareChanges.Test] {
    let passed = tests.filter { $0.q <= fdr }
    guard let cutoff = passed.map(\.difference.pValue).max() else { return [] }
    var kept: [ShareChanges.Test] = []
    let candidates = Dictionary(grouping: passed.filter { $0.weekDay == nil }, by: \.series)
    for k in candidates.keys.sorted() {
      var shown: Set<Int32> = []
      let totals = series[k].totals(by: segments)
      let deff = designEffect(series[k], -1, segments)
      for t in candidates[k]!.sorted(by: { abs($0.difference.z) > abs($1.difference.z) }) {
        if !shown.isEmpty {
          // The segment against the customers outside it and outside
          // those already told.
          let rest = totals.indices.filter { $0 != Int(t.scopeIndex) && !shown.contains(Int32($0)) }
          let a = totals[Int(t.scopeIndex)]
          guard
            let d = ClusteredShareDifference(
              trials1: a.n, successes1: a.k, customers1: a.customers, trials0: rest.reduce(0) { $0 + totals[$1].n },
              successes0: rest.reduce(0) { $0 + totals[$1].k }, designEffect: deff, minimumTrials: minimumTrials),
            d.pValue <= cutoff
          else { continue }
        }
        shown.insert(t.scopeIndex)
        kept.append(t)
      }
    }
    return kept.sorted { ($0.q, $0.series, $0.scope) < ($1.q, $1.series, $1.scope) }
  }

  /// The weeks of each series and scope whose test is significant.
  private static func changedWeeks(
    _ tests: [ShareChanges.Test], fdr: Double, orPValue p: Double = 0
  ) -> [String: Set<Int64>] {
    var changed: [String: Set<Int64>] = [:]
    for t in tests where t.weekDay != nil && (t.q <= fdr || t.difference.pValue <= p) {
      changed[key(t.series, t.scopeIndex), default: []].insert(t.weekDay!)
    }
    return changed
  }

  /// Every test, with its q-value; baselines leave out `changedWeeks`.
  private func tests(
    _ series: [ShareSeries], segments: CustomerSegments?, leavingOut changedWeeks: [String: Set<Int64>]
  ) -> [ShareChanges.Test] {
    var tests: [ShareChanges.Test] = []
    let scopes: [Int32] = [-1] + (segments.map { Array(0..<Int32($0.names.count)) } ?? [])
    for (k, s) in series.enumerated() {
      for scope in scopes {
        tests += weeklyTests(
          s, series: k, scope: scope, segments: segments, leavingOut: changedWeeks[Self.key(k, scope)] ?? [])
      }
      if let segments {
        tests += segmentTests(s, series: k, segments: segments, designEffect: designEffect(s, -1, segments))
      }
    }
    let q = benjaminiHochberg(tests.map(\.difference.pValue))
    for i in tests.indices { tests[i].q = q[i] }
    return tests
  }

  private static func key(_ series: Int, _ scope: Int32) -> String { "\(series) \(scope)" }

  private func scopeName(_ scope: Int32, _ segments: CustomerSegments?) -> String {
    guard scope >= 0, let segments else { return "all customers" }
    return "\(segments.column)=\(segments.names[Int(scope)])"
  }

  private func inScope(_ s: ShareSeries, _ i: Int, _ scope: Int32, _ segments: CustomerSegments?) -> Bool {
    scope < 0 || segments!.ofCustomer[Int(s.customers[i])] == scope
  }

  /// The series' design effect within a scope (see
  /// `ClusteredShareDifference.designEffect`).
  private func designEffect(_ s: ShareSeries, _ scope: Int32, _ segments: CustomerSegments?) -> Double {
    ClusteredShareDifference.designEffect(s.perCustomer { inScope(s, $0, scope, segments) })
  }

  /// Each week against the `baselineWeeks` on either side of it, the
  /// nearest ones not in `changed`.
  private func weeklyTests(
    _ s: ShareSeries, series: Int, scope: Int32, segments: CustomerSegments?, leavingOut changed: Set<Int64>
  ) -> [ShareChanges.Test] {
    // Per week (by Monday): trials, successes, and the customers behind them.
    var byWeek: [Int64: (n: Int, k: Int, customers: Int)] = [:]
    var weeksOfCustomer: [Int64] = []  // the weeks the current customer was counted in
    var last: Int32 = -1
    for i in 0..<s.trials where inScope(s, i, scope, segments) {
      let week = Funnel.monday(ofDay: Int64(s.days[i]))
      if s.customers[i] != last { (last, weeksOfCustomer) = (s.customers[i], []) }
      byWeek[week, default: (0, 0, 0)].n += 1
      byWeek[week]!.k += s.successes[i] ? 1 : 0
      if !weeksOfCustomer.contains(week) {
        weeksOfCustomer.append(week)
        byWeek[week]!.customers += 1
      }
    }
    var tests: [ShareChanges.Test] = []
    let deff = designEffect(s, scope, segments)
    for week in byWeek.keys.sorted() {
      let tested = byWeek[week]!
      var (n0, k0) = (0, 0)
      for side in [-1, 1] {
        let around = (1...3 * baselineWeeks).lazy.map { week + 7 * Int64(side * $0) }.filter { !changed.contains($0) }
        for other in around.prefix(baselineWeeks) {
          guard let x = byWeek[other] else { continue }
          (n0, k0) = (n0 + x.n, k0 + x.k)
        }
      }
      guard
        let d = ClusteredShareDifference(
          trials1: tested.n, successes1: tested.k, customers1: tested.customers, trials0: n0, successes0: k0,
          designEffect: deff, minimumTrials: minimumTrials)
      else { continue }
      tests.append(
        .init(series: series, scope: scopeName(scope, segments), scopeIndex: scope, weekDay: week, difference: d))
    }
    return tests
  }

  /// Each segment against every other customer, over the whole log.
  private func segmentTests(
    _ s: ShareSeries, series: Int, segments: CustomerSegments, designEffect: Double
  ) -> [ShareChanges.Test] {
    let totals = s.totals(by: segments)
    let (n, k) = totals.reduce((0, 0)) { ($0.0 + $1.n, $0.1 + $1.k) }
    return (0..<segments.names.count).compactMap { j in
      ClusteredShareDifference(
        trials1: totals[j].n, successes1: totals[j].k, customers1: totals[j].customers, trials0: n - totals[j].n,
        successes0: k - totals[j].k, designEffect: designEffect, minimumTrials: minimumTrials
      ).map {
        .init(
          series: series, scope: "\(segments.column)=\(segments.names[j])", scopeIndex: Int32(j), weekDay: nil,
          difference: $0)
      }
    }
  }

  /// Runs of significant weeks of one series in one scope, the same way
  /// (one quiet week inside a run does not split it), each dated by its
  /// most likely window.
  private func windows(
    _ series: [ShareSeries], tests: [ShareChanges.Test], segments: CustomerSegments?,
    changedWeeks: [String: Set<Int64>]
  ) -> [ShareChanges.Change] {
    let significant = tests.filter { $0.weekDay != nil && $0.q <= fdr }
    let groups = Dictionary(grouping: significant) { Self.key($0.series, $0.scopeIndex) }
    var changes: [ShareChanges.Change] = []
    for key in groups.keys.sorted() {
      let weeks = groups[key]!.sorted { $0.weekDay! < $1.weekDay! }
      var run = [weeks[0]]
      for t in weeks.dropFirst().map(Optional.some) + [nil] {
        if let t, t.weekDay! <= run.last!.weekDay! + 14, (t.difference.z > 0) == (run[0].difference.z > 0) {
          run.append(t)
          continue
        }
        let others = (changedWeeks[key] ?? []).subtracting(run.map(\.weekDay!))
        if let c = change(run, series[run[0].series], segments: segments, leavingOut: others) { changes.append(c) }
        if let t { run = [t] }
      }
    }
    return changes
  }

  /// The change a run of significant weeks shows, dated to the day: the
  /// window whose share differs most likely from the days around it, or a
  /// shift that lasts (see `DailyShares`), over the run and the
  /// `baselineWeeks` on either side, the series' other changed weeks left
  /// out.
  private func change(
    _ run: [ShareChanges.Test], _ s: ShareSeries, segments: CustomerSegments?, leavingOut others: Set<Int64>
  ) -> ShareChanges.Change? {
    let (first, last) = (run.first!.weekDay!, run.last!.weekDay! + 6)
    let scope = run[0].scopeIndex
    let counted = { (i: Int) in
      self.inScope(s, i, scope, segments) && !others.contains(Funnel.monday(ofDay: Int64(s.days[i])))
    }
    let daily = DailyShares(
      s, from: first - 7 * Int64(baselineWeeks), through: last + 7 * Int64(baselineWeeks), counting: counted,
      isBound: { !others.contains(Funnel.monday(ofDay: $0)) })
    guard let shape = daily.likeliestChange(firstWeek: first, lastDay: last, minimumTrials: minimumTrials) else {
      return nil
    }
    let (during, baseline, trials) = daily.shares(shape)
    let (from, to) = (daily.start + Int64(shape.start), daily.start + Int64(shape.end))
    var customers = Set<Int32>()
    var weekly: [Int64: (n: Int, k: Int)] = [:]
    for i in 0..<s.trials where inScope(s, i, scope, segments) {
      let day = Int64(s.days[i])
      if day >= from && day <= to && counted(i) { customers.insert(s.customers[i]) }
      let cell = weekly[Funnel.monday(ofDay: day)] ?? (0, 0)
      weekly[Funnel.monday(ofDay: day)] = (cell.n + 1, cell.k + (s.successes[i] ? 1 : 0))
    }
    let strongest = run.max { abs($0.difference.z) < abs($1.difference.z) }!
    // In customer order: a Set's order changes from run to run, and so would the sum's last bits.
    let revenue = self.revenue.map { r in
      customers.sorted().reduce(0.0) { $0 + r.total(of: $1, from: from, through: to) }
    }
    return .init(
      series: s.name, kind: s.kind, scope: run[0].scope, firstDay: formatDate(from * microsPerDay),
      lastDay: shape.lasts ? nil : formatDate(to * microsPerDay), baselineShare: baseline, share: during,
      trials: trials, customers: customers.count, revenue: revenue, weeks: run.count,
      z: abs(strongest.difference.z) * (during > baseline ? 1 : -1), q: run.map(\.q).min()!,
      weeklyShares: weekly.keys.sorted().map {
        .init(
          week: formatDate($0 * microsPerDay), day: $0, trials: weekly[$0]!.n,
          share: Double(weekly[$0]!.k) / Double(weekly[$0]!.n))
      }, scopeIndex: scope, days: (from, to))
  }

  /// For whom: a change of all customers that some segments show and
  /// others do not is told as the segments' changes; one every segment
  /// shows is told once, for all.
  static func attributed(_ changes: [ShareChanges.Change], segments: CustomerSegments?) -> [ShareChanges.Change] {
    guard let segments, !segments.names.isEmpty else { return sorted(changes) }
    func overlap(_ a: ShareChanges.Change, _ b: ShareChanges.Change) -> Bool {
      a.series == b.series && (a.z > 0) == (b.z > 0) && a.days.0 <= b.days.1 && b.days.0 <= a.days.1
    }
    let all = changes.filter { $0.scopeIndex < 0 }
    let bySegment = changes.filter { $0.scopeIndex >= 0 }
    let kept = all.filter { c in
      let shown = Set(bySegment.filter { overlap($0, c) }.map(\.scopeIndex))
      return shown.isEmpty || shown.count == segments.names.count
    }
    let untold = bySegment.filter { c in !kept.contains { overlap($0, c) } }
    return sorted(kept + untold)
  }

  /// Largest first: the trials moved (size of the change times trials).
  static func sorted(_ changes: [ShareChanges.Change]) -> [ShareChanges.Change] {
    changes.sorted {
      let (a, b) = (
        abs($0.share - $0.baselineShare) * Double($0.trials), abs($1.share - $1.baselineShare) * Double($1.trials)
      )
      return a != b ? a > b : ($0.series, $0.scope, $0.firstDay) < ($1.series, $1.scope, $1.firstDay)
    }
  }
}

/// One series' trials and successes day by day over some weeks (cumulated,
/// so that any stretch of days sums in constant time), and the two shapes
/// a change can take in them.
struct DailyShares {
  /// The first day (days since 1970-01-01).
  let start: Int64
  /// n[d], k[d]: trials and successes before day `start + d`.
  private var n: [Int]
  private var k: [Int]
  /// Days that may begin or end a change (not in a week left out).
  private let free: (Int) -> Bool

  /// A change: days `start...end` (offsets from `start`), and whether it
  /// lasts to the end of the days looked at.
  struct Shape {
    let start: Int
    let end: Int
    let lasts: Bool
  }

  /// The days `first...last` of the observations `counted` accepts;
  /// `isBound(day)` says whether a change may begin or end on a day.
  init(
    _ s: ShareSeries, from first: Int64, through last: Int64, counting counted: (Int) -> Bool,
    isBound: @escaping (Int64) -> Bool
  ) {
    start = first
    let days = Int(last - first + 1)
    n = [Int](repeating: 0, count: days + 1)
    k = [Int](repeating: 0, count: days + 1)
    for i in 0..<s.trials where counted(i) {
      let d = Int64(s.days[i])
      guard d >= first && d <= last else { continue }
      n[Int(d - first) + 1] += 1
      k[Int(d - first) + 1] += s.successes[i] ? 1 : 0
    }
    for d in 0..<days { (n[d + 1], k[d + 1]) = (n[d + 1] + n[d], k[d + 1] + k[d]) }
    free = { d in isBound(first + Int64(d)) }
  }

  var days: Int { n.count - 1 }

  /// Share within the shape, share outside it, trials within.
  func shares(_ shape: Shape) -> (during: Double, baseline: Double, trials: Int) {
    let (nIn, kIn) = (n[shape.end + 1] - n[shape.start], k[shape.end + 1] - k[shape.start])
    return (Double(kIn) / Double(nIn), Double(k[days] - kIn) / Double(n[days] - nIn), nIn)
  }

  /// The log-likelihood of one share inside days a...b and another outside.
  private func twoShares(_ a: Int, _ b: Int) -> Double {
    let (nIn, kIn) = (n[b + 1] - n[a], k[b + 1] - k[a])
    return Self.logLikelihood(kIn, nIn) + Self.logLikelihood(k[days] - kIn, n[days] - nIn)
  }

  static func logLikelihood(_ k: Int, _ n: Int) -> Double {
    guard n > 0 else { return 0 }
    let p = Double(k) / Double(n)
    return (k > 0 ? Double(k) * log(p) : 0) + (k < n ? Double(n - k) * log(1 - p) : 0)
  }

  /// The likeliest window (start and end each within a week of the run's
  /// first week and last day) and the likeliest lasting shift (one change
  /// day in the same range); the window must fit better by more than BIC's
  /// price of its extra change point, ½ log n, or the change is a shift.
  func likeliestChange(firstWeek: Int64, lastDay: Int64, minimumTrials: Int) -> Shape? {
    let (first, last) = (Int(firstWeek - start), Int(lastDay - start))
    let enough = { (nIn: Int) in nIn >= minimumTrials && n[days] - nIn >= minimumTrials }
    var window: (ratio: Double, shape: Shape)?
    for a in max(0, first - 7)...first + 6 where free(a) {
      for b in last - 6...min(days - 1, last + 7) where b >= a && free(b) && enough(n[b + 1] - n[a]) {
        let ratio = twoShares(a, b)
        if window == nil || ratio > window!.ratio + 1e-9 { window = (ratio, Shape(start: a, end: b, lasts: false)) }
      }
    }
    var shift: (ratio: Double, shape: Shape)?
    for t in max(1, first - 7)...min(days - 1, last + 7) where free(t) && enough(n[days] - n[t]) {
      let ratio = twoShares(t, days - 1)
      if shift == nil || ratio > shift!.ratio + 1e-9 { shift = (ratio, Shape(start: t, end: days - 1, lasts: true)) }
    }
    if let shift, window == nil || window!.ratio - shift.ratio <= 0.5 * log(Double(n[days])) { return shift.shape }
    return window?.shape
  }
}
