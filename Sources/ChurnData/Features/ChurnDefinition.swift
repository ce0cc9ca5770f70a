/// What "churned" means for the labels.
///
/// - `event(name)`: the customer has an explicit event of this type (a
///   cancellation) in (T, T + H]. Already churned at T: such an event at or
///   before T.
/// - `inactivity`: the customer has no activity in (T, T + H]. Already
///   churned at T: no activity in (T − H, T]. Which event types count as
///   activity is `FeatureSpec.activityEvents` (default: every type except
///   the interventions).
public enum ChurnDefinition: Sendable, Equatable, CustomStringConvertible {
  case event(String)
  case inactivity

  /// Parses `event:cancel` or `inactivity`.
  public init(parsing text: String) throws(FeatureError) {
    if text == "inactivity" {
      self = .inactivity
    } else if text.hasPrefix("event:"), text.count > 6 {
      self = .event(String(text.dropFirst(6)))
    } else {
      throw .invalidChurnDefinition(text)
    }
  }

  public var description: String {
    switch self {
    case .event(let name): return "event:\(name)"
    case .inactivity: return "inactivity"
    }
  }
}

extension ChurnDefinition {
  /// The inactivity outcome of one customer from `start`, as the labels
  /// define it: churned when they have no activity in (start, start + horizon];
  /// nil when they had already churned at `start` (no activity in
  /// (start − horizon, start]). Times in microseconds; `activity` sorted.
  ///
  /// ```swift
  /// let day: Int64 = 86_400_000_000
  /// ChurnDefinition.inactivityOutcome(activity: [10 * day], from: 20 * day, horizon: 30 * day)  // true
  /// ```
  public static func inactivityOutcome(
    activity times: some RandomAccessCollection<Int64>, from start: Int64, horizon: Int64
  ) -> Bool? {
    guard hasActivity(times, after: start - horizon, within: horizon) else { return nil }
    return !hasActivity(times, after: start, within: horizon)
  }

  /// Whether the sorted `times` hold one in (start, start + span].
  public static func hasActivity<Times: RandomAccessCollection<Int64>>(
    _ times: Times, after start: Int64, within span: Int64
  ) -> Bool {
    var lo = 0, hi = times.count  // the first offset holding a time after start
    while lo < hi {
      let mid = (lo + hi) / 2
      if times[times.index(times.startIndex, offsetBy: mid)] <= start { lo = mid + 1 } else { hi = mid }
    }
    return lo < times.count && times[times.index(times.startIndex, offsetBy: lo)] <= start + span
  }

  /// When a customer with these sorted activity times churns by
  /// inactivity: the day their first silence longer than `horizon` reaches
  /// it (after the last activity, the last time + horizon); nil without any.
  public static func firstSilence(_ times: some RandomAccessCollection<Int64>, longerThan horizon: Int64) -> Int64? {
    for (a, b) in zip(times, times.dropFirst()) where b - a > horizon { return a + horizon }
    return times.last.map { $0 + horizon }
  }
}
