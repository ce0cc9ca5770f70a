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
