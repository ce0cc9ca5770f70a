import ChurnData

/// SQL that computes a model's features from an events table, so a
/// warehouse can do the whole scoring job where the data lives.
///
/// Covers every feature family of `docs/features.md` — recency, frequency
/// (overall and per event type), amounts, trends, active-day gaps, channel
/// mix, stage, days in stage and the stage chain's churn probability,
/// buy-till-you-die (`RepeatPurchaseSQL.swift`), Cox's risk, sentiment,
/// interventions and static
/// attributes (categorical and date columns; numeric static columns are not
/// covered and are refused) — for SQLite, DuckDB, PostgreSQL and Spark SQL,
/// each tested in its engine. Input: `events(customer_id, timestamp, event, channel, amount,
/// sentiment, stage)` with ISO-8601 UTC timestamps (second precision), and
/// `customers(customer_id, …)` when the model uses static attributes.
public enum FeatureSQL {
  public enum Failure: Error, CustomStringConvertible {
    case unsupportedStaticColumn(String)

    public var description: String {
      switch self {
      case .unsupportedStaticColumn(let c):
        return "feature SQL does not cover the numeric static column '\(c)'"
      }
    }
  }

  static let day = "86400000000"
  static let sentinel = "-9223372036854775807"

  /// One query from events to scores: the features, then the model's
  /// scoring SELECT over them.
  public static func scores(_ model: ChurnModel, cutoff: Cutoff, dialect: ModelExport.Dialect) throws -> String {
    let featuresQuery = try features(model, cutoff: cutoff, dialect: dialect)
    let scoring = ModelExport.sql(model, dialect: dialect, table: "features")
    let body = scoring.split(separator: "\n", omittingEmptySubsequences: false)
      .filter { !$0.hasPrefix("--") }.joined(separator: "\n")
    return "-- ChurnKit: features and churn scores at \(cutoff) from the events table (\(dialect.rawValue)).\n"
      + "WITH \(ModelExport.identifier("features", dialect)) AS (\n\(featuresQuery)\n)\n" + body
  }

  /// The SELECT producing `customer_id`, `cutoff` and the model's features
  /// (in order) for every eligible customer at `cutoff`, sorted by id.
  public static func features(_ model: ChurnModel, cutoff: Cutoff, dialect: ModelExport.Dialect) throws -> String {
    try features(
      spec: try model.specForEvents("feature SQL"), names: model.features,
      churn: try ChurnDefinition(parsing: model.training.churnDefinition),
      activeWithinDays: model.training.activeWithinDays ?? model.training.horizonDays, cutoff: cutoff,
      dialect: dialect)
  }

  /// The feature SELECT of a resolved spec whose columns are `names`, over
  /// the events table `events` (its name as given: `schema.table` is
  /// quoted part by part).
  static func features(
    spec: FeatureSpec, names allNames: [String], churn: ChurnDefinition, activeWithinDays: Int, cutoff: Cutoff,
    dialect: ModelExport.Dialect, events: String = "events"
  ) throws -> String {
    let query = FeatureQuery(spec: spec, dialect: dialect, cutoff: cutoff, churn: churn, events: events)
    let columns = try query.featureColumns()
    // `cox_risk_{h}d` comes last, computed from the others around their query.
    let cox = query.spec.coxRisk
    let names = cox == nil ? allNames : Array(allNames.dropLast())
    precondition(columns.count == names.count, "feature SQL: \(columns.count) columns for \(allNames.count) features")
    let horizon = Int64(activeWithinDays) * 86_400_000_000
    let select = query.select(
      columns, named: names, activeWithin: horizon, joinsCustomers: !(query.spec.staticEncodings ?? []).isEmpty)
    guard let cox else { return select }
    return query.withCoxRisk(cox, around: select, columns: names)
  }
}

/// The pieces of the feature query for one spec, dialect and cutoff: the
/// per-customer aggregates over the history, one SQL expression per
/// feature family in the model's order, and the query around them.
struct FeatureQuery {
  let spec: FeatureSpec
  let dialect: ModelExport.Dialect
  let cutoff: Cutoff
  let churn: ChurnDefinition
  /// The events table's name as given.
  var events = "events"

