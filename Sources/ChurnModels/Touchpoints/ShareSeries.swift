import ChurnIO

/// One proportion followed day by day: a transition's share of the moves
/// out of its first event type, or a funnel step's conversion. Each
/// observation is one trial (a move out of A; a unit that reached the step
/// before) of one customer on one day, a success when it went on (to B; to
/// the step).
public struct ShareSeries: Sendable {
  public enum Kind: String, Sendable, Codable {
    case transition
    case funnelStep = "funnel step"
  }

  /// "cart → payment_choice", or a funnel step's "cart → payment_done
  /// (funnel catalog → cart → payment_done)".
  public let name: String
  public let kind: Kind
  /// A transition's two event types (nil for a funnel step).
  public internal(set) var from: String?
  public internal(set) var to: String?
  var customers: [Int32] = []
  /// Days since 1970-01-01, UTC.
  var days: [Int32] = []
  var successes: [Bool] = []

  init(name: String, kind: Kind) {
    (self.name, self.kind) = (name, kind)
  }

  mutating func append(customer: Int32, day: Int32, success: Bool) {
    customers.append(customer)
    days.append(day)
    successes.append(success)
  }

  var trials: Int { successes.count }

  /// Each customer's trials and successes among the observations `keep`
  /// accepts. Both builders add observations customer after customer
  /// (sessions come in customer order), so a customer's are contiguous.
  func perCustomer(_ keep: (Int) -> Bool) -> [(trials: Int, successes: Int)] {
    var out: [(trials: Int, successes: Int)] = []
    var last: Int32 = -1
    for i in 0..<trials where keep(i) {
      if customers[i] != last || out.isEmpty {
        out.append((0, 0))
        last = customers[i]
      }
      out[out.count - 1].trials += 1
      out[out.count - 1].successes += successes[i] ? 1 : 0
    }
    return out
  }

  /// Trials, successes and customers per segment (the last entry: customers
  /// without one).
  func totals(by segments: CustomerSegments) -> [(n: Int, k: Int, customers: Int)] {
    var out = [(n: Int, k: Int, customers: Int)](repeating: (0, 0, 0), count: segments.names.count + 1)
    var last: Int32 = -1
    for i in 0..<trials {
      let s = segments.segment(of: customers[i])
      let slot = s < 0 ? segments.names.count : s
      out[slot].n += 1
      out[slot].k += successes[i] ? 1 : 0
      if customers[i] != last {
        out[slot].customers += 1
        last = customers[i]
      }
    }
    return out
  }
}

extension ShareSeries {
  /// Every transition A → B within a session (session ends included, the
  /// session's start left out) taken at least `minimum` times and not
  /// every time A is left, as a share of the moves out of A.
  public static func transitions(of log: SessionLog, minimum: Int = 20) -> [ShareSeries] {
    let end = log.typeNames.count
    var movesOut = [[(customer: Int32, day: Int32, to: Int)]](repeating: [], count: log.typeNames.count)
    for range in log.sessions {
      for i in range {
        let to = i + 1 < range.upperBound ? Int(log.types[i + 1]) : end
        movesOut[Int(log.types[i])].append((log.customers[i], Int32(Funnel.day(log.times[i])), to))
      }
    }
    var series: [ShareSeries] = []
    for (from, moves) in movesOut.enumerated() where !moves.isEmpty {
      var counts: [Int: Int] = [:]
      for m in moves { counts[m.to, default: 0] += 1 }
      for (to, n) in counts.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) })
      where n >= minimum && n < moves.count {
        let target = to == end ? TouchpointGraph.sessionEnd : log.typeNames[to]
        var s = ShareSeries(name: "\(log.typeNames[from]) → \(target)", kind: .transition)
        (s.from, s.to) = (log.typeNames[from], target)
        for m in moves { s.append(customer: m.customer, day: m.day, success: m.to == to) }
        series.append(s)
      }
    }
    return series
  }

  /// What the change scan follows: every transition, then each funnel's
  /// steps (counted as the funnel counts them: per session or within its
  /// window).
  public static func all(of log: SessionLog, funnels: [Funnel]) throws(FunnelError) -> [ShareSeries] {
    var series = transitions(of: log)
    for funnel in funnels {
      series += try funnelSteps(funnel.steps, windowSeconds: funnel.windowSeconds, log: log)
    }
    return series
  }

  /// Each step of a funnel after the first: of the units (sessions, or
  /// customers within the window) that reached the step before, those
  /// that went on, dated by the day they entered the funnel.
  public static func funnelSteps(
    _ steps: [String], windowSeconds: Double?, log: SessionLog
  ) throws(FunnelError) -> [ShareSeries] {
    let ids = try Funnel.stepIDs(steps, log: log)
    let entries = Funnel.entries(ids, windowSeconds: windowSeconds, log: log)
    let funnel = steps.joined(separator: " → ")
    return (1..<steps.count).map { k in
      var s = ShareSeries(name: "\(steps[k - 1]) → \(steps[k]) (funnel \(funnel))", kind: .funnelStep)
      for e in entries where e.depth >= k {
        s.append(customer: e.customer, day: Int32(Funnel.day(e.start)), success: e.depth > k)
      }
      return s
    }
  }
}
