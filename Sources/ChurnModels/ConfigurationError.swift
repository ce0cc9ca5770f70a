/// A setting that cannot work, with the value given.
public enum ConfigurationError: Error, Equatable, Sendable, CustomStringConvertible {
  /// A penalty (named "L1" or "L2") that is negative, NaN or infinite.
  case penalty(name: String, value: Double)
  /// An iteration limit below 1.
  case iterationLimit(Int)
  /// Fewer than two cross-validation folds.
  case tooFewFolds(Int)
  /// More stages than the stage model's bit sets hold.
  case tooManyStages(Int)
  /// A stage list with a repeated name, or not ending in "churned".
  case stageList([String])

  public var description: String {
    switch self {
    case .penalty(let name, let value): return "the \(name) penalty must be a finite number ≥ 0, got \(value)"
    case .iterationLimit(let n): return "the iteration limit must be at least 1, got \(n)"
    case .tooFewFolds(let n): return "cross-validation needs at least 2 folds, got \(n)"
    case .tooManyStages(let n): return "at most 64 stages are supported, not \(n)"
    case .stageList:
      return "the stage list must have distinct names and end with the absorbing stage 'churned'"
    }
  }
}