  var day: String { FeatureSQL.day }
  var sentinel: String { FeatureSQL.sentinel }
  /// The cutoff in microseconds, as SQL.
  var T: String { String(cutoff.micros) }
  var windows: [Int] { spec.windows }
  var types: [String] { spec.eventTypes ?? [] }
  var channels: [String] { spec.channels ?? [] }
  var stages: [String] { spec.stages }

  func q(_ name: String) -> String { ModelExport.identifier(name, dialect) }
  /// A table's name quoted, `schema.table` part by part.
  func table(_ name: String) -> String {
    name.split(separator: ".", maxSplits: 1).map { q(String($0)) }.joined(separator: ".")
  }
  func lit(_ s: String) -> String { ModelExport.textLiteral(s) }
  func dbl(_ x: String) -> String { "CAST(\(x) AS \(dialect == .postgres ? "DOUBLE PRECISION" : "DOUBLE"))" }
  func days(_ x: String) -> String { "\(dbl("\(T) - \(x)")) / \(dbl(day))" }
  /// Text as it is stored, trimmed, "" when missing.
  func text(_ x: String) -> String {
    "TRIM(COALESCE(CAST(\(x) AS \(dialect == .spark ? "STRING" : "VARCHAR")), ''))"
  }
  /// Microseconds since 1970 of an ISO-8601 event time (its zone, `Z`, in
  /// the text).
  func eventMicros(_ x: String) -> String {
    switch dialect {
    case .sqlite: return "unixepoch(\(x)) * 1000000"
    case .duckdb: return "epoch_us(CAST(\(x) AS TIMESTAMPTZ))"
    case .postgres: return "CAST(EXTRACT(EPOCH FROM CAST(\(x) AS TIMESTAMPTZ)) * 1000000 AS BIGINT)"
    case .spark: return "unix_micros(CAST(\(x) AS TIMESTAMP))"
    }
  }
  /// Microseconds since 1970 of a date (or date and time) without a zone,
  /// read as UTC whatever the session's time zone.
  func dateMicros(_ x: String) -> String {
    switch dialect {
    case .sqlite: return "unixepoch(\(x)) * 1000000"
    case .duckdb: return "epoch_us(CAST(\(x) AS TIMESTAMP))"
    case .postgres: return "CAST(EXTRACT(EPOCH FROM CAST(\(x) AS TIMESTAMP)) * 1000000 AS BIGINT)"
    // Spark reads a zoneless text in the session's zone: shift it back.
    case .spark: return "unix_micros(from_utc_timestamp(CAST(\(x) AS TIMESTAMP), current_timezone()))"
    }
  }
  /// Whole days in a number of microseconds ≥ 0.
  func wholeDays(_ micros: String) -> String {
    switch dialect {
    case .duckdb: return "(\(micros) // \(day))"
    case .spark: return "(\(micros) div \(day))"
    case .sqlite, .postgres: return "(\(micros) / \(day))"
    }
  }
  /// A count or an amount as the features write it: log(1 + |x|)·sign(x)
  /// under a `log1p` spec, else the number.
  func heavy(_ x: String) -> String {
    guard spec.log1p == true else { return dbl(x) }
    return "CASE WHEN \(dbl(x)) < 0 THEN -LN(1.0 - \(dbl(x))) ELSE LN(1.0 + \(dbl(x))) END"
  }
  func daysSince(_ x: String) -> String {
    "COALESCE(CASE WHEN \(days(x)) < \(spec.neverDays) THEN \(days(x)) ELSE \(spec.neverDays) END, \(spec.neverDays))"
  }
  func trend(_ a: String, _ b: String) -> String {
    "CASE WHEN ABS(\(a)) + ABS(\(b)) > 0 THEN \(dbl("\(a) - \(b)")) / \(dbl("ABS(\(a)) + ABS(\(b))")) ELSE 0.0 END"
  }
  func greatest(_ xs: [String]) -> String {
    let args = xs.map { "COALESCE(\($0), \(sentinel))" }
    if args.count == 1 { return args[0] }
    return (dialect == .sqlite ? "MAX(" : "GREATEST(") + args.joined(separator: ", ") + ")"
  }

