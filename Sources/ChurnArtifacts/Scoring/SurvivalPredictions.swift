import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// What a saved survival model says of each customer at a cutoff: the
/// partial hazard, the probability of churning within each of a few
/// horizons, and the expected active days within the span the model saw.
public struct SurvivalPredictions: Sendable {
  public let customerIDs: [String]
  /// exp((x − x̄)·β): the hazard relative to a customer with the mean features.
  public let partialHazard: [Double]
  /// The horizons, in days, and per horizon each customer's probability of
  /// churning within it.
  public let withinDays: [Int]
  public let churnWithin: [[Double]]
  /// The whole days the model saw customers followed: survival is known up to here.
  public let spanDays: Double
  /// The expected days active within `spanDays` (the restricted mean: the
  /// area under the customer's survival curve up to the span).
  public let expectedActiveDays: [Double]

  /// Predicts for every row of `set` (built with the model's spec at one
  /// cutoff). A horizon past the span gives NaN: the model cannot say.
  ///
  /// - Throws: `ModelUseError.featuresDiffer` when the set lacks a feature
  ///   the fit uses.
  public init(model: SurvivalModel, set: FeatureSet, withinDays: [Int]) throws {
    let fit = model.fit
    var positions: [Int] = []
    for name in fit.names {
      guard let j = set.featureNames.firstIndex(of: name) else {
        throw ModelUseError.featuresDiffer(missing: [name])
      }
      positions.append(j)
    }
    // Whole days, so that the column's name says the span exactly.
    let spanDays = fit.longestFollowUp.rounded(.down)
    var ids: [String] = [], hazards: [Double] = [], means: [Double] = []
    var within = [[Double]](repeating: [], count: withinDays.count)
    for row in set.rows {
      let all = set.values(of: row)
      let values = positions.map { all[$0] }
      ids.append(row.customerID)
      hazards.append(exp(fit.logPartialHazard(values)))
      for (k, days) in withinDays.enumerated() {
        within[k].append(1 - (fit.survival(at: Double(days), for: values) ?? .nan))
      }
      means.append(fit.restrictedMeanDays(for: values, upTo: spanDays))
    }
    customerIDs = ids
    partialHazard = hazards
    self.withinDays = withinDays
    churnWithin = within
    self.spanDays = spanDays
    expectedActiveDays = means
  }

  /// The figures as columns for `score`: `churn_within_{h}d…` and
  /// `expected_active_days_{span}d`, by customer id.
  public var scoreColumns: ExtraScoreColumns {
    let names =
      withinDays.map { "churn_within_\($0)d" } + ["expected_active_days_\(CSVFormatting.number(spanDays))d"]
    var byCustomer: [String: [Double]] = [:]
    for (i, id) in customerIDs.enumerated() {
      byCustomer[id] = withinDays.indices.map { churnWithin[$0][i] } + [expectedActiveDays[i]]
    }
    return ExtraScoreColumns(names: names, byCustomer: byCustomer)
  }

  /// The CSV: `customer_id, partial_hazard, churn_within_{h}d…, expected_active_days_{span}d`.
  public func csvText() -> String {
    let span = CSVFormatting.number(spanDays)
    var out = "customer_id,partial_hazard"
    for days in withinDays { out += ",churn_within_\(days)d" }
    out += ",expected_active_days_\(span)d\n"
    for i in customerIDs.indices {
      out += CSVFormatting.escape(customerIDs[i], neutralisingFormula: true)
      out += "," + CSVFormatting.number(partialHazard[i])
      for k in withinDays.indices { out += "," + CSVFormatting.number(churnWithin[k][i]) }
      out += "," + CSVFormatting.number(expectedActiveDays[i]) + "\n"
    }
    return out
  }
}
