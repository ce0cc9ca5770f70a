import ChurnIO

/// The buy-till-you-die models as churn features: `p_alive`,
/// `expected_purchases_{h}d` and `clv` (docs/features.md), from BG/NBD and
/// Gamma-Gamma fitted on the purchases up to the earliest cutoff (never
/// later ones). Request it with `"repeat_purchase": {}` in the spec; the
/// resolved spec stores the fitted parameters, so scoring evaluates them on
/// each customer's history and never refits.
public struct RepeatPurchaseFeature: Codable, Sendable, Equatable {
  /// The event type that is a purchase (nil: `purchase` when the log has
  /// it, else every activity event); fixed by fitting.
  public var purchaseEvent: String?
  /// The window of `expected_purchases_{h}d` in days (nil: the label horizon).
  public var horizonDays: Int?
  /// Months of 30 days summed in `clv` (default 12).
  public var clvMonths: Int?
  /// Monthly discount rate of `clv` (default 0.01).
  public var discountRate: Double?
  /// Filled in by fitting.
  public var parameters: RepeatPurchaseParameters?
  /// Whether `no_purchase_yet` is written: some training row's customer
  /// had not bought by its cutoff (their three values are then 0).
  public var hasMissingIndicator: Bool?
  /// The models were fitted on purchases up to this instant (ISO 8601).
  public var fittedThrough: String?

  public static let defaultClvMonths = 12
  public static let defaultDiscountRate = 0.01

  public init() {}

  enum CodingKeys: String, CodingKey, CaseIterable {
    case purchaseEvent = "purchase_event", horizonDays = "horizon_days", clvMonths = "clv_months"
    case discountRate = "discount_rate", parameters, hasMissingIndicator = "has_missing_indicator"
    case fittedThrough = "fitted_through"
  }

  /// Decodes the settings, refusing an unknown one (a typo would otherwise
  /// be ignored in silence) with the closest known name.
  public init(from decoder: any Decoder) throws {
    let known = CodingKeys.allCases.map(\.stringValue)
    for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
      throw FeatureError.unknownName(
        kind: "'repeat_purchase' setting", name: key.stringValue,
        suggestion: closestMatch(to: key.stringValue, in: known.sorted()))
    }
    let c = try decoder.container(keyedBy: CodingKeys.self)
    purchaseEvent = try c.decodeIfPresent(String.self, forKey: .purchaseEvent)
    horizonDays = try c.decodeIfPresent(Int.self, forKey: .horizonDays)
    clvMonths = try c.decodeIfPresent(Int.self, forKey: .clvMonths)
    discountRate = try c.decodeIfPresent(Double.self, forKey: .discountRate)
    parameters = try c.decodeIfPresent(RepeatPurchaseParameters.self, forKey: .parameters)
    hasMissingIndicator = try c.decodeIfPresent(Bool.self, forKey: .hasMissingIndicator)
    fittedThrough = try c.decodeIfPresent(String.self, forKey: .fittedThrough)
  }

  /// The features' names, in the order written (once resolved: the
  /// horizon fixed).
  public var featureNames: [String] {
    var names = ["p_alive", "expected_purchases_\(horizonDays ?? 0)d"]
    if parameters?.hasSpend == true { names.append("clv") }
    if hasMissingIndicator == true { names.append("no_purchase_yet") }
    return names
  }

  func validate() throws(FeatureError) {
    if let h = horizonDays, h < 1 || h > 36_500 {
      throw .invalidSpec("'repeat_purchase.horizon_days' of \(h): must be from 1 to 36500 days")
    }
    if let m = clvMonths, m < 1 || m > 1200 {
      throw .invalidSpec("'repeat_purchase.clv_months' of \(m): must be from 1 to 1200")
    }
    if let d = discountRate, !(d >= 0 && d < 1) {
      throw .invalidSpec("'repeat_purchase.discount_rate' of \(d): must be from 0 to below 1 (per month)")
    }
    if let name = purchaseEvent, name.isEmpty { throw .invalidSpec("'repeat_purchase.purchase_event' is empty") }
    try parameters?.validate()
  }
}

/// Fitted BG/NBD and Gamma-Gamma parameters, time in days (lifetimes'
/// names). `a` and `b` are absent when the data show no spread in the
/// dropout probability (then `common_dropout` is every customer's); `p`,
/// `q`, `v` when the log has no amounts or the mean spend has no finite
/// expectation (q ≤ 1), and then `clv` is not built.
public struct RepeatPurchaseParameters: Codable, Sendable, Equatable {
  public var r: Double
  public var alpha: Double
  public var a: Double?
  public var b: Double?
  public var commonDropout: Double?
  public var p: Double?
  public var q: Double?
  public var v: Double?
  /// The covariance of BG/NBD's log-parameters (ln r, ln α, ln a, ln b; or
  /// ln r, ln α, ln π/(1 − π)) and of Gamma-Gamma's (ln p, ln q, ln v), from
  /// the fits: they give `clv` a standard error when it is a customer's
  /// value in the next best action. Absent in specs that fix the
  /// parameters, and then the value has none.
  public var logCovariance: [[Double]]?
  public var spendLogCovariance: [[Double]]?

  public init(
    r: Double, alpha: Double, a: Double?, b: Double?, commonDropout: Double?, p: Double?, q: Double?, v: Double?
  ) {
    (self.r, self.alpha, self.a, self.b, self.commonDropout) = (r, alpha, a, b, commonDropout)
    (self.p, self.q, self.v) = (p, q, v)
  }