  // MARK: - Aggregates over the history (t ≤ T)

  /// Every per-customer aggregate the feature columns read, as `a.<name>`.
  func aggregates() -> [String] {
    recencyAggregates() + windowAggregates() + eventTypeAggregates() + trendAndChannelAggregates()
      + stageAggregates() + sentimentAggregates()
  }

  private func recencyAggregates() -> [String] {
    var aggregates = ["MIN(t) AS first_t", "MAX(t) AS last_t"]
    if case .event(let name) = churn {
      aggregates.append("SUM(CASE WHEN event = \(lit(name)) THEN 1 ELSE 0 END) AS churned_before")
    } else {
      aggregates.append("0 AS churned_before")
    }
    aggregates.append("MAX(CASE WHEN \(activityCondition) THEN t END) AS last_activity")
    return aggregates
  }

  /// Whether an event counts as the customer's own activity.
  var activityCondition: String {
    spec.activityEvents.map { "event IN (\($0.map(lit).joined(separator: ", ")))" }
      ?? (spec.interventions.isEmpty
        ? "1 = 1" : "event NOT IN (\(spec.interventions.map(lit).joined(separator: ", ")))")
  }

  private func windowAggregates() -> [String] {
    windows.enumerated().flatMap { j, w in
      let inWindow = "age < \(Int64(w) * 86_400_000_000)"
      return [
        "SUM(CASE WHEN \(inWindow) THEN 1 ELSE 0 END) AS c_\(j)",
        "SUM(CASE WHEN \(inWindow) THEN amount END) AS as_\(j)",
        "COUNT(CASE WHEN \(inWindow) THEN amount END) AS an_\(j)",
      ]
    }
  }

  /// Last time, total count and count per window of each event type, then
  /// each intervention (numbered after the types).
  private func eventTypeAggregates() -> [String] {
    let conditions = (types + spec.interventions).map { "event = \(lit($0))" } + (hasTypePool ? [typePool] : [])
    return conditions.enumerated().flatMap { e, condition in
      [
        "MAX(CASE WHEN \(condition) THEN t END) AS tl_\(e)",
        "SUM(CASE WHEN \(condition) THEN 1 ELSE 0 END) AS tt_\(e)",
      ]
        + windows.enumerated().map { j, w in
          "SUM(CASE WHEN \(condition) AND age < \(Int64(w) * 86_400_000_000) THEN 1 ELSE 0 END) AS tc_\(e)_\(j)"
        }
    }
  }

  private var hasTypePool: Bool { spec.pooledEventTypes != nil }

  /// The events of the pooled types: every type without columns of its
  /// own, other than the interventions and the churn event.
  private var typePool: String {
    var apart = types + spec.interventions
    if case .event(let name) = churn { apart.append(name) }
    return apart.isEmpty ? "1 = 1" : "event NOT IN (\(apart.map(lit).joined(separator: ", ")))"
  }

  private func trendAndChannelAggregates() -> [String] {
    let tw = Int64(spec.trendWindow) * 86_400_000_000
    return [
      "SUM(CASE WHEN age < \(tw) THEN 1 ELSE 0 END) AS tr_a",
      "SUM(CASE WHEN age >= \(tw) AND age < \(2 * tw) THEN 1 ELSE 0 END) AS tr_b",
      "COALESCE(SUM(CASE WHEN age < \(tw) THEN amount END), 0) AS tra_a",
      "COALESCE(SUM(CASE WHEN age >= \(tw) AND age < \(2 * tw) THEN amount END), 0) AS tra_b",
      "COUNT(channel) AS ch_total",
    ]
      + channels.enumerated().map { c, name in
        "SUM(CASE WHEN channel = \(lit(name)) THEN 1 ELSE 0 END) AS ch_\(c)"
      }
      + (spec.pooledChannels == nil
        ? []
        : [
          "SUM(CASE WHEN channel IS NOT NULL\(channels.isEmpty ? "" : " AND channel NOT IN (\(channels.map(lit).joined(separator: ", ")))") THEN 1 ELSE 0 END) AS ch_\(channels.count)"
        ])
  }

