import ChurnData
import ChurnIO
import Foundation

/// The interventions a business can make, with what each costs and who may
/// receive it: the input of next-best-action decisions.
///
/// A JSON array, or `{"actions": [...], "conversion_values": {...}}`,
/// documented in `docs/actions.md`:
///
/// ```json
/// [{"id": "discount_offer", "label": "10% discount for three months", "cost": 10,
///   "channel": "email", "eligible_stages": ["retention", "advocacy"],
///   "conditions": [{"feature": "days_since_last_purchase", "op": ">=", "value": 30}],
///   "cooldown_days": 90, "capacity": 500}]
/// ```
public struct ActionCatalog: Codable, Sendable, Equatable {
  public var actions: [Action]
  /// Per stage, what a customer with no value yet (a prospect without
  /// revenue) is worth if kept: their value instead of 0 (empty: none).
  public var conversionValues: [String: Double] = [:]

  public init(actions: [Action], conversionValues: [String: Double] = [:]) {
    self.actions = actions
    self.conversionValues = conversionValues
  }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case actions
    case conversionValues = "conversion_values"
  }

  public init(from decoder: any Decoder) throws {
    try Self.refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.stringValue))
    let c = try decoder.container(keyedBy: CodingKeys.self)
    actions = try c.decode([Action].self, forKey: .actions)
    conversionValues = try c.decodeIfPresent([String: Double].self, forKey: .conversionValues) ?? [:]
  }

  public func encode(to encoder: any Encoder) throws {
    var c = encoder.container(keyedBy: CodingKeys.self)
    try c.encode(actions, forKey: .actions)
    if !conversionValues.isEmpty { try c.encode(conversionValues, forKey: .conversionValues) }
  }

  /// Throws on the first key of the object being decoded that is not
  /// `known`, with the closest known one.
  static func refuseUnknownKeys(in decoder: any Decoder, known: [String]) throws {
    for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
      throw CatalogError(
        "unknown key '\(key.stringValue)'"
          + (closestMatch(to: key.stringValue, in: known).map { " (did you mean '\($0)'?)" } ?? ""))
    }
  }

  /// The value of a customer whose value is `value` in stage `stage`: a
  /// conversion value where they have none yet and the catalog gives one.
  public func value(_ value: Double, stage: String?) -> (value: Double, isConversionValue: Bool) {
    guard value <= 0, let stage, let converted = conversionValues[stage] else { return (value, false) }
    return (converted, true)
  }

  /// One intervention. Its `id` is the event type that records it in the log.
  public struct Action: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    /// Cost per customer treated, in the unit of customer value.
    public var cost: Double
    public var channel: String?
    /// Stages in which a customer may receive it (empty: any stage).
    public var eligibleStages: [String]
    /// All must hold on the customer's features.
    public var conditions: [Condition]
    /// Days after receiving it during which it is not given again.
    public var cooldownDays: Int
    /// At most this many customers per batch (nil: no limit).
    public var capacity: Int?
    /// Days an action keeps working after it is given, for the hazard
    /// learner (nil: chosen from the data by likelihood).
    public var effectDays: Int?

    public init(
      id: String, label: String? = nil, cost: Double, channel: String? = nil, eligibleStages: [String] = [],
      conditions: [Condition] = [], cooldownDays: Int = 0, capacity: Int? = nil, effectDays: Int? = nil
    ) {
      self.id = id
      self.label = label ?? id
      self.cost = cost
      self.channel = channel
      self.eligibleStages = eligibleStages
      self.conditions = conditions
      self.cooldownDays = cooldownDays
      self.capacity = capacity
      self.effectDays = effectDays
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
      case id, label, cost, channel, eligibleStages = "eligible_stages", conditions, cooldownDays = "cooldown_days",
        capacity
      case effectDays = "effect_days"
    }

    public init(from decoder: any Decoder) throws {
      try ActionCatalog.refuseUnknownKeys(in: decoder, known: CodingKeys.allCases.map(\.stringValue))
      let c = try decoder.container(keyedBy: CodingKeys.self)
      id = try c.decode(String.self, forKey: .id)
      label = try c.decodeIfPresent(String.self, forKey: .label) ?? id
      cost = try c.decode(Double.self, forKey: .cost)
      channel = try c.decodeIfPresent(String.self, forKey: .channel)
      eligibleStages = try c.decodeIfPresent([String].self, forKey: .eligibleStages) ?? []
      conditions = try c.decodeIfPresent([Condition].self, forKey: .conditions) ?? []
      cooldownDays = try c.decodeIfPresent(Int.self, forKey: .cooldownDays) ?? 0
      capacity = try c.decodeIfPresent(Int.self, forKey: .capacity)
      effectDays = try c.decodeIfPresent(Int.self, forKey: .effectDays)
    }

    /// Whether a customer in `stage` with these features may receive it
    /// (stage and conditions; cooldown is checked apart, from the history).
    public func admits(stage: String?, features: (String) -> Double?) -> Bool {
      if !eligibleStages.isEmpty {
        guard let stage, eligibleStages.contains(stage) else { return false }
      }
      for condition in conditions {
        guard let v = features(condition.feature), condition.holds(for: v) else { return false }
      }
      return true
    }
  }

  /// A comparison of one feature with a constant.
  public struct Condition: Codable, Sendable, Equatable {
    public var feature: String
    public var op: Operator
    public var value: Double

    public enum Operator: String, Codable, Sendable, CaseIterable {
      case less = "<", lessOrEqual = "<=", greater = ">", greaterOrEqual = ">=", equal = "==", notEqual = "!="
    }

    public init(feature: String, op: Operator, value: Double) {
      self.feature = feature
      self.op = op
      self.value = value
    }

    public func holds(for v: Double) -> Bool {
      switch op {
      case .less: v < value
      case .lessOrEqual: v <= value
      case .greater: v > value
      case .greaterOrEqual: v >= value
      case .equal: v == value
      case .notEqual: v != value
      }
    }

    public var description: String { "\(feature) \(op.rawValue) \(NumberText.compact(value))" }
  }

  public struct CatalogError: Error, CustomStringConvertible {
    public let description: String
    init(_ description: String) { self.description = description }
  }

  /// Reads and checks a catalog file; every problem names the file and the action.
  public static func load(path: String) throws -> ActionCatalog {
    guard let data = contentsOfFile(path) else {
      throw CatalogError("cannot read action catalog \(path)")
    }
    let catalog: ActionCatalog
    do {
      if let list = try? JSONDecoder().decode([Action].self, from: data) {
        catalog = ActionCatalog(actions: list)
      } else if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], object["actions"] != nil {
        catalog = try JSONDecoder().decode(ActionCatalog.self, from: data)
      } else {
        // Decode again to get the precise message.
        _ = try JSONDecoder().decode([Action].self, from: data)
        throw CatalogError("expected an array of actions, or an object with \"actions\"")
      }
    } catch let error as CatalogError {
      throw CatalogError("\(path): \(error.description)")
    } catch let DecodingError.dataCorrupted(context)
      where "\(context.underlyingError.map { "\($0)" } ?? "")".contains("unknown key")
    {
      throw CatalogError("\(path): \(context.underlyingError!)")
    } catch {
      throw CatalogError("\(path): \(JSONProblem.describe(error, in: data))")
    }
    do { try catalog.validate() } catch { throw CatalogError("\(path): \(error.description)") }
    return catalog
  }

  /// Checks what needs no data: ids unique and non-empty, costs and cooldowns
  /// non-negative, capacities positive, effect durations 1 to 3650 days.
  public func validate() throws(CatalogError) {
    guard !actions.isEmpty else { throw CatalogError("the catalog has no action") }
    var seen: Set<String> = []
    for a in actions {
      guard !a.id.isEmpty, a.id != "none" else { throw CatalogError("an action id must be non-empty and not 'none'") }
      guard seen.insert(a.id).inserted else { throw CatalogError("action '\(a.id)' is listed twice") }
      guard a.cost >= 0, a.cost.isFinite else {
        throw CatalogError("action '\(a.id)': cost must be a non-negative number")
      }
      guard a.cooldownDays >= 0 else { throw CatalogError("action '\(a.id)': cooldown_days must be 0 or more") }
      if let c = a.capacity, c < 0 { throw CatalogError("action '\(a.id)': capacity must be 0 or more") }
      if let d = a.effectDays, !(1...3650).contains(d) {
        throw CatalogError("action '\(a.id)': effect_days must be 1 to 3650")
      }
      for c in a.conditions where !c.value.isFinite {
        throw CatalogError("action '\(a.id)': condition on '\(c.feature)' needs a finite value")
      }
    }
    for (stage, v) in conversionValues.sorted(by: { $0.key < $1.key }) where !(v >= 0 && v.isFinite) {
      throw CatalogError("conversion_values: the value for stage '\(stage)' must be a non-negative number")
    }
  }

  /// Checks the catalog against a model's features and stages, naming the
  /// first unknown feature or stage (with the closest name).
  public func validate(features: [String], stages: [String]) throws(CatalogError) {
    for s in conversionValues.keys.sorted() where !stages.contains(s) {
      throw CatalogError(
        "conversion_values: '\(s)' is not a stage (\(stages.joined(separator: ", ")))"
          + (closestMatch(to: s, in: stages).map { " (did you mean '\($0)'?)" } ?? ""))
    }
    for a in actions {
      for s in a.eligibleStages where !stages.contains(s) {
        throw CatalogError(
          "action '\(a.id)': eligible stage '\(s)' is not a stage (\(stages.joined(separator: ", ")))")
      }
      for c in a.conditions where !features.contains(c.feature) {
        throw CatalogError(
          "action '\(a.id)': condition on unknown feature '\(c.feature)'"
            + (closestMatch(to: c.feature, in: features).map { " (did you mean '\($0)'?)" } ?? ""))
      }
    }
  }
}
