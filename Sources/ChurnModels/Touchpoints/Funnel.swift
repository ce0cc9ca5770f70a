import ChurnIO
import Foundation

/// A funnel over touchpoints: ordered steps (event types), and how many
/// sessions — or customers, within a window — reach each one, as
/// Amplitude's funnels count them.
///
/// - Within a session (no window): a session enters at its first event of
///   step 1 and reaches step k when steps 2…k follow in order (not
///   necessarily next to each other), each at the first occurrence after
///   the one before.
/// - Within a window W: a customer enters at their first event of step 1
///   and reaches step k when steps 2…k follow in order within W of it,
///   sessions or not.
///
/// Conversions come with Wilson 95% intervals, overall, per week (weeks
/// start on Monday, UTC) or day of entry, and per segment.
public struct Funnel: Sendable, Codable {
  /// The funnel's name (from a funnel file), or nil.
  public var name: String?
  public let steps: [String]
  /// nil: within a session.
  public let windowSeconds: Double?
  /// "sessions" or "customers".
  public let unit: String
  /// Units reaching each step.
  public let reached: [Int]
  /// reached[k] / reached[k − 1] (nil for the first step, or when none
  /// reached the step before) with its Wilson interval.
  public let conversion: [Conversion?]
  /// "week" or "day": what `byPeriod` counts by.
  public let period: String
  public let byPeriod: [Period]
  /// The customers-table column `bySegment` is by (nil: none).
  public let segmentColumn: String?
  public let bySegment: [Segment]

  public struct Conversion: Sendable, Codable, Equatable {
    public let share: Double
    public let lower95: Double
    public let upper95: Double
  }

  public struct Period: Sendable, Codable, Equatable {
    /// The day, or the Monday of the week, the units entered (YYYY-MM-DD).
    public let start: String
    public let reached: [Int]
  }

  public struct Segment: Sendable, Codable, Equatable {
    public let name: String
    public let reached: [Int]
    /// End to end, with its Wilson interval (nil when none entered).
    public let overall: Conversion?
  }

  /// The share reaching the last step of those who entered.
  public var overall: Conversion? {
    guard let first = reached.first, first > 0, let last = reached.last else { return nil }
    return Self.wilson(last, first)
  }

  /// Counts the funnel of `steps` (at least two known event types), by
  /// week of entry or by day (`daily`), and by segment when given.
  public init(
    steps: [String], windowSeconds: Double?, log: SessionLog, daily: Bool = false,
    segments: CustomerSegments? = nil
  ) throws(FunnelError) {
    let ids = try Self.stepIDs(steps, log: log)
    self.steps = steps
    self.windowSeconds = windowSeconds
    unit = windowSeconds == nil ? "sessions" : "customers"
    let entries = Self.entries(ids, windowSeconds: windowSeconds, log: log)
    let reached = (0..<steps.count).map { k in entries.filter { $0.depth > k }.count }
    self.reached = reached
    conversion = reached.indices.map { k in
      k == 0 || reached[k - 1] == 0 ? nil : Self.wilson(reached[k], reached[k - 1])
    }
    var periods: [Int64: [Int]] = [:]
    for e in entries {
      let day = Self.day(e.start)
      let start = daily ? day : Self.monday(ofDay: day)
      var counts = periods[start] ?? [Int](repeating: 0, count: steps.count)
      for k in 0..<e.depth { counts[k] += 1 }
      periods[start] = counts
    }
    period = daily ? "day" : "week"
    byPeriod = periods.keys.sorted().map { Period(start: formatDate($0 * microsPerDay), reached: periods[$0]!) }
    segmentColumn = segments?.column
    bySegment = segments.map { Self.bySegment(entries, steps: steps.count, segments: $0) } ?? []
  }

  /// Units reaching each step, per segment (in the segments' order).
  private static func bySegment(
    _ entries: [(customer: Int32, start: Int64, depth: Int)], steps: Int, segments: CustomerSegments
  ) -> [Segment] {
    var counts = [[Int]](repeating: [Int](repeating: 0, count: steps), count: segments.names.count)
    for e in entries {
      let s = segments.segment(of: e.customer)
      guard s >= 0 else { continue }
      for k in 0..<e.depth { counts[s][k] += 1 }
    }
    return segments.names.indices.map { s in
      Segment(
        name: segments.names[s], reached: counts[s],
        overall: counts[s][0] == 0 ? nil : wilson(counts[s][steps - 1], counts[s][0]))
    }
  }