  private func stageAggregates() -> [String] {
    stages.enumerated().flatMap { s, name in
      [
        "MAX(CASE WHEN stage = \(lit(name)) THEN t END) AS sl_\(s)",
        "MIN(CASE WHEN stage = \(lit(name)) THEN t END) AS se_\(s)",
      ]
    }
  }

  private func sentimentAggregates() -> [String] {
    spec.sentimentWindows.enumerated().flatMap { j, w in
      let inWindow = "age < \(Int64(w) * 86_400_000_000)"
      return [
        "SUM(CASE WHEN \(inWindow) THEN sentiment END) AS ss_\(j)",
        "COUNT(CASE WHEN \(inWindow) THEN sentiment END) AS sn_\(j)",
        "MIN(CASE WHEN \(inWindow) THEN sentiment END) AS sm_\(j)",
        "SUM(CASE WHEN \(inWindow) AND sentiment < 0 THEN 1 ELSE 0 END) AS sg_\(j)",
      ]
    }
  }

  // MARK: - The features, in the model's order

  /// One expression per feature. Each is cast to DOUBLE when selected
  /// (DuckDB would otherwise compute some in DECIMAL and round them).
  func featureColumns() throws -> [String] {
    try recencyAndFrequencyColumns() + amountAndTrendColumns() + gapColumns() + channelColumns() + stageColumns()
      + (spec.repeatPurchase.map(repeatPurchaseColumns) ?? []) + sentimentColumns() + interventionColumns()
      + staticColumns()
  }

  private func recencyAndFrequencyColumns() -> [String] {
    let pool = hasTypePool ? [types.count + spec.interventions.count] : []
    return [days("a.first_t"), days("a.last_t")] + windows.indices.map { heavy("a.c_\($0)") }
      + (Array(types.indices) + pool).flatMap { e in
        [daysSince("a.tl_\(e)")] + windows.indices.map { heavy("a.tc_\(e)_\($0)") }
      }
  }

  private func amountAndTrendColumns() -> [String] {
    let usesAmount = spec.usesAmount == true
    let amounts =
      usesAmount
      ? windows.indices.flatMap { j in
        [
          heavy("COALESCE(a.as_\(j), 0)"),
          heavy("CASE WHEN a.an_\(j) > 0 THEN \(dbl("a.as_\(j)")) / \(dbl("a.an_\(j)")) ELSE 0.0 END"),
        ]
      } : []
    return amounts + [trend("a.tr_a", "a.tr_b")] + (usesAmount ? [trend("a.tra_a", "a.tra_b")] : [])
  }

  private func gapColumns() -> [String] {
    let gapMean = "\(dbl("g.dmax - g.dmin")) / \(dbl("g.n - 1"))"
    return [
      heavy("COALESCE(g.n, 0)"),
      "CASE WHEN g.n >= 2 THEN \(gapMean) ELSE 0.0 END",
      "CASE WHEN g.n >= 2 THEN SQRT(gv.sq / \(dbl("g.n - 1"))) ELSE 0.0 END",
      "CASE WHEN g.n >= 2 THEN \(dbl("gf.gap")) / (\(gapMean)) ELSE 0.0 END",
    ]
  }

  private func channelColumns() -> [String] {
    guard spec.usesChannel == true else { return [] }
    let pool = spec.pooledChannels == nil ? [] : [channels.count]
    return (Array(channels.indices) + pool).map {
      "CASE WHEN a.ch_total > 0 THEN \(dbl("a.ch_\($0)")) / \(dbl("a.ch_total")) ELSE 0.0 END"
    }
  }

  /// One-hot current stage, days in it, and the stage chain's churn
  /// probability looked up by it.
  private func stageColumns() -> [String] {
    guard spec.usesStage == true else { return [] }
    let current = currentStage()
    var columns = stages.indices.map { s in "CASE WHEN (\(current)) = \(s) THEN 1.0 ELSE 0.0 END" }
    var inStage = "CASE (\(current))"
    for s in stages.indices {
      let other = greatest(stages.indices.filter { $0 != s }.map { "a.sl_\($0)" })
      inStage += " WHEN \(s) THEN \(days("CASE WHEN \(other) = \(sentinel) THEN a.se_\(s) ELSE \(other) END"))"
    }
    columns.append(inStage + " ELSE 0.0 END")
    if let p = spec.stageChurn?.probabilities {
      var markov = "CASE (\(current))"
      for s in stages.indices { markov += " WHEN \(s) THEN \(ModelExport.literal(p[s]))" }
      columns.append(markov + " ELSE 0.0 END")
    }
    return columns
  }

