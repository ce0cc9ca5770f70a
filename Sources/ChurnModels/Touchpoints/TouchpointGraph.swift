import ChurnData
import ChurnIO
import Foundation

/// How customers move between touchpoints (event types) within a session:
/// the transition graph retentioneering draws and Amplitude's pathfinder
/// walks. A session is a customer's run of events with no gap longer than
/// `sessionGap`; every session starts at `(session start)` and ends at
/// `(session end)`, so the graph also says where sessions begin and where
/// customers drop.
///
/// Per edge A → B: the transitions (consecutive events A then B in one
/// session), their share of all transitions out of A (session ends
/// included), the customers who made one, the median time between A and B,
/// and the loops A → B → A (a step that sends customers back).
///
/// ```swift
/// var reader = try EventLogReader(path: "clicks.csv", schema: EventSchema())
/// let graph = TouchpointGraph(try SessionLog(reader: &reader, issues: &issues))
/// graph.edges.first  // the strongest transition
/// ```
public struct TouchpointGraph: Sendable, Codable {
  public static let sessionStart = "(session start)"
  public static let sessionEnd = "(session end)"

  public struct Edge: Sendable, Codable, Equatable {
    public let from: String
    public let to: String
    public let transitions: Int
    /// transitions / every transition out of `from` (session ends included).
    public let share: Double
    public let customers: Int
    /// Median seconds from `from` to `to` (nil for the session's start and
    /// end, which have no time).
    public let medianSeconds: Double?
    /// A → B → A within a session, counted at the return.
    public let loops: Int
  }

  /// An event type: how often it occurs and where, on average, it comes
  /// in a session (1 = first).
  public struct Node: Sendable, Codable, Equatable {
    public let name: String
    public let events: Int
    public let meanStep: Double
  }

  public let sessionGapSeconds: Double
  /// The column sessions came from (`--session-column`); nil: sessions
  /// were cut at silences longer than `sessionGapSeconds`.
  public var sessionColumn: String?
  public let customers: Int
  public let sessions: Int
  public let events: Int
  /// Sorted by transitions, then names (UTF-8 order).
  public let edges: [Edge]
  /// Every event type that occurs, by events (most first), then name.
  public let nodes: [Node]

  /// Sessions that end at each event type, as a share of its transitions
  /// out: where customers drop.
  public var dropOff: [Edge] {
    edges.filter { $0.to == Self.sessionEnd && $0.from != Self.sessionStart }.sorted {
      ($0.share, $0.transitions, $1.from) > ($1.share, $1.transitions, $0.from)
    }
  }

  /// The graph of a log's sessions.
  public init(_ log: SessionLog) {
    var tally = Tally(types: log.typeNames.count)
    for s in log.sessions.indices {
      let range = log.sessions[s]
      tally.addSession(
        types: log.types[range].map(Int.init), times: Array(log.times[range]),
        customer: Int(log.customers[range.lowerBound]))
    }
    self.init(
      sessionGapSeconds: log.sessionGapSeconds, customers: log.customerCount, sessions: log.sessions.count,
      events: log.times.count, edges: tally.edges(names: log.typeNames), nodes: tally.nodes(names: log.typeNames))
    sessionColumn = log.sessionColumn
  }

  init(sessionGapSeconds: Double, customers: Int, sessions: Int, events: Int, edges: [Edge], nodes: [Node]) {
    (self.sessionGapSeconds, self.customers, self.sessions, self.events) = (
      sessionGapSeconds, customers, sessions, events
    )
    (self.edges, self.nodes) = (edges, nodes)
  }
}

/// An event log as the touchpoint analyses read it: every event sorted by
/// customer and time (the file's order breaking ties), cut into sessions
/// wherever a customer's silence is longer than the gap.
public struct SessionLog: Sendable {
  public let sessionGapSeconds: Double
  /// The column sessions came from; nil: cut at silences.
  public let sessionColumn: String?
  public private(set) var customerCount: Int
  public let typeNames: [String]
  /// Customer ids by the numbers in `customers`.
  public let customerIDs: [String]
  /// Per event, in order.
  public private(set) var customers: [Int32]
  public private(set) var times: [Int64]
  public private(set) var types: [Int32]
  /// Each event's amount (NaN where empty); nil when the log has none.
  public private(set) var amounts: [Double]?
  /// Each session's events, as a range of the arrays above.
  public private(set) var sessions: [Range<Int>]

