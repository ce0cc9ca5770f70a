import ChurnIO

/// The step matrix retentioneering draws: for each step number, the share
/// of paths (sessions, or customers' whole histories) whose event at that
/// step is each event type — where paths go, step by step, and when they
/// end. Centred on an event, steps count from each path's first occurrence
/// of it (step 0), negative before it, and only paths that reach it count.
public struct StepMatrix: Sendable, Codable, Equatable {
  public static let ended = "(ended)"
  public static let notStarted = "(not started)"

  public struct Row: Sendable, Codable, Equatable {
    public let event: String
    /// One share per step of `steps`.
    public let shares: [Double]
  }

  /// "sessions" or "customers".
  public let unit: String
  /// The event steps are counted from; nil: from each path's start.
  public let centre: String?
  /// Step numbers: 1…n, or −n…n around the centre.
  public let steps: [Int]
  /// Paths counted (with a centre: those that reach it).
  public let paths: Int
  /// Event types by their share over all steps (most first), then
  /// `(not started)` and `(ended)`.
  public let rows: [Row]

  /// `steps` ≥ 1 steps; per session, or per customer when `byCustomer`.
  public init(_ log: SessionLog, steps n: Int, byCustomer: Bool, centre: String? = nil) throws(FunnelError) {
    var centreType: Int32?
    if let centre {
      guard let k = log.typeNames.firstIndex(of: centre) else {
        throw .unknownEvent(centre, suggestion: closestMatch(to: centre, in: log.typeNames))
      }
      centreType = Int32(k)
    }
    unit = byCustomer ? "customers" : "sessions"
    self.centre = centre
    steps = centre == nil ? Array(1...n) : Array(-n...n)
    let labels = log.typeNames.count
    let (notStarted, ended) = (labels, labels + 1)
    var counts = [[Int]](repeating: [Int](repeating: 0, count: steps.count), count: labels + 2)
    var paths = 0
    for range in Self.paths(log, byCustomer: byCustomer) {
      var origin = range.lowerBound  // the index of step 1, or of step 0 around the centre
      if let centreType {
        guard let first = range.first(where: { log.types[$0] == centreType }) else { continue }
        origin = first
      }
      paths += 1
      for (column, step) in steps.enumerated() {
        let i = centre == nil ? origin + step - 1 : origin + step
        let label = i < range.lowerBound ? notStarted : i >= range.upperBound ? ended : Int(log.types[i])
        counts[label][column] += 1
      }
    }
    self.paths = paths
    let share = { (count: Int) in paths == 0 ? 0 : Double(count) / Double(paths) }
    let events = (0..<labels).filter { counts[$0].contains { $0 > 0 } }.sorted {
      let (a, b) = (counts[$0].reduce(0, +), counts[$1].reduce(0, +))
      return a != b ? a > b : log.typeNames[$0].utf8.lexicographicallyPrecedes(log.typeNames[$1].utf8)
    }
    var rows = events.map { Row(event: log.typeNames[$0], shares: counts[$0].map(share)) }
    if centre != nil { rows.append(Row(event: Self.notStarted, shares: counts[notStarted].map(share))) }
    rows.append(Row(event: Self.ended, shares: counts[ended].map(share)))
    self.rows = rows
  }

  /// Each session, or each customer's whole history.
  private static func paths(_ log: SessionLog, byCustomer: Bool) -> [Range<Int>] {
    guard byCustomer else { return log.sessions }
    var out: [Range<Int>] = []
    var start = 0
    while start < log.customers.count {
      var end = start + 1
      while end < log.customers.count && log.customers[end] == log.customers[start] { end += 1 }
      out.append(start..<end)
      start = end
    }
    return out
  }
}
