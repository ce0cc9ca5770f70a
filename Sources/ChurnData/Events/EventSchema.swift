import ChurnIO
import Foundation

/// Which columns of an event log hold which fields, and how timestamps are
/// written: the mapping that lets ChurnKit read real exports as they are.
///
/// Defaults follow `docs/data-format.md`. The same mapping can be given as a
/// JSON file (`--schema`), whose keys are this type's coding keys:
///
/// ```json
/// {"customer_id": "user", "timestamp": "ts", "event": "type",
///  "amount": "price", "time_format": "epoch-millis"}
/// ```
public struct EventSchema: Codable, Sendable, Equatable {
  /// Column with the customer identifier (required).
  public var customerID = "customer_id"
  /// Column with the event time (required).
  public var timestamp = "timestamp"
  /// Column with the event type; required unless `eventName` is set.
  public var event = "event"
  /// A constant event type for logs that have no event column (a
  /// transaction log where every row is a purchase).
  public var eventName: String?
  /// Optional columns: used when present in the header.
  public var channel = "channel"
  public var amount = "amount"
  public var sentiment = "sentiment"
  public var stage = "stage"
  /// How timestamps are written.
  public var timeFormat: TimestampFormat = .auto
  /// Columns the user named explicitly, which must then exist.
  public var explicitColumns: Set<String> = []
  /// How fields are separated (by default found from the header line).
  public var delimiter: CSVDelimiter = .auto
  /// The longest row accepted, in bytes: a longer one (a quote never
  /// closed, a field of a gigabyte inflated from a small gzip file) is an
  /// error at its line instead of a buffer that grows with it. Not part of
  /// the JSON form: `--max-row-mib`.
  public var maxRowBytes = EventSchema.defaultMaxRowBytes
  public static let defaultMaxRowBytes = 1 << 20

  public init() {}

  enum CodingKeys: String, CodingKey, CaseIterable {
    case customerID = "customer_id", timestamp, event, eventName = "event_name"
    case channel, amount, sentiment, stage, timeFormat = "time_format", delimiter
  }

  public init(from decoder: any Decoder) throws {
    let c = try decoder.container(keyedBy: CodingKeys.self)
    // A misspelt key would otherwise be ignored and its column silently
    // left at the default.
    let known = CodingKeys.allCases.map(\.stringValue)
    if let unknown = try decoder.container(keyedBy: AnyKey.self).allKeys.first(where: {
      !known.contains($0.stringValue)
    }) {
      let suggestion = closestMatch(to: unknown.stringValue, in: known).map { "; did you mean '\($0)'?" } ?? ""
      throw IngestError.invalidSchema(
        "unknown key '\(unknown.stringValue)' (expected \(known.joined(separator: ", ")))\(suggestion)")
    }
    var explicit: Set<String> = []
    func take(_ key: CodingKeys, _ fallback: String) throws -> String {
      guard let value = try c.decodeIfPresent(String.self, forKey: key) else { return fallback }
      explicit.insert(key.stringValue)
      return value
    }
    customerID = try take(.customerID, customerID)
    timestamp = try take(.timestamp, timestamp)
    event = try take(.event, event)
    channel = try take(.channel, channel)
    amount = try take(.amount, amount)
    sentiment = try take(.sentiment, sentiment)
    stage = try take(.stage, stage)
    eventName = try c.decodeIfPresent(String.self, forKey: .eventName)
    timeFormat = try c.decodeIfPresent(TimestampFormat.self, forKey: .timeFormat) ?? .auto
    if let name = try c.decodeIfPresent(String.self, forKey: .delimiter) {
      guard let parsed = CSVDelimiter(name: name) else {
        throw IngestError.invalidSchema("delimiter '\(name)': expected comma, tab, semicolon, pipe, whitespace or auto")
      }
      delimiter = parsed
    }
    explicitColumns = explicit
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(customerID, forKey: .customerID)
    try c.encode(timestamp, forKey: .timestamp)
    try c.encode(event, forKey: .event)
    try c.encodeIfPresent(eventName, forKey: .eventName)
    try c.encode(channel, forKey: .channel)
    try c.encode(amount, forKey: .amount)
    try c.encode(sentiment, forKey: .sentiment)
    try c.encode(stage, forKey: .stage)
    try c.encode(timeFormat, forKey: .timeFormat)
    if delimiter != .auto { try c.encode(delimiter.description, forKey: .delimiter) }
  }

  /// Reads a schema file, naming the file and the problem when it is invalid.
  public static func load(path: String) throws(IngestError) -> EventSchema {
    guard let data = contentsOfFile(path) else {
      throw .unreadable("cannot read schema \(path)")
    }
    do {
      return try JSONDecoder().decode(EventSchema.self, from: data)
    } catch let error as DecodingError {
      throw .invalidSchema("\(path): \(JSONProblem.describe(error, in: data))")
    } catch {
      throw .invalidSchema("\(path): \(error)")
    }
  }

  /// Finds each field's column in `header`.
  ///
  /// - Throws: `.missingColumn` for a required or explicitly named column that
  ///   the header lacks (with the closest name as a suggestion).
  public func resolve(header: [String], path: String) throws(IngestError) -> EventColumns {
    try IngestError.requireDistinctColumns(header, path: path)
    func index(_ name: String, role: String, required: Bool) throws(IngestError) -> Int? {
      if let i = header.firstIndex(of: name) { return i }
      if required { throw .missingColumn(path: path, role: role, expected: name, available: header) }
      return nil
    }
    let isExplicit = { (key: CodingKeys) in explicitColumns.contains(key.stringValue) }
    let id = try index(customerID, role: "customer id", required: true)!
    let time = try index(timestamp, role: "timestamp", required: true)!
    let eventIndex = try index(event, role: "event", required: eventName == nil || isExplicit(.event))
    let columns = EventColumns(
      customerID: id, timestamp: time, event: eventName == nil ? eventIndex : nil,
      channel: try index(channel, role: "channel", required: isExplicit(.channel)),
      amount: try index(amount, role: "amount", required: isExplicit(.amount)),
      sentiment: try index(sentiment, role: "sentiment", required: isExplicit(.sentiment)),
      stage: try index(stage, role: "stage", required: isExplicit(.stage)),
      header: header)
    return columns
  }
}

/// Positions of the mapped fields in a file's header (0-based).
public struct EventColumns: Sendable, Equatable {
  public let customerID: Int
  public let timestamp: Int
  public let event: Int?
  public let channel: Int?
  public let amount: Int?
  public let sentiment: Int?
  public let stage: Int?
  /// The whole header, in file order.
  public let header: [String]

  /// Columns the schema does not map, kept for later use.
  public var extraColumns: [String] {
    let mapped = Set([customerID, timestamp, event, channel, amount, sentiment, stage].compactMap { $0 })
    return header.indices.filter { !mapped.contains($0) }.map { header[$0] }
  }
}
