import ChurnIO

/// Why features cannot be built with the options given.
public enum FeatureError: Error, Equatable, CustomStringConvertible {
  case invalidDuration(String)
  case invalidCutoff(String)
  case emptyCutoffRange(from: String, to: String)
  case cutoffOutsideData(cutoff: String, firstEvent: String, lastEvent: String)
  case invalidChurnDefinition(String)
  case churnEventNeverSeen(name: String, available: [String])
  case invalidSpec(String)
  case unknownName(kind: String, name: String, suggestion: String?)
  case noEvents(path: String)
  case missingInput(String)
  case observedBeforeLastEvent(observedUntil: String, lastEvent: String)

  public var description: String {
    switch self {
    case .invalidDuration(let text):
      return
        "invalid duration '\(text)': expected a whole number followed by d (days), w (weeks) or m (30-day months), e.g. 90d"
    case .invalidCutoff(let text):
      return
        "invalid cutoff '\(text)': expected a date (YYYY-MM-DD, meaning the end of that day, UTC) or an ISO-8601 date-time"
    case .emptyCutoffRange(let from, let to):
      return "no cutoffs between \(from) and \(to): --from must not be after --to"
    case .cutoffOutsideData(let cutoff, let first, let last):
      return "cutoff \(cutoff) is outside the data (events from \(first) to \(last)): no customer has history there"
    case .invalidChurnDefinition(let text):
      return "invalid churn definition '\(text)': expected event:NAME (an explicit cancel event) or inactivity"
    case .churnEventNeverSeen(let name, let available):
      let suggestion = closestMatch(to: name, in: available).map { " Did you mean '\($0)'?" } ?? ""
      return
        "the churn event '\(name)' never occurs in the events (event types: \(available.joined(separator: ", "))).\(suggestion)"
    case .invalidSpec(let message):
      return "invalid feature spec: \(message)"
    case .unknownName(let kind, let name, let suggestion):
      return "unknown \(kind) '\(name)' in the feature spec" + (suggestion.map { ". Did you mean '\($0)'?" } ?? "")
    case .noEvents(let path):
      return "\(path): no usable events"
    case .missingInput(let what):
      return what
    case .observedBeforeLastEvent(let until, let last):
      return
        "--observed-until \(until) is before the last event (\(last)): the data is observed at least until its last event; give a later time or leave it out"
    }
  }
}
