import ChurnData
import ChurnModels
import ChurnSimulation
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

/// The simulation oracle replays generated customers exactly.
struct SimulationOracleTests {
  @Test func replaysHistoryAndUsesCommonFutures() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try LifecycleGenerator(customers: 60, seed: 9, days: 240).write(to: dir.path)
    var oracle = try SimulationOracle(truthFile: dir.path + "/truth.json")
    oracle.replications = 50
    let events = try String(contentsOfFile: dir.path + "/events.csv", encoding: .utf8).split(separator: "\n")
      .dropFirst()
    let customers = try String(contentsOfFile: dir.path + "/customers.csv", encoding: .utf8).split(separator: "\n")
      .dropFirst()
    // A customer who cancelled: churned by the end of that day, not the day before.
    let cancel = try #require(events.first { $0.contains(",cancel,") }).split(separator: ",")
    let id = String(cancel[0])
    let day = try Cutoff(parsing: String(cancel[1].prefix(10)))
    let dayBefore = Cutoff(micros: day.micros - 86_400_000_000)
    #expect(oracle.churnProbabilities(customer: id, asOf: day, actions: [nil], days: 30) == nil)
    #expect(oracle.churnProbabilities(customer: id, asOf: dayBefore, actions: [nil], days: 30) != nil)
    // A premium customer alive at the end: the discount has no effect on
    // premium churn, so with common futures the probabilities are equal.
    let premium = customers.map { $0.split(separator: ",") }.filter { $0[2] == "premium" }.map { String($0[0]) }
    let end = try Cutoff(parsing: "2024-08-27")
    var checked = 0
    for id in premium {
      guard
        let p = oracle.churnProbabilities(
          customer: id, asOf: end, actions: [nil, "discount_offer", "loyalty_call"], days: 90)
      else { continue }
      #expect(p[0] == p[1])
      #expect(p[2] <= p[0])
      checked += 1
    }
    #expect(checked > 0)
  }
}
