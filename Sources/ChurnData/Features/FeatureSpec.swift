import ByteStreams
import ChurnIO
import Foundation

/// Which features to compute and how; saved with every model so scoring
/// rebuilds exactly the same columns. `docs/features.md` defines each family.
///
/// Optional lists (`eventTypes`, `channels`, …) are filled in from the data
/// at the (latest) cutoff when nil; `FeatureExtractor.result.spec` holds the
/// resolved spec, with every vocabulary and imputation value fixed.
///
/// ```json
/// {"windows": [7, 30, 90], "interventions": ["discount_offer"], "rare_category_min_customers": 20}
/// ```
public struct FeatureSpec: Codable, Sendable, Equatable {
  /// Trailing windows, in days, for counts and amounts.
  public var windows = [7, 30, 90, 365]
  /// The trend compares the last `trendWindow` days with the ones before.
  public var trendWindow = 30
  /// Trailing windows, in days, for sentiment.
  public var sentimentWindows = [30, 90]
  /// Event types with their own recency and frequency features (nil: every
  /// type seen at or before the latest cutoff, sorted by name).
  public var eventTypes: [String]?
  /// Channels for the channel mix (nil: every channel seen, sorted).
  public var channels: [String]?
  /// Lifecycle stages, in order (used when the log has a stage column).
  public var stages = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "churned"]
  /// Event types that are interventions (actions received).
  public var interventions: [String] = []
  /// Event types that count as activity for `--churn-definition inactivity`
  /// (nil: every type except the interventions).
  public var activityEvents: [String]?

  /// Whether an event of type `name` counts as activity (see `activityEvents`).
  public func countsAsActivity(_ name: String) -> Bool {
    activityEvents?.contains(name) ?? !interventions.contains(name)
  }
  /// "Days since" value for something that never happened.
  public var neverDays = 3650.0
  /// A category of a static attribute gets its own column only when at
  /// least this many customers have it; the rest share `<column>_other`.
  public var rareCategoryMinCustomers = 10
  /// At most this many event types, and as many channels, found in the
  /// data get columns of their own (nil: `defaultMaxCategories`); the
  /// others, and the ones fewer than `rareCategoryMinCustomers` customers
  /// have, are pooled. Bounds memory on a log with a huge vocabulary.
  public var maxCategories: Int?
  public static let defaultMaxCategories = 200
  /// The name under which event types without columns of their own are
  /// counted together (`count_other_30d`); nil: they are not counted apart.
  /// Excludes the interventions and the churn event.
  public var pooledEventTypes: String?
  /// Likewise for channels (`share_channel_other`).
  public var pooledChannels: String?
  /// Customers-table columns to use (nil: all of them).
  public var staticColumns: [String]?
  /// Encodings of the static columns, learned from the customers table.
  public var staticEncodings: [StaticEncoding]?
  /// Which optional event-log columns the features use (nil: those present).
  /// A resolved spec fixes them, so scoring fails on data that lacks one.
  public var usesAmount: Bool?
  public var usesChannel: Bool?
  public var usesSentiment: Bool?
  public var usesStage: Bool?
  /// The stage model as a feature: `markov_churn_{h}d`, the probability of
  /// churning within h days from the customer's current stage (nil: off).
  public var stageChurn: StageChurnFeature?
  /// The buy-till-you-die models as features: `p_alive`,
  /// `expected_purchases_{h}d`, `clv` (nil: off).
  public var repeatPurchase: RepeatPurchaseFeature?
  /// Cox's model as a feature: `cox_risk_{h}d`, the probability of
  /// churning within h days (nil: off).
  public var coxRisk: CoxRiskFeature?
  /// Whether counts and amounts enter as log(1 + x) (amounts keep their
  /// sign), named `log1p_…`: heavy tails then weigh less in a linear model.
  public var log1p: Bool?

  public init() {}

  enum CodingKeys: String, CodingKey, CaseIterable {
    case windows, trendWindow = "trend_window", sentimentWindows = "sentiment_windows"
    case eventTypes = "event_types", channels, stages, interventions, activityEvents = "activity_events"
    case neverDays = "never_days", rareCategoryMinCustomers = "rare_category_min_customers"
    case maxCategories = "max_categories", pooledEventTypes = "pooled_event_types", pooledChannels = "pooled_channels"
    case staticColumns = "static_columns", staticEncodings = "static_encodings"
    case usesAmount = "uses_amount", usesChannel = "uses_channel", usesSentiment = "uses_sentiment"
    case usesStage = "uses_stage", stageChurn = "stage_churn", repeatPurchase = "repeat_purchase", log1p
    case coxRisk = "cox_risk"
  }

  public init(from decoder: any Decoder) throws {
    let known = Set(CodingKeys.allCases.map(\.stringValue))
    let any = try decoder.container(keyedBy: AnyKey.self)
    for key in any.allKeys where !known.contains(key.stringValue) {
      throw FeatureError.unknownName(
        kind: "setting", name: key.stringValue, suggestion: closestMatch(to: key.stringValue, in: Array(known).sorted())
      )
    }
    let c = try decoder.container(keyedBy: CodingKeys.self)
    let d = FeatureSpec()
    windows = try c.decodeIfPresent([Int].self, forKey: .windows) ?? d.windows
    trendWindow = try c.decodeIfPresent(Int.self, forKey: .trendWindow) ?? d.trendWindow
    sentimentWindows = try c.decodeIfPresent([Int].self, forKey: .sentimentWindows) ?? d.sentimentWindows
    eventTypes = try c.decodeIfPresent([String].self, forKey: .eventTypes)
    channels = try c.decodeIfPresent([String].self, forKey: .channels)
    stages = try c.decodeIfPresent([String].self, forKey: .stages) ?? d.stages
    interventions = try c.decodeIfPresent([String].self, forKey: .interventions) ?? []
    activityEvents = try c.decodeIfPresent([String].self, forKey: .activityEvents)
    neverDays = try c.decodeIfPresent(Double.self, forKey: .neverDays) ?? d.neverDays
    rareCategoryMinCustomers =
      try c.decodeIfPresent(Int.self, forKey: .rareCategoryMinCustomers) ?? d.rareCategoryMinCustomers
    maxCategories = try c.decodeIfPresent(Int.self, forKey: .maxCategories)
    pooledEventTypes = try c.decodeIfPresent(String.self, forKey: .pooledEventTypes)
    pooledChannels = try c.decodeIfPresent(String.self, forKey: .pooledChannels)
    staticColumns = try c.decodeIfPresent([String].self, forKey: .staticColumns)
    staticEncodings = try c.decodeIfPresent([StaticEncoding].self, forKey: .staticEncodings)
    usesAmount = try c.decodeIfPresent(Bool.self, forKey: .usesAmount)
    usesChannel = try c.decodeIfPresent(Bool.self, forKey: .usesChannel)
    usesSentiment = try c.decodeIfPresent(Bool.self, forKey: .usesSentiment)
    usesStage = try c.decodeIfPresent(Bool.self, forKey: .usesStage)
    stageChurn = try c.decodeIfPresent(StageChurnFeature.self, forKey: .stageChurn)
    repeatPurchase = try c.decodeIfPresent(RepeatPurchaseFeature.self, forKey: .repeatPurchase)
    log1p = try c.decodeIfPresent(Bool.self, forKey: .log1p)
    coxRisk = try c.decodeIfPresent(CoxRiskFeature.self, forKey: .coxRisk)
  }

  /// Checks the settings that need no data.
  public func validate() throws(FeatureError) {
    if windows.isEmpty { throw .invalidSpec("'windows' is empty: give at least one window in days") }
    for w in windows + sentimentWindows + [trendWindow] where w <= 0 || w > 36_500 {
      throw .invalidSpec("window of \(w) days: windows must be from 1 to 36500 days")
    }
    if Set(windows).count != windows.count { throw .invalidSpec("'windows' lists a window twice") }
    if Set(sentimentWindows).count != sentimentWindows.count {
      throw .invalidSpec("'sentiment_windows' lists a window twice")
    }
    if !(neverDays > 0) { throw .invalidSpec("'never_days' must be positive") }
    if rareCategoryMinCustomers < 1 { throw .invalidSpec("'rare_category_min_customers' must be at least 1") }
    if let m = maxCategories, m < 1 || m > 100_000 {
      throw .invalidSpec("'max_categories' of \(m): must be from 1 to 100000")
    }
    for name in [pooledEventTypes, pooledChannels].compactMap({ $0 }) where name.isEmpty {
      throw .invalidSpec("a pooled category's name is empty: give a name such as \"other\"")
    }
    if let feature = stageChurn {
      if let h = feature.horizonDays, h < 1 || h > 36_500 {
        throw .invalidSpec("'stage_churn.horizon_days' of \(h): must be from 1 to 36500 days")
      }
      if stages.last != "churned" { throw .invalidSpec("'stage_churn' needs a stage list that ends with 'churned'") }
      if let p = feature.probabilities, p.count != stages.count {
        throw .invalidSpec("'stage_churn.probabilities' has \(p.count) values for \(stages.count) stages")
      }
    }
    try repeatPurchase?.validate()
    try coxRisk?.validate()
  }

  /// The spec without its model features (the stage chain, the repeat
  /// purchases, Cox): what a model behind a feature is fitted on.
  public var withoutModelFeatures: FeatureSpec {
    var spec = self
    (spec.stageChurn, spec.repeatPurchase, spec.coxRisk) = (nil, nil, nil)
    return spec
  }

  /// The spec as stable JSON (sorted keys), written atomically.
  public func write(to path: String) throws {
    let out = try AtomicFileWriter(path: path)
    try out.write(try jsonText())
    try out.commit()
  }

  /// The spec as the JSON `write(to:)` writes.
  public func jsonText() throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
  }

  /// Reads a spec file, naming the file and the problem when it is invalid.
  public static func load(path: String) throws -> FeatureSpec {
    guard let data = contentsOfFile(path) else {
      throw FeatureError.invalidSpec("cannot read \(path)")
    }
    let spec: FeatureSpec
    do {
      spec = try JSONDecoder().decode(FeatureSpec.self, from: data)
    } catch let error as FeatureError {
      throw FeatureError.invalidSpec("\(path): \(error)")
    } catch let error as DecodingError {
      throw FeatureError.invalidSpec("\(path): \(JSONProblem.describe(error, in: data))")
    } catch {
      throw FeatureError.invalidSpec("\(path): not a valid spec (\(error))")
    }
    try spec.validate()
    return spec
  }
}

