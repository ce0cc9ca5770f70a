import ChurnIO

/// The instant at which features are computed: history is every event at or
/// before it. A date means the end of that day (its last microsecond, UTC).
public struct Cutoff: Sendable, Equatable, Comparable, CustomStringConvertible {
  /// Microseconds since the epoch, UTC.
  public let micros: Int64

  public init(micros: Int64) { self.micros = micros }

  /// Parses `2025-06-30` (end of that day) or an ISO-8601 date-time.
  public init(parsing text: String) throws(FeatureError) {
    let bytes = Array(text.utf8)
    guard case .success(let t) = TimestampFormat.iso8601.parse(bytes[...]) else { throw .invalidCutoff(text) }
    let isDateOnly = bytes.count == 10
    micros = isDateOnly ? t + microsPerDay - 1 : t
  }

  /// Evenly spaced cutoffs from `from` to `to` inclusive, `every` apart.
  public static func series(from: Cutoff, to: Cutoff, every: Duration) throws(FeatureError) -> [Cutoff] {
    guard from <= to else { throw .emptyCutoffRange(from: from.description, to: to.description) }
    return stride(from: from.micros, through: to.micros, by: Int(every.micros)).map(Cutoff.init(micros:))
  }

  /// `2025-06-30` for an end-of-day cutoff, else the full ISO-8601 instant.
  public var description: String {
    (micros + 1) % microsPerDay == 0 ? formatDate(micros) : formatISO8601(micros)
  }

  public static func < (a: Cutoff, b: Cutoff) -> Bool { a.micros < b.micros }
}
