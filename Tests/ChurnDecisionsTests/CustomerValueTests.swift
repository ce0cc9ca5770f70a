import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// The next-best-action value term: discounted expected days alive and
/// their standard error over the stage chain's bootstrap.
struct CustomerValueTests {
  /// One stage that churns with probability q a day: the expected
  /// discounted days alive over H days are Σ_{t=1}^{H} a^t = a(1 − a^H)/(1 − a),
  /// a = (1 − q) v, v the daily factor of the monthly rate.
  @Test func discountedDaysAliveAreAGeometricSum() {
    let q = 0.004
    for monthly in [0.0, 0.01, 0.05] {
      let v = CustomerValue.dailyDiscountFactor(monthlyRate: monthly)
      #expect(abs(pow(v, 30) * (1 + monthly) - 1) < 1e-14)
      let days = CustomerValue.expectedDaysAlive(p: [[1 - q, q], [0, 1]], horizon: 1095, dailyDiscount: v)
      let a = (1 - q) * v
      #expect(abs(days[0] / (a * (1 - pow(a, 1095)) / (1 - a)) - 1) < 1e-12)
      #expect(days[1] == 0)
    }
  }

  /// The value's standard error comes from the chain's customer bootstrap:
  /// on customers seen every day until they cancel (daily churn q), it
  /// agrees with the delta method on the binomial q̂ = churns / days at risk,
  /// SE(E) = |dE/dq| √(q̂(1 − q̂)/D).
  @Test func bootstrapStandardErrorAgreesWithTheDeltaMethod() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var log = "customer_id,timestamp,event,stage\n"
    var rng = SplitMix64(seed: 7)
    let start = try Cutoff(parsing: "2024-01-01").micros
    for c in 0..<300 {
      var day = 0
      while true {
        let time = Cutoff(micros: start + Int64(day) * 86_400_000_000).description
        if Double(rng.next() >> 11) / Double(1 << 53) < 0.01 {
          log += "C\(c),\(time),cancel,retention\n"
          break
        }
        log += "C\(c),\(time),visit,retention\n"
        day += 1
        if day == 400 { break }
      }
    }
    var reader = try EventLogReader(path: try dir.write("e.csv", log), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["retention", "churned"]
    estimator.bootstrapReplicates = 200
    estimator.keepsReplicates = true
    let model = try estimator.estimate(from: &reader, issues: &issues)
    let replicates = try #require(model.transitionReplicates)
    #expect(replicates.count == 200)
    let v = CustomerValue.dailyDiscountFactor(monthlyRate: 0.01)
    let days = { (q: Double) in
      CustomerValue.expectedDaysAlive(p: [[1 - q, q], [0, 1]], horizon: 1095, dailyDiscount: v)[0]
    }
    let bootstrap = SampleMoments.standardDeviation(
      replicates.map { CustomerValue.expectedDaysAlive(p: $0, horizon: 1095, dailyDiscount: v)[0] })
    let q = model.transitionMatrix[0][1]
    let slope = (days(q * 1.001) - days(q * 0.999)) / (0.002 * q)
    let delta = abs(slope) * (q * (1 - q) / model.daysInStage[0]).squareRoot()
    #expect(abs(bootstrap / delta - 1) < 0.25, "bootstrap \(bootstrap), delta method \(delta)")
  }
}