  /// Reads the whole log; `sessionGapSeconds` > 0 (30 minutes is the
  /// usual web-analytics choice). With `sessionColumn`, sessions are the
  /// column's values instead (per customer, in the order they began; the
  /// gap is not used).
  public init(
    reader: inout EventLogReader, issues: inout IssueLog, sessionGapSeconds: Double = 1800,
    sessionColumn: SessionColumn? = nil
  ) throws {
    var events: [(customer: Int32, time: Int64, type: Int32, session: Int32, order: Int)] = []
    var amounts: [Double] = []  // by file order
    var batch = EventBatch()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      for i in 0..<batch.count {
        let session = sessionColumn?.session(atLine: batch.line[i]) ?? -1
        events.append((batch.customer[i], batch.time[i], batch.event[i], session, events.count))
        amounts.append(batch.amount[i])
      }
    }
    guard !events.isEmpty else { throw FeatureError.noEvents(path: reader.path) }
    var sessions: [Range<Int>] = []
    if sessionColumn != nil {
      // A session's place is its first event's time.
      var began: [Int64: Int64] = [:]
      for e in events {
        let key = Int64(e.customer) << 32 | Int64(UInt32(bitPattern: e.session))
        began[key] = min(began[key] ?? .max, e.time)
      }
      let start = { (e: (customer: Int32, time: Int64, type: Int32, session: Int32, order: Int)) in
        began[Int64(e.customer) << 32 | Int64(UInt32(bitPattern: e.session))]!
      }
      events.sort {
        ($0.customer, start($0), $0.session, $0.time, $0.order) < (
          $1.customer, start($1), $1.session, $1.time, $1.order
        )
      }
      var first = 0
      for i in 1...events.count
      where i == events.count || events[i].customer != events[first].customer
        || events[i].session != events[first].session
      {
        sessions.append(first..<i)
        first = i
      }
    } else {
      events.sort { ($0.customer, $0.time, $0.order) < ($1.customer, $1.time, $1.order) }
      let gap = Int64(sessionGapSeconds * 1_000_000)
      var start = 0
      while start < events.count {
        var end = start + 1
        while end < events.count && events[end].customer == events[start].customer
          && events[end].time - events[end - 1].time <= gap
        {
          end += 1
        }
        sessions.append(start..<end)
        start = end
      }
    }
    self.sessionColumn = sessionColumn?.column
    self.sessionGapSeconds = sessionGapSeconds
    customerCount = reader.customerCount
    typeNames = (0..<reader.eventTypes.count).map { reader.eventTypes.string(Int32($0)) }
    customerIDs = (0..<reader.customers.count).map { reader.customers.string(Int32($0)) }
    customers = events.map(\.customer)
    times = events.map(\.time)
    types = events.map(\.type)
    self.amounts = amounts.contains { !$0.isNaN } ? events.map { amounts[$0.order] } : nil
    self.sessions = sessions
  }
}

extension SessionLog {
  /// The sessions `keep` accepts (given each session's range), as a log
  /// of their own: for one segment's or one period's graph.
  public func subset(_ keep: (Range<Int>) -> Bool) -> SessionLog {
    var copy = self
    copy.customers = []
    copy.times = []
    copy.types = []
    copy.amounts = amounts.map { _ in [] }
    copy.sessions = []
    var seen = Set<Int32>()
    for range in sessions where keep(range) {
      let start = copy.times.count
      copy.customers += customers[range]
      copy.times += times[range]
      copy.types += types[range]
      if let amounts { copy.amounts! += amounts[range] }
      copy.sessions.append(start..<copy.times.count)
      seen.insert(customers[range.lowerBound])
    }
    copy.customerCount = seen.count
    return copy
  }
}

/// Counts per edge while sessions are walked (customer after customer).
/// Nodes are the event types, then the session's start and end.
private struct Tally {
  let types: Int
  var sessions = 0
  var transitions: [Int: Int] = [:]
  var customers: [Int: Int] = [:]
  var lastCustomer: [Int: Int] = [:]
  var seconds: [Int: [Double]] = [:]
  var loops: [Int: Int] = [:]
  var occurrences: [Int]
  var stepSums: [Double]

  init(types: Int) {
    self.types = types
    occurrences = [Int](repeating: 0, count: types)
    stepSums = [Double](repeating: 0, count: types)
  }

  var start: Int { types }
  var end: Int { types + 1 }
  func key(_ a: Int, _ b: Int) -> Int { a * (types + 2) + b }

  mutating func addSession(types path: [Int], times: [Int64], customer: Int) {
    sessions += 1
    for (i, t) in path.enumerated() {
      occurrences[t] += 1
      stepSums[t] += Double(i + 1)
    }
    count(start, path[0], customer: customer, seconds: nil)
    for i in 1..<path.count {
      count(path[i - 1], path[i], customer: customer, seconds: Double(times[i] - times[i - 1]) / 1_000_000)
      if i >= 2 && path[i] == path[i - 2] && path[i] != path[i - 1] {
        loops[key(path[i - 2], path[i - 1]), default: 0] += 1
      }
    }
    count(path[path.count - 1], end, customer: customer, seconds: nil)
  }

  private mutating func count(_ a: Int, _ b: Int, customer: Int, seconds s: Double?) {
    let k = key(a, b)
    transitions[k, default: 0] += 1
    if lastCustomer[k] != customer {
      lastCustomer[k] = customer
      customers[k, default: 0] += 1
    }
    if let s { seconds[k, default: []].append(s) }
  }

  func edges(names: [String]) -> [TouchpointGraph.Edge] {
    let label = { (i: Int) in
      i == start ? TouchpointGraph.sessionStart : i == end ? TouchpointGraph.sessionEnd : names[i]
    }
    var out: [Int: Int] = [:]
    for (k, n) in transitions { out[k / (types + 2), default: 0] += n }
    let edges = transitions.map { k, n in
      let (a, b) = (k / (types + 2), k % (types + 2))
      return TouchpointGraph.Edge(
        from: label(a), to: label(b), transitions: n, share: Double(n) / Double(out[a]!),
        customers: customers[k] ?? 0, medianSeconds: seconds[k].map(Self.median), loops: loops[k] ?? 0)
    }
    return edges.sorted {
      if $0.transitions != $1.transitions { return $0.transitions > $1.transitions }
      if $0.from != $1.from { return $0.from.utf8.lexicographicallyPrecedes($1.from.utf8) }
      return $0.to.utf8.lexicographicallyPrecedes($1.to.utf8)
    }
  }

  func nodes(names: [String]) -> [TouchpointGraph.Node] {
    (0..<types).filter { occurrences[$0] > 0 }.map {
      TouchpointGraph.Node(name: names[$0], events: occurrences[$0], meanStep: stepSums[$0] / Double(occurrences[$0]))
    }.sorted {
      $0.events != $1.events ? $0.events > $1.events : $0.name.utf8.lexicographicallyPrecedes($1.name.utf8)
    }
  }

  /// The middle value, or the mean of the two middle ones (pandas' median).
  static func median(_ values: [Double]) -> Double {
    let v = values.sorted()
    let n = v.count
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2
  }
}
