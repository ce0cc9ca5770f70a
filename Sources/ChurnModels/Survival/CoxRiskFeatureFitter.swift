import ChurnData
import ChurnIO

/// Fits the Cox model behind a `cox_risk` feature, point-in-time: the
/// features at the fit cutoff (h days before the earliest cutoff), each
/// customer's days to churn after it with the follow-up ending at the
/// earliest cutoff (later events unseen), Cox's proportional hazards with
/// Efron ties; keeps the coefficients, the means and the baseline
/// cumulative hazard at h days.
public struct CoxRiskFeatureFitter: CoxRiskFitting {
  public var estimator = CoxProportionalHazards()

  public init() {}

  public func fit(
    _ feature: CoxRiskFeature, spec: FeatureSpec, fitCutoff: Cutoff, through: Cutoff,
    churnDefinition: ChurnDefinition, horizon: Duration, events reader: inout EventLogReader,
    customers: CustomerTable?
  ) throws -> CoxRiskFeature {
    let h = feature.horizonDays ?? horizon.days
    var extractor = FeatureExtractor(
      spec: spec, cutoffs: [fitCutoff], horizon: horizon, churnDefinition: churnDefinition)
    extractor.requiresKnownNames = false
    var ignored = IssueLog(limit: 0)  // the features' own pass reported the rows
    let path = reader.path
    let set: FeatureSet
    do {
      set = try extractor.extract(from: &reader, customers: customers, issues: &ignored)
    } catch FeatureError.cutoffOutsideData(_, let first, _) {
      throw FeatureError.invalidSpec(
        "'cox_risk' is fitted on the features \(h) days before the earliest cutoff (\(fitCutoff)), before the first event (\(first)): use a later first cutoff or a shorter 'cox_risk.horizon_days'"
      )
    }
    let times = try ChurnTimes(
      path: path, schema: reader.schema, cutoff: fitCutoff, horizon: horizon, definition: churnDefinition,
      countsAsActivity: set.spec.countsAsActivity, observedUntil: nil, censoredAt: through, issues: &ignored)
    let followed = set.rows.indices.filter { times.followUp(of: set.rows[$0].customerID) != nil }
    let followUps = followed.map { times.followUp(of: set.rows[$0].customerID)! }
    guard followUps.contains(where: \.churned) else {
      throw FeatureError.invalidSpec(
        "'cox_risk': none of the \(followed.count) customers active at \(fitCutoff) churned by \(through), so Cox's model has nothing to learn from: use a later first cutoff or a longer 'cox_risk.horizon_days'"
      )
    }
    let table = SurvivalTable(
      names: set.featureNames, durations: followUps.map(\.days), churned: followUps.map(\.churned),
      covariates: set.matrix(rows: followed).x)
    let cox = try estimator.fit(table)
    var fitted = feature
    fitted.horizonDays = h
    fitted.covariates = cox.names
    fitted.coefficients = cox.coefficients
    fitted.means = cox.means
    fitted.baselineCumulativeHazard = cox.baselineCumulativeHazard(at: Double(h))
    fitted.fittedAt = fitCutoff.description
    fitted.fittedThrough = through.description
    return fitted
  }
}
