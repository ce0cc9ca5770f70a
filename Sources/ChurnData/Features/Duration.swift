import ChurnIO

/// A length of time in whole days, written `90d`, `12w` or `3m` (a month is
/// 30 days, so windows and horizons are exact and never depend on the
/// calendar).
public struct Duration: Sendable, Equatable, Codable, CustomStringConvertible {
  /// Number of days.
  public let days: Int

  public init(days: Int) { self.days = days }

  /// Parses `90d`, `12w`, `3m` (and a bare number of days).
  public init(parsing text: String) throws(FeatureError) {
    let trimmed = text.trimmingCharacters(in: " ")
    guard let unit = trimmed.last else { throw .invalidDuration(text) }
    let multiplier: Int
    var digits = Substring(trimmed)
    switch unit {
    case "d": multiplier = 1
    case "w": multiplier = 7
    case "m": multiplier = 30
    default: multiplier = unit.isNumber ? 1 : 0
    }
    if !unit.isNumber { digits = digits.dropLast() }
    guard multiplier > 0, let n = Int(digits), n > 0, n <= 36_500 else { throw .invalidDuration(text) }
    days = n * multiplier
  }

  /// The duration in microseconds.
  public var micros: Int64 { Int64(days) * microsPerDay }

  public var description: String { "\(days)d" }
}
