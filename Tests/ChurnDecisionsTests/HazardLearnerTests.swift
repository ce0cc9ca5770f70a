import ChurnDecisions
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import LinearAlgebra
import Testing

/// The hazard learner's forecast: period hazards chained over the horizon,
/// with actions working for their effect days, checked against a direct
/// computation of the same product.
struct HazardLearnerTests {
  @Test func exposureIsTheShareOfThePeriodTheActionWorks() {
    let exposure = HazardLearnerFit.exposure
    // Given now, working 60 days: full periods, then part of one, then none.
    #expect(exposure(0, 14, 0, 60, 14) == 1)
    #expect(exposure(56, 70, 0, 60, 14) == 4.0 / 14)
    #expect(exposure(70, 84, 0, 60, 14) == 0)
    // Given 20 days ago: works on [−20, 40).
    #expect(exposure(28, 42, 20, 60, 14) == 12.0 / 14)
    // A short last period counts its length against the full period.
    #expect(exposure(84, 90, 0, 90, 14) == 6.0 / 14)
    // Given before the effect ran out: nothing left.
    #expect(exposure(0, 14, 61, 60, 14) == 0)
  }

  static let names = ["stage_a", "stage_b", "days_since_treatment_x", "days_since_treatment_y", "f"]

  /// A hazard model over `names` and the exposures of x and y (random data, fixed seed).
  static func hazardModel(effectDays: [Int]) throws -> UpliftModel {
    var rng = SplitMix64(seed: 5)
    var rows: [[Double]] = [], y: [Double] = []
    for _ in 0..<400 {
      let s = Double(rng.next() % 2)
      let fx = rng.nextUniform() < 0.3 ? rng.nextUniform() : 0, fy = rng.nextUniform() < 0.3 ? rng.nextUniform() : 0
      let f = rng.nextUniform()
      rows.append([s, 1 - s, 200, 200, f, fx, fy])
      y.append(rng.nextUniform() < 0.15 - 0.08 * fx + 0.05 * f ? 1 : 0)
    }
    var estimator = LogisticRegression(l2: 1)
    estimator.screensFeatures = false  // the hazard terms are read by position
    let fit = try estimator.fit(Matrix(rowMajor: rows), y, featureNames: names + ["exposure x", "exposure y"])
    let catalog = ActionCatalog(actions: [
      ActionCatalog.Action(id: "x", cost: 1, eligibleStages: ["a"]), ActionCatalog.Action(id: "y", cost: 2),
    ])
    var model = UpliftModel(
      catalog: catalog, horizonDays: 90, windowDays: 14, assignment: .random,
      learner: .hazard(
        HazardLearnerFit(model: fit, periodDays: 14, effectDays: effectDays, effectModifiers: [[], []])),
      effects: catalog.actions.map { a in
        UpliftModel.ActionEffects(
          action: a.id, treatedRows: 50, overall: 0.02, overallStandardError: 0.01,
          stages: ["a", "b"].map {
            UpliftModel.StageEffect(stage: $0, treatedRows: 10, controlRows: 10, prior: 0.02, customerWeight: 0)
          },
          heterogeneityVariance: 0)
      },
      value: CustomerValue(
        source: .feature, feature: "f", expectedDays: [], expectedDaysWithoutStage: 0, horizonDays: 1095),
      propensity: [], evaluation: UpliftModel.UpliftEvaluation(holdout: "", actions: [], policies: []),
      stages: ["a", "b"])
    try model.bind(features: names)
    return model
  }

  @Test func forecastChainsPeriodHazardsWithActionsWorkingForTheirDays() throws {
    let model = try Self.hazardModel(effectDays: [60, 30])
    let columns = try model.columns(for: Self.names)
    guard case .hazard(let hazard) = model.learner else { Issue.record("not the hazard learner"); return }
    let beta = hazard.model.terms.map(\.coefficient)
    // y was given 10 days ago and works for 20 more days; x never.
    let x: [Double] = [1, 0, 3650, 10, 0.4]
    let base = beta[0] + zip(beta[1...5], x).reduce(0) { $0 + $1.0 * $1.1 }
    let (dx, dy) = (beta[6], beta[7])
    func churn(giveX: Bool, giveY: Bool) -> Double {
      var survival = 1.0
      for k in 0..<7 {
        let lo = Double(14 * k), hi = min(lo + 14, 90)
        func overlap(_ a: Double, _ b: Double) -> Double { max(0, min(hi, b) - max(lo, a)) / 14 }
        let fx = giveX ? overlap(0, 60) : 0
        let fy = overlap(-10, 20) + (giveY ? overlap(0, 30) : 0)
        let h = 1 / (1 + exp(-(base + fx * dx + fy * dy)))
        survival *= pow(1 - h, (hi - lo) / 14)
      }
      return 1 - survival
    }
    let d = model.decide(features: x, columns: columns)
    #expect(abs(d.options[0].churnWithout - churn(giveX: false, giveY: false)) < 1e-12)
    #expect(abs(d.options[0].churnWith - churn(giveX: true, giveY: false)) < 1e-12)
    #expect(abs(d.options[1].churnWith - churn(giveX: false, giveY: true)) < 1e-12)
    #expect(abs(d.options[0].uplift - (churn(giveX: false, giveY: false) - churn(giveX: true, giveY: false))) < 1e-12)
    // The fitted exposure effect of x is protective, so giving x prevents churn.
    #expect(dx < 0 && d.options[0].uplift > 0)
    // Stage b does not admit x.
    #expect(model.decide(features: [0, 1, 3650, 3650, 0.4], columns: columns).options[0].ineligibleBecause != nil)
  }

  @Test func aLongerEffectPreventsMoreChurn() throws {
    let columns = try Self.hazardModel(effectDays: [30, 30]).columns(for: Self.names)
    let x: [Double] = [1, 0, 3650, 3650, 0.4]
    let short = try Self.hazardModel(effectDays: [30, 30]).decide(features: x, columns: columns).options[0].uplift
    let long = try Self.hazardModel(effectDays: [90, 30]).decide(features: x, columns: columns).options[0].uplift
    #expect(short > 0 && long > short)
  }
}
