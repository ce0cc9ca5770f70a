import ChurnData
import ChurnIO

/// The `stage_churn` feature's chain: the stage model fitted on the events
/// up to the first cutoff (a point-in-time chain), churn by the labels'
/// definition (inactivity for the horizon, or the churn event), no
/// bootstrap.
public struct StageChainChurnFitter: StageChurnFitting {
  public init() {}

  public func churnWithin(
    days: Int, stages: [String], churnDefinition: ChurnDefinition, horizon: Duration, through: Cutoff,
    events reader: inout EventLogReader
  ) throws -> [Double] {
    var estimator = StageModelEstimator()
    estimator.stages = stages
    switch churnDefinition {
    case .event(let name): estimator.churnEvent = name
    case .inactivity: estimator.inactivityDays = horizon.days
    }
    estimator.bootstrapReplicates = 0
    estimator.horizons = [days]
    estimator.observedThrough = through.micros
    var ignored = IssueLog(limit: 0)  // the features' own pass reported them
    let model = try estimator.estimate(from: &reader, issues: &ignored)
    return model.absorption.churnWithin[days] ?? []
  }
}
