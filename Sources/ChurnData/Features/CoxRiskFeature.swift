import ChurnIO
import Foundation

/// Cox's proportional-hazards model as a churn feature: `cox_risk_{h}d`,
/// the probability of churning within h days by a Cox model of the days to
/// churn, fitted point-in-time: on the features at h days before the
/// earliest cutoff and each customer's follow-up to that cutoff (never
/// later data). The model reads the spec's other features (not the model
/// features: stage chain, repeat purchases), so it carries what the timing
/// of churn says about them, which a label within the horizon loses.
/// Request it with `"cox_risk": {}`; the resolved spec stores the fit, so
/// scoring evaluates it and never refits.
public struct CoxRiskFeature: Codable, Sendable, Equatable {
  /// The horizon h in days (nil: the label horizon); also how far before
  /// the earliest cutoff the model is fitted.
  public var horizonDays: Int?
  /// Filled in by fitting: the covariates Cox's fit kept, their
  /// coefficients and means over the fitted rows, and the baseline
  /// cumulative hazard at h days (at the means).
  public var covariates: [String]?
  public var coefficients: [Double]?
  public var means: [Double]?
  public var baselineCumulativeHazard: Double?
  /// The features were taken at this instant and the follow-up ran to
  /// `fittedThrough` (ISO 8601).
  public var fittedAt: String?
  public var fittedThrough: String?

  public init(horizonDays: Int? = nil) { self.horizonDays = horizonDays }

  enum CodingKeys: String, CodingKey, CaseIterable {
    case horizonDays = "horizon_days", covariates, coefficients, means
    case baselineCumulativeHazard = "baseline_cumulative_hazard", fittedAt = "fitted_at"
    case fittedThrough = "fitted_through"
  }

  /// Decodes the settings, refusing an unknown one with the closest name.
  public init(from decoder: any Decoder) throws {
    let known = CodingKeys.allCases.map(\.stringValue)
    for key in try decoder.container(keyedBy: AnyKey.self).allKeys where !known.contains(key.stringValue) {
      throw FeatureError.unknownName(
        kind: "'cox_risk' setting", name: key.stringValue,
        suggestion: closestMatch(to: key.stringValue, in: known.sorted()))
    }
    let c = try decoder.container(keyedBy: CodingKeys.self)
    horizonDays = try c.decodeIfPresent(Int.self, forKey: .horizonDays)
    covariates = try c.decodeIfPresent([String].self, forKey: .covariates)
    coefficients = try c.decodeIfPresent([Double].self, forKey: .coefficients)
    means = try c.decodeIfPresent([Double].self, forKey: .means)
    baselineCumulativeHazard = try c.decodeIfPresent(Double.self, forKey: .baselineCumulativeHazard)
    fittedAt = try c.decodeIfPresent(String.self, forKey: .fittedAt)
    fittedThrough = try c.decodeIfPresent(String.self, forKey: .fittedThrough)
  }

  /// The feature's name, once the horizon is fixed.
  public var featureName: String { "cox_risk_\(horizonDays ?? 0)d" }

  /// Whether the fit is stored (else training fits it).
  public var isFitted: Bool { coefficients != nil }

  /// The linear predictor is kept within [−745, 700] and the exponent of
  /// the survival above −745: e^700 is finite, e^−745 the smallest double,
  /// and beyond them the probability is 1 or 0 to double precision anyway.
  /// (PostgreSQL raises an error where EXP over- or underflows; the feature
  /// SQL clamps the same way, so that it computes the same doubles.)
  public static let linearPredictorRange = -745.0...700.0

  /// 1 − exp(−H₀(h) · e^{β·(x − x̄)}) for the covariates' values, summed
  /// in the covariates' order, as the feature SQL writes it.
  public func probability(_ values: [Double]) -> Double {
    guard let b = coefficients, let m = means, let h0 = baselineCumulativeHazard else { return .nan }
    var linear = 0.0
    for j in b.indices { linear = linear + b[j] * (values[j] - m[j]) }
    let range = Self.linearPredictorRange
    let clamped = min(max(linear, range.lowerBound), range.upperBound)
    return 1 - exp(max(-(h0 * exp(clamped)), range.lowerBound))
  }

  func validate() throws(FeatureError) {
    if let h = horizonDays, h < 1 || h > 36_500 {
      throw .invalidSpec("'cox_risk.horizon_days' of \(h): must be from 1 to 36500 days")
    }
    let parts: [Any?] = [covariates, coefficients, means, baselineCumulativeHazard]
    guard parts.contains(where: { $0 != nil }) else { return }
    guard let names = covariates, let b = coefficients, let m = means, let h0 = baselineCumulativeHazard,
      b.count == names.count, m.count == names.count
    else {
      throw .invalidSpec(
        "'cox_risk' needs covariates, coefficients and means of one length, and baseline_cumulative_hazard")
    }
    if Set(names).count != names.count { throw .invalidSpec("'cox_risk.covariates' lists a feature twice") }
    if !(b + m).allSatisfy(\.isFinite) {
      throw .invalidSpec("'cox_risk' coefficients and means must be finite numbers")
    }
    if !(h0 >= 0 && h0.isFinite) {
      throw .invalidSpec("'cox_risk.baseline_cumulative_hazard' of \(h0): must be a finite number ≥ 0")
    }
  }
}

/// Fits the Cox model behind a `cox_risk` feature: Cox's proportional
/// hazards on the features of `spec` at `fitCutoff` and each customer's
/// days to churn after it (by the labels' definition of churn, `horizon`
/// the inactivity that counts), followed up to `through` only (events after
/// it unseen). `CoxRiskFeatureFitter` in practice (the model sits above the
/// features).
public protocol CoxRiskFitting: Sendable {
  func fit(
    _ feature: CoxRiskFeature, spec: FeatureSpec, fitCutoff: Cutoff, through: Cutoff,
    churnDefinition: ChurnDefinition, horizon: Duration, events reader: inout EventLogReader,
    customers: CustomerTable?
  ) throws -> CoxRiskFeature
}