  enum CodingKeys: String, CodingKey {
    case r, alpha, a, b, commonDropout = "common_dropout", p, q, v
    case logCovariance = "log_covariance", spendLogCovariance = "spend_log_covariance"
  }

  /// Whether the spend model is there and usable.
  public var hasSpend: Bool { p != nil && q != nil && v != nil }

  func validate() throws(FeatureError) {
    func positive(_ x: Double?, _ name: String) throws(FeatureError) {
      if let x, !(x > 0 && x.isFinite) {
        throw .invalidSpec("'repeat_purchase.parameters.\(name)' of \(x): must be a positive number")
      }
    }
    try positive(r, "r")
    try positive(alpha, "alpha")
    try positive(a, "a")
    try positive(b, "b")
    try positive(p, "p")
    try positive(q, "q")
    try positive(v, "v")
    if (a == nil) != (b == nil) || (a == nil) == (commonDropout == nil) {
      throw .invalidSpec("'repeat_purchase.parameters' needs either a and b, or common_dropout")
    }
    if let d = commonDropout, !(d > 0 && d < 1) {
      throw .invalidSpec("'repeat_purchase.parameters.common_dropout' of \(d): must be between 0 and 1")
    }
    if [p, q, v].contains(where: { $0 == nil }) && [p, q, v].contains(where: { $0 != nil }) {
      throw .invalidSpec("'repeat_purchase.parameters' needs all of p, q and v, or none")
    }
    if let q, q <= 1 { throw .invalidSpec("'repeat_purchase.parameters.q' of \(q): must be above 1") }
    try Self.validate(logCovariance, size: a == nil ? 3 : 4, name: "log_covariance")
    try Self.validate(spendLogCovariance, size: 3, name: "spend_log_covariance")
  }

  /// A covariance matrix of the right size, symmetric, finite, with a
  /// non-negative diagonal.
  private static func validate(_ c: [[Double]]?, size: Int, name: String) throws(FeatureError) {
    guard let c else { return }
    let square = c.count == size && c.allSatisfy { $0.count == size }
    guard square else {
      throw .invalidSpec("'repeat_purchase.parameters.\(name)' must be a \(size) × \(size) matrix (a list of rows)")
    }
    for i in 0..<size {
      for j in 0..<size where !c[i][j].isFinite || c[i][j] != c[j][i] || (i == j && c[i][i] < 0) {
        throw .invalidSpec(
          "'repeat_purchase.parameters.\(name)' is not a covariance matrix: row \(i + 1), column \(j + 1) holds \(c[i][j])"
        )
      }
    }
  }
}

/// One cutoff's `repeat_purchase` values: for each customer who bought by
/// then, their feature values (p_alive, expected purchases, clv when the
/// spend model is there) in `RepeatPurchaseFeature.featureNames` order,
/// then (with the spend model) the standard error of clv, NaN when not
/// estimated — not a feature, the value's uncertainty for decisions.
public struct RepeatPurchaseValues: Sendable {
  public var customerIDs: [String]
  /// `customerIDs.count × width`, row-major.
  public var values: [Double]
  public var width: Int

  public init(customerIDs: [String], values: [Double], width: Int) {
    (self.customerIDs, self.values, self.width) = (customerIDs, values, width)
  }
}

/// What the `repeat_purchase` features need from the buy-till-you-die
/// models: fitted on the purchases of `reader` up to `through` when the
/// feature has no parameters yet, and evaluated on each customer's
/// purchases up to every cutoff. Without a purchase event, every event type
/// but those `excluding` names (interventions, the churn event) counts.
public protocol RepeatPurchaseFitting: Sendable {
  func resolveAndEvaluate(
    _ feature: RepeatPurchaseFeature, through: Cutoff, cutoffs: [Cutoff],
    excluding: Set<String>, events reader: inout EventLogReader
  ) throws -> (feature: RepeatPurchaseFeature, values: [RepeatPurchaseValues])
}

/// The `repeat_purchase` values laid out by the features' customer index:
/// per cutoff, `width` values per customer, NaN before a first purchase.
struct RepeatPurchaseColumns: Sendable {
  private let perCutoff: [[Double]]
  private let width: Int

  init(_ values: [RepeatPurchaseValues], customers: Interner) {
    width = values.first?.width ?? 0
    perCutoff = values.map { cutoff in
      var flat = [Double](repeating: .nan, count: customers.count * cutoff.width)
      for (i, id) in cutoff.customerIDs.enumerated() {
        guard let k = customers.lookup(id) else { continue }
        for j in 0..<cutoff.width { flat[Int(k) * cutoff.width + j] = cutoff.values[i * cutoff.width + j] }
      }
      return flat
    }
  }

  func hasPurchase(customer k: Int, at cutoff: Int) -> Bool {
    guard cutoff < perCutoff.count, (k + 1) * width <= perCutoff[cutoff].count, width > 0 else { return false }
    return !perCutoff[cutoff][k * width].isNaN
  }

  /// The standard error of the customer's `clv` at a cutoff (nil before a
  /// first purchase, without the spend model or without the fits'
  /// covariances).
  func clvStandardError(customer k: Int, at cutoff: Int) -> Double? {
    guard width == 4, let se = values(customer: k, at: cutoff)?[3], !se.isNaN else { return nil }
    return se
  }

  /// The customer's values at a cutoff; nil before their first purchase.
  func values(customer k: Int, at cutoff: Int) -> [Double]? {
    guard hasPurchase(customer: k, at: cutoff) else { return nil }
    return Array(perCutoff[cutoff][(k * width)..<((k + 1) * width)])
  }
}
