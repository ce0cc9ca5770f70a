import ChurnData

extension FeatureExtractor {
  /// Plugs in the models behind the opt-in model features of a spec: the
  /// stage chain (`stage_churn`), the buy-till-you-die models
  /// (`repeat_purchase`) and Cox's model (`cox_risk`). The features target sits below the models, so
  /// every command that extracts features calls this.
  public mutating func useFeatureModels() {
    stageChurnFitter = StageChainChurnFitter()
    repeatPurchaseFitter = RepeatPurchaseFeatureFitter()
    coxRiskFitter = CoxRiskFeatureFitter()
  }
}
