/// Why a valid model file cannot do what was asked of it.
public enum ModelUseError: Error, Equatable, Sendable, CustomStringConvertible {
  /// The model was trained without an action catalog.
  case noNextBestAction
  /// The model was trained on a feature table (`events` names it), so it
  /// cannot build features from events for `use`.
  case trainedOnFeatureTable(events: String, use: String)
  /// Features built from the events are not the model's; `missing` are
  /// the model's features the events did not give.
  case featuresDiffer(missing: [String])

  public var description: String {
    switch self {
    case .noNextBestAction:
      return "the model has no next-best-action part: train it with --actions CATALOG"
    case .trainedOnFeatureTable(let events, let use):
      return
        "this model was trained on a feature table (\(events)), so it cannot build features from events for \(use): give a feature table with the same columns instead (--features FILE)"
    case .featuresDiffer(let missing):
      let list = missing.isEmpty ? "" : " (missing: \(missing.prefix(5).joined(separator: ", ")))"
      return "the features built from these events differ from the model's\(list)"
    }
  }
}
