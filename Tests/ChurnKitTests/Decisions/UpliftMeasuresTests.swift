import ChurnKit
import ChurnTestSupport
import Foundation
import Testing

struct UpliftMeasuresTests {
  /// Qini and uplift curves of five customers, worked out by hand (ties
  /// share one point).
  @Test func curvesByHand() {
    let curve = UpliftCurve(
      outcomes: [1, 0, 0, 1, 1], scores: [0.9, 0.8, 0.8, 0.5, 0.1], treated: [true, false, true, false, true])
    #expect(curve.targeted == [0, 1, 3, 4, 5])
    #expect(curve.qini == [0, 1, 1, 0, 0.5])
    #expect(maxRelativeDifference(curve.uplift, [0, 1, 1.5, 0, 5.0 / 6]) < 1e-15)
  }

  /// With one stage, no moves and no covariates the truth has closed forms:
  /// P(churn within 90 days) = 1 − (1 − h)^90, and with an action of effect
  /// δ for 30 days, 1 − (1 − h′)^30 (1 − h)^60 with logit h′ = logit h + δ.
  @Test func truthOracleMatchesClosedForms() {
    var truth = LifecycleTruth.standard
    let h = 0.01
    truth.stages = ["s", "churned"]
    truth.stageMoves = [:]
    truth.churnHazard.stageIntercept = ["s": log(h / (1 - h))]
    truth.churnHazard.planEffect = ["p": 0]
    truth.actions = [truth.actions[0]]
    truth.actions[0].effectOnChurnLogOdds = ["p": -0.5]
    truth.actions[0].effectDays = 30
    let oracle = TruthOracle(truth: truth)
    let customer = TruthOracle.CustomerState(stage: "s", plan: "p", supportTickets30d: 0, meanSentiment30d: 0)
    let without = 1 - pow(1 - h, 90)
    let treated = 1 - logistic(log(h / (1 - h)) - 0.5)
    let with = 1 - pow(treated, 30) * pow(1 - h, 60)
    #expect(abs(oracle.churnProbability(customer, days: 90) - without) < 1e-14)
    #expect(abs(oracle.churnProbability(customer, action: truth.actions[0].id, days: 90) - with) < 1e-14)
    #expect(abs(oracle.uplift(of: truth.actions[0].id, customer: customer, days: 90) - (without - with)) < 1e-14)
    // An action still working from before counts for its remaining days.
    var earlier = customer
    earlier.activeActions = [(truth.actions[0].id, 10)]
    #expect(abs(oracle.churnProbability(earlier, days: 90) - (1 - pow(treated, 10) * pow(1 - h, 80))) < 1e-14)
  }
}
