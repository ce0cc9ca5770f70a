import ChurnData
import ChurnModels

/// The churn model an uplift model is learned beside: its feature spec and
/// feature list (the uplift rows are built the same way), the labels'
/// definition and horizon, the first training cutoff (the stage chain is
/// fitted up to it) and its predictor (the holdout's baseline risk).
public struct ChurnBaseline: Sendable {
  public let spec: FeatureSpec
  public let features: [String]
  public let churnDefinition: ChurnDefinition
  public let horizonDays: Int
  public let firstCutoff: Cutoff?
  public let predictor: LinearPredictor

  public init(
    spec: FeatureSpec, features: [String], churnDefinition: ChurnDefinition, horizonDays: Int, firstCutoff: Cutoff?,
    predictor: LinearPredictor
  ) {
    self.spec = spec
    self.features = features
    self.churnDefinition = churnDefinition
    self.horizonDays = horizonDays
    self.firstCutoff = firstCutoff
    self.predictor = predictor
  }
}
