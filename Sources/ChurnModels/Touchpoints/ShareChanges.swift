import ChurnIO

/// What `ShareChangeScan` found: every test made, and the changes.
public struct ShareChanges: Sendable, Encodable {
  public struct Test: Sendable, Encodable {
    /// Index into `ShareChanges.series`.
    public let series: Int
    /// "all customers" or "column=value".
    public let scope: String
    let scopeIndex: Int32
    /// The Monday of the week tested against its baseline, in days; nil:
    /// a segment against the rest over the whole log.
    let weekDay: Int64?
    public var week: String? { weekDay.map { formatDate($0 * microsPerDay) } }
    public let difference: ClusteredShareDifference
    /// Benjamini–Hochberg adjusted p-value over every test.
    public internal(set) var q = 1.0

    init(series: Int, scope: String, scopeIndex: Int32, weekDay: Int64?, difference: ClusteredShareDifference) {
      (self.series, self.scope, self.scopeIndex, self.weekDay, self.difference) = (
        series, scope, scopeIndex, weekDay, difference
      )
    }

    enum CodingKeys: String, CodingKey { case series, scope, week, difference, q }
    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(series, forKey: .series)
      try c.encode(scope, forKey: .scope)
      try c.encodeIfPresent(week, forKey: .week)
      try c.encode(difference, forKey: .difference)
      try c.encode(q, forKey: .q)
    }
  }

  /// A share that moved for a while: from `baselineShare` around the
  /// window to `share` within it.
  public struct Change: Sendable, Encodable {
    public let series: String
    public let kind: ShareSeries.Kind
    public let scope: String
    public let firstDay: String
    /// nil: a shift that lasts from `firstDay` on (to the end of the weeks
    /// looked at); else the window's last day.
    public let lastDay: String?
    /// The share before the shift, or around the window.
    public let baselineShare: Double
    public let share: Double
    /// Trials within the window, and the customers behind them.
    public let trials: Int
    public let customers: Int
    /// What those customers spent within the window (the amounts of their
    /// events); nil when the log has no amounts.
    public let revenue: Double?
    /// Significant weeks in the run, its strongest z (signed as the change
    /// goes: a shift can go the other way from the weeks that found it)
    /// and smallest q.
    public let weeks: Int
    public let z: Double
    public let q: Double
    /// The share week by week over the whole log, in the change's scope.
    public let weeklyShares: [WeekShare]
    let scopeIndex: Int32
    let days: (Int64, Int64)

    public struct WeekShare: Sendable, Encodable, Equatable {
      /// Monday, YYYY-MM-DD, and as days since 1970-01-01.
      public let week: String
      public let day: Int64
      public let trials: Int
      public let share: Double
      enum CodingKeys: String, CodingKey { case week, trials, share }
    }

    /// The window's first and last days, as days since 1970-01-01.
    public var window: (first: Int64, last: Int64) { days }

    enum CodingKeys: String, CodingKey {
      case series, kind, scope, firstDay, lastDay, baselineShare, share, trials, customers, revenue, weeks, z, q
      case weeklyShares
    }
    public func encode(to encoder: any Encoder) throws {
      var c = encoder.container(keyedBy: CodingKeys.self)
      try c.encode(series, forKey: .series)
      try c.encode(kind, forKey: .kind)
      try c.encode(scope, forKey: .scope)
      try c.encode(firstDay, forKey: .firstDay)
      try c.encodeIfPresent(lastDay, forKey: .lastDay)
      try c.encode(baselineShare, forKey: .baselineShare)
      try c.encode(share, forKey: .share)
      try c.encode(trials, forKey: .trials)
      try c.encode(customers, forKey: .customers)
      try c.encodeIfPresent(revenue, forKey: .revenue)
      try c.encode(weeks, forKey: .weeks)
      try c.encode(z, forKey: .z)
      try c.encode(q, forKey: .q)
      try c.encode(weeklyShares, forKey: .weeklyShares)
    }
  }

  public let fdr: Double
  public let baselineWeeks: Int
  public let segmentColumn: String?
  /// The shares tested, by the index tests carry.
  public let series: [String]
  public let tests: [Test]
  /// Largest first.
  public let changes: [Change]

  /// Segments whose share differs from the rest's over the whole log
  /// (mirror images left out), most significant first.
  public let segmentDifferences: [Test]

  enum CodingKeys: String, CodingKey {
    case fdr, baselineWeeks, segmentColumn, series, tests, changes, segmentDifferences
  }
}
