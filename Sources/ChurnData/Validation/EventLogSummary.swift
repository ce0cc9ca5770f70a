import ChurnIO

/// What `churnkit validate` reports about an event log (and its customers
/// table): sizes, time range, categories, gaps and problems.
public struct EventLogSummary: Codable, Sendable {
  /// A category and how many events carry it.
  public struct Count: Codable, Sendable, Equatable {
    public let name: String
    public let count: Int

    public init(name: String, count: Int) {
      self.name = name
      self.count = count
    }
  }

  /// Summary statistics of a numeric column over its non-missing values.
  public struct NumericSummary: Codable, Sendable {
    public var count = 0
    public var sum = 0.0
    public var min = Double.infinity
    public var max = -Double.infinity
    public var mean: Double { count > 0 ? sum / Double(count) : .nan }

    mutating func add(_ v: Double) {
      guard !v.isNaN else { return }
      count += 1
      sum += v
      if v < min { min = v }
      if v > max { max = v }
    }

    enum CodingKeys: String, CodingKey { case count, sum, min, max, mean }

    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(count, forKey: .count)
      try c.encode(sum, forKey: .sum)
      if count > 0 {
        try c.encode(min, forKey: .min)
        try c.encode(max, forKey: .max)
        try c.encode(mean, forKey: .mean)
      }
    }

    public init() {}
    public init(from decoder: any Decoder) throws {
      let c = try decoder.container(keyedBy: CodingKeys.self)
      count = try c.decode(Int.self, forKey: .count)
      sum = try c.decode(Double.self, forKey: .sum)
      min = try c.decodeIfPresent(Double.self, forKey: .min) ?? .infinity
      max = try c.decodeIfPresent(Double.self, forKey: .max) ?? -.infinity
    }
  }

  /// One header column: what it is used for and how often it is empty.
  public struct Column: Codable, Sendable {
    public let name: String
    public let role: String
    public let empty: Int
  }

  /// The customers table, when one was given.
  public struct CustomerTableSummary: Codable, Sendable {
    public let file: String
    public let rows: Int
    public let customers: Int
    public let attributes: [String]
    /// Customers with events but no row in the table.
    public let customersWithoutAttributes: Int
    /// Customers in the table with no events.
    public let customersWithoutEvents: Int
  }

  public let file: String
  public let rows: Int
  public let validRows: Int
  public let skippedRows: Int
  public let customers: Int
  public let firstEvent: String?
  public let lastEvent: String?
  public let eventTypes: [Count]
  public let channels: [Count]
  public let stages: [Count]
  public let columns: [Column]
  public let extraColumns: [String]
  /// Rows identical in every field to an earlier row.
  public let duplicateRows: Int
  /// Rows earlier in time than the previous event of the same customer.
  public let rowsOutOfTimeOrder: Int
  /// Whether the whole file is sorted by time.
  public let sortedByTime: Bool
  public let amount: NumericSummary?
  public let sentiment: NumericSummary?
  public let customerTable: CustomerTableSummary?
  public let errors: Int
  public let warnings: Int
  /// The first issues found (up to `--max-errors`).
  public let issues: [ValidationIssue]
  /// Issue counts by kind, most frequent first.
  public let issueKinds: [Count]
  /// Whether later commands can use the data; if not, `problems` says why.
  public let usable: Bool
  public let problems: [String]
}