  /// The current stage's position: the latest seen; ties go to the later
  /// stage in the list.
  private func currentStage() -> String {
    let latest = greatest(stages.indices.map { "a.sl_\($0)" })
    var current = "CASE"
    for s in stages.indices.reversed() {
      current += " WHEN a.sl_\(s) IS NOT NULL AND a.sl_\(s) = \(latest) THEN \(s)"
    }
    return current + " END"
  }

  private func sentimentColumns() -> [String] {
    guard spec.usesSentiment == true else { return [] }
    return spec.sentimentWindows.indices.flatMap { j in
      [
        "CASE WHEN a.sn_\(j) > 0 THEN \(dbl("a.ss_\(j)")) / \(dbl("a.sn_\(j)")) ELSE 0.0 END",
        dbl("COALESCE(a.sm_\(j), 0)"),
        heavy("a.sn_\(j)"), heavy("a.sg_\(j)"),
      ]
    } + [dbl("COALESCE(sl.v, 0)")]
  }

  private func interventionColumns() -> [String] {
    spec.interventions.indices.flatMap { e in
      let k = types.count + e
      return [dbl("a.tt_\(k)"), daysSince("a.tl_\(k)")]
    }
  }

  /// Static attributes from the customers table: one-hot categories with
  /// an "other" column, dates as days before the cutoff.
  private func staticColumns() throws -> [String] {
    var columns: [String] = []
    for encoding in spec.staticEncodings ?? [] {
      let raw = text("cu.\(q(encoding.column))")
      switch encoding.kind {
      case .categorical:
        for category in encoding.categories {
          columns.append("CASE WHEN \(raw) = \(lit(category)) THEN 1.0 ELSE 0.0 END")
        }
        let known =
          encoding.categories.isEmpty ? "1 = 0" : "\(raw) IN (\(encoding.categories.map(lit).joined(separator: ", ")))"
        columns.append("CASE WHEN \(known) THEN 0.0 ELSE 1.0 END")
      case .date:
        let micros = dateMicros("NULLIF(\(raw), '')")
        columns.append("COALESCE(\(days(micros)), \(encoding.imputation))")
        if encoding.hasMissingIndicator { columns.append("CASE WHEN \(micros) IS NULL THEN 1.0 ELSE 0.0 END") }
      case .numeric:
        throw FeatureSQL.Failure.unsupportedStaticColumn(encoding.column)
      }
    }
    return columns
  }

  // MARK: - Cox's model over the features

  /// The feature query with `cox_risk_{h}d` added: 1 − EXP(−H₀ · EXP(lp)),
  /// lp = Σ β (x − x̄) in the covariates' order, clamped as
  /// `CoxRiskFeature.probability` clamps it.
  func withCoxRisk(_ cox: CoxRiskFeature, around select: String, columns: [String]) -> String {
    let lit = ModelExport.literal
    var linear = "0.0"
    for (name, (b, m)) in zip(cox.covariates ?? [], zip(cox.coefficients ?? [], cox.means ?? [])) {
      // A flat sum, added left to right as Swift adds it (nesting the
      // parentheses would overflow SQLite's parser stack).
      linear += "\n      + \(lit(b)) * (f.\(q(name)) - \(lit(m)))"
    }
    let range = CoxRiskFeature.linearPredictorRange
    let (least, greatest) = dialect == .sqlite ? ("MIN", "MAX") : ("LEAST", "GREATEST")
    let clamped = "\(least)(\(greatest)(\(linear),\n      \(lit(range.lowerBound))), \(lit(range.upperBound)))"
    let hazard = "\(lit(cox.baselineCumulativeHazard ?? 0)) * EXP(\(clamped))"
    let probability = "1.0 - EXP(\(greatest)(-(\(hazard)), \(lit(range.lowerBound))))"
    let kept = (["customer_id", "cutoff"] + columns).map { "f.\(q($0))" }.joined(separator: ", ")
    return """
      SELECT \(kept),
        \(dbl(probability)) AS \(q(cox.featureName))
      FROM (
      \(select)
      ) AS f
      ORDER BY f.\(q("customer_id"))
      """
  }