/// The stage-transition model as a churn feature: the probability of
/// churning within `horizonDays` from each stage, from a chain fitted on the
/// events up to the earliest cutoff (never later ones). Request it with
/// `"stage_churn": {}` in the spec; the resolved spec stores the fitted
/// probabilities, so scoring looks them up instead of refitting.
public struct StageChurnFeature: Codable, Sendable, Equatable {
  /// Horizon in days (nil: the label horizon).
  public var horizonDays: Int?
  /// Per stage of the spec's list (churned: 1); filled in by training.
  public var probabilities: [Double]?
  /// The chain was fitted on events up to this instant (ISO 8601).
  public var fittedThrough: String?

  public init(horizonDays: Int? = nil) { self.horizonDays = horizonDays }

  enum CodingKeys: String, CodingKey {
    case horizonDays = "horizon_days", probabilities, fittedThrough = "fitted_through"
  }
}

/// How one customers-table column becomes features.
public struct StaticEncoding: Codable, Sendable, Equatable {
  public enum Kind: String, Codable, Sendable {
    /// One column per frequent category, plus `<column>_other`.
    case categorical
    /// The number, missing values replaced by `imputation`, plus
    /// `<column>_missing` when the training data had missing values.
    case numeric
    /// Days from the date to the cutoff, plus `<column>_missing` likewise.
    case date
  }

  public var column: String
  public var kind: Kind
  /// Categories with their own column (categorical only), sorted.
  public var categories: [String] = []
  /// Replacement for a missing value (numeric: the mean; date: 0 days).
  public var imputation = 0.0
  /// Whether a `<column>_missing` indicator is produced.
  public var hasMissingIndicator = false

  enum CodingKeys: String, CodingKey {
    case column, kind, categories, imputation, hasMissingIndicator = "has_missing_indicator"
  }
}
