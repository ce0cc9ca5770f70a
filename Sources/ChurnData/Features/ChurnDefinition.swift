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
  public static func inactivityOutcome(activity times: [Int64], from start: Int64, horizon: Int64) -> Bool? {
    /// The first index holding a time after `t`.
    func firstAfter(_ t: Int64) -> Int {
      var lo = 0, hi = times.count
      while lo < hi {
        let mid = (lo + hi) / 2
        if times[mid] <= t { lo = mid + 1 } else { hi = mid }
      }
      return lo
    }
    let recent = firstAfter(start - horizon)
    guard recent < times.count, times[recent] <= start else { return nil }
    let next = firstAfter(start)
    return !(next < times.count && times[next] <= start + horizon)
  }
}
