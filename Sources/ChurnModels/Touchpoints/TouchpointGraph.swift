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
/// let graph = try TouchpointGraph.Estimator().estimate(from: &reader, issues: &issues)
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

  /// Builds the graph from an event log.
  public struct Estimator: Sendable {
    /// A longer silence than this starts a new session (default 30 minutes).
    public var sessionGapSeconds = 1800.0

    public init() {}

    public func estimate(from reader: inout EventLogReader, issues: inout IssueLog) throws -> TouchpointGraph {
      var events: [(customer: Int32, time: Int64, type: Int32, order: Int)] = []
      var batch = EventBatch()
      while try reader.nextBatch(into: &batch, issues: &issues) {
        for i in 0..<batch.count {
          events.append((batch.customer[i], batch.time[i], batch.event[i], events.count))
        }
      }
      guard !events.isEmpty else { throw FeatureError.noEvents(path: reader.path) }
      // By customer, then time; the file's order breaks ties.
      events.sort { ($0.customer, $0.time, $0.order) < ($1.customer, $1.time, $1.order) }
      var tally = Tally(types: reader.eventTypes.count)
      let gap = Int64(sessionGapSeconds * 1_000_000)
      var start = 0
      while start < events.count {
        var end = start + 1
        while end < events.count && events[end].customer == events[start].customer
          && events[end].time - events[end - 1].time <= gap
        {
          end += 1
        }
        tally.addSession(
          types: events[start..<end].map { Int($0.type) }, times: events[start..<end].map(\.time),
          customer: Int(events[start].customer))
        start = end
      }
      let names = (0..<reader.eventTypes.count).map { reader.eventTypes.string(Int32($0)) }
      return TouchpointGraph(
        sessionGapSeconds: sessionGapSeconds, customers: reader.customerCount, sessions: tally.sessions,
        events: events.count, edges: tally.edges(names: names), nodes: tally.nodes(names: names))
    }
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