  // MARK: - The query

  /// The whole SELECT: events → history → aggregates and active-day gaps →
  /// the named feature columns of the customers still eligible at T.
  func select(_ columns: [String], named names: [String], activeWithin horizon: Int64, joinsCustomers: Bool) -> String {
    let selected = zip(columns, names).map { "    \(dbl($0)) AS \(q($1))" }.joined(separator: ",\n")
    let eligible =
      churn != .inactivity
      ? "a.churned_before = 0" : "a.last_activity IS NOT NULL AND a.last_activity > \(T) - \(horizon)"
    let time = eventMicros(q("timestamp"))
    let dayIndex = wholeDays("age")
    let gapMean = "\(dbl("g.dmax - g.dmin")) / \(dbl("g.n - 1"))"
    let repeatPurchase = spec.repeatPurchase.map { ",\n" + repeatPurchaseCTEs($0).joined(separator: ",\n") } ?? ""
    return """
      WITH ev AS (
        SELECT \(q("customer_id")) AS customer_id, \(time) AS t, \(q("event")) AS event,
          \(q("channel")) AS channel, \(q("amount")) AS amount, \(q("sentiment")) AS sentiment, \(q("stage")) AS stage
        FROM \(table(events))
      ),
      hist AS (SELECT *, \(T) - t AS age FROM ev WHERE t <= \(T)),
      a AS (
        SELECT customer_id,
          \(aggregates().joined(separator: ",\n    "))
        FROM hist GROUP BY customer_id
      ),
      active AS (SELECT DISTINCT customer_id, \(dayIndex) AS d FROM hist WHERE age < 365 * \(day)),
      gaps AS (SELECT customer_id, d, d - LAG(d) OVER (PARTITION BY customer_id ORDER BY d) AS gap FROM active),
      g AS (SELECT customer_id, COUNT(*) AS n, MIN(d) AS dmin, MAX(d) AS dmax FROM active GROUP BY customer_id),
      gv AS (
        SELECT gaps.customer_id,
          SUM((gap - \(gapMean)) * (gap - \(gapMean))) AS sq
        FROM gaps JOIN g ON g.customer_id = gaps.customer_id WHERE gap IS NOT NULL GROUP BY gaps.customer_id
      ),
      gf AS (
        SELECT customer_id, gap FROM (
          SELECT customer_id, gap, ROW_NUMBER() OVER (PARTITION BY customer_id ORDER BY d) AS rn
          FROM gaps WHERE gap IS NOT NULL
        ) AS ranked WHERE rn = 1
      ),
      sentiment_latest AS (
        SELECT customer_id, t, sentiment, MAX(t) OVER (PARTITION BY customer_id) AS mt
        FROM hist WHERE sentiment IS NOT NULL
      ),
      sl AS (SELECT customer_id, MIN(sentiment) AS v FROM sentiment_latest WHERE t = mt GROUP BY customer_id)\(repeatPurchase)
      SELECT a.customer_id AS \(q("customer_id")), \(lit(cutoff.description)) AS \(q("cutoff")),
      \(selected)
      FROM a
        LEFT JOIN g ON g.customer_id = a.customer_id
        LEFT JOIN gv ON gv.customer_id = a.customer_id
        LEFT JOIN gf ON gf.customer_id = a.customer_id
        LEFT JOIN sl ON sl.customer_id = a.customer_id\(spec.repeatPurchase == nil ? "" : "\n    LEFT JOIN rp ON rp.customer_id = a.customer_id")\(joinsCustomers ? "\n    LEFT JOIN \(q("customers")) AS cu ON cu.\(q("customer_id")) = a.customer_id" : "")
      WHERE \(eligible)
      ORDER BY a.customer_id
      """
  }
}
