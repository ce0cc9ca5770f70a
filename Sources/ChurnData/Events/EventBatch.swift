/// A batch of events in typed columns: the unit every later stage
/// (validation, features, the stage model) consumes as the log streams by.
///
/// Strings are interned by the reader: `customer[k]` is an id into the
/// reader's `customers` interner, and so on. Missing optional values are −1
/// (categorical) or NaN (numeric).
public struct EventBatch: Sendable {
  public var customer: [Int32] = []
  /// Microseconds since the epoch, UTC.
  public var time: [Int64] = []
  public var event: [Int32] = []
  public var channel: [Int32] = []
  public var amount: [Double] = []
  public var sentiment: [Double] = []
  public var stage: [Int32] = []
  /// The line each event came from, for messages.
  public var line: [Int] = []
  /// A 64-bit fingerprint of each row's raw fields (only when the reader was
  /// asked for fingerprints), to count exact duplicate rows.
  public var fingerprint: [UInt64] = []

  public init() {}

  /// Number of events in the batch.
  public var count: Int { time.count }

  /// Makes room for `rows` more events in every column (fingerprints only
  /// when `fingerprints`), so that appending never copies a column.
  mutating func reserveCapacity(forMore rows: Int, fingerprints: Bool) {
    customer.reserveCapacity(customer.count + rows)
    time.reserveCapacity(time.count + rows)
    event.reserveCapacity(event.count + rows)
    channel.reserveCapacity(channel.count + rows)
    amount.reserveCapacity(amount.count + rows)
    sentiment.reserveCapacity(sentiment.count + rows)
    stage.reserveCapacity(stage.count + rows)
    line.reserveCapacity(line.count + rows)
    if fingerprints { fingerprint.reserveCapacity(fingerprint.count + rows) }
  }

  mutating func removeAll() {
    customer.removeAll(keepingCapacity: true)
    time.removeAll(keepingCapacity: true)
    event.removeAll(keepingCapacity: true)
    channel.removeAll(keepingCapacity: true)
    amount.removeAll(keepingCapacity: true)
    sentiment.removeAll(keepingCapacity: true)
    stage.removeAll(keepingCapacity: true)
    line.removeAll(keepingCapacity: true)
    fingerprint.removeAll(keepingCapacity: true)
  }
}