  /// Every unit that entered the funnel: its customer, when it entered
  /// and how many steps it reached.
  static func entries(
    _ ids: [Int32], windowSeconds: Double?, log: SessionLog
  ) -> [(customer: Int32, start: Int64, depth: Int)] {
    var entries: [(customer: Int32, start: Int64, depth: Int)] = []
    if let windowSeconds {
      let window = Int64(windowSeconds * 1_000_000)
      var start = 0
      while start < log.times.count {
        var end = start
        while end < log.times.count && log.customers[end] == log.customers[start] { end += 1 }
        if let e = walk(ids, log, start..<end, window: window) { entries.append((log.customers[start], e.0, e.1)) }
        start = end
      }
    } else {
      for range in log.sessions {
        if let e = walk(ids, log, range, window: nil) { entries.append((log.customers[range.lowerBound], e.0, e.1)) }
      }
    }
    return entries
  }

  /// The event types of `steps`, or the error naming the unknown one.
  static func stepIDs(_ steps: [String], log: SessionLog) throws(FunnelError) -> [Int32] {
    guard steps.count >= 2 else { throw .tooFewSteps(steps.joined(separator: ",")) }
    return try steps.map { step throws(FunnelError) -> Int32 in
      guard let k = log.typeNames.firstIndex(of: step) else {
        throw .unknownStep(step, suggestion: closestMatch(to: step, in: log.typeNames))
      }
      return Int32(k)
    }
  }

  /// From the first event of step 1 in `range`: the time it happened and
  /// how many steps followed in order (within `window` of it, if given).
  private static func walk(
    _ ids: [Int32], _ log: SessionLog, _ range: Range<Int>, window: Int64?
  ) -> (start: Int64, depth: Int)? {
    guard let first = range.first(where: { log.types[$0] == ids[0] }) else { return nil }
    let t0 = log.times[first]
    var depth = 1
    var i = first + 1
    while depth < ids.count && i < range.upperBound {
      if let window, log.times[i] - t0 > window { break }
      if log.types[i] == ids[depth] { depth += 1 }
      i += 1
    }
    return (t0, depth)
  }

  /// Days since 1970-01-01 (UTC) of a time in microseconds.
  static func day(_ micros: Int64) -> Int64 {
    micros >= 0 ? micros / microsPerDay : (micros - microsPerDay + 1) / microsPerDay
  }

  /// The Monday on or before a day (1970-01-01 was a Thursday).
  static func monday(ofDay day: Int64) -> Int64 { day - ((day + 3) % 7 + 7) % 7 }

  /// The Wilson score interval of k successes in n at 95%.
  public static func wilson(_ k: Int, _ n: Int) -> Conversion {
    let z = 1.959_963_984_540_054
    let (p, nn) = (Double(k) / Double(n), Double(n))
    let centre = (p + z * z / (2 * nn)) / (1 + z * z / nn)
    let half = z / (1 + z * z / nn) * (p * (1 - p) / nn + z * z / (4 * nn * nn)).squareRoot()
    return Conversion(share: p, lower95: max(0, centre - half), upper95: min(1, centre + half))
  }
}

/// A funnel that cannot be counted as given.
public enum FunnelError: Error, CustomStringConvertible, Equatable {
  case tooFewSteps(String)
  case unknownStep(String, suggestion: String?)
  /// An event to centre on (or the like) that the log does not have.
  case unknownEvent(String, suggestion: String?)

  public var description: String {
    switch self {
    case .tooFewSteps(let text):
      return "a funnel needs at least two steps, comma-separated event types (got '\(text)')"
    case .unknownStep(let name, let suggestion):
      return "the funnel step '\(name)' is not an event type of the log"
        + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
    case .unknownEvent(let name, let suggestion):
      return "'\(name)' is not an event type of the log" + (suggestion.map { " (did you mean '\($0)'?)" } ?? "")
    }
  }
}
