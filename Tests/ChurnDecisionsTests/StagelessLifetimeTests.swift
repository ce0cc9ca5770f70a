import ChurnData
import ChurnTestSupport
import Testing

@testable import ChurnDecisions

/// The lifetime of a log without stages: churns per customer-day at risk,
/// worked out by hand on three customers, for both churn definitions.
struct StagelessLifetimeTests {
  static let day: Int64 = 86_400_000_000
  /// 2024-01-01T00:00:00Z in microseconds.
  static let base: Int64 = 1_704_067_200 * 1_000_000

  /// A visits on days 0 and 10 and cancels on day 20; B visits on days 5
  /// and 30; C is offered on day 1 (an action, not activity of their own)
  /// and first visits on day 50, after the cutoff (day 40).
  static func history(_ churn: ChurnDefinition) throws -> TreatmentHistory {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let rows = [
      ("A", 0, "visit"), ("C", 1, "offer"), ("B", 5, "visit"), ("A", 10, "visit"), ("A", 20, "cancel"),
      ("B", 30, "visit"), ("C", 50, "visit"),
    ]
    let text =
      "customer_id,timestamp,event\n"
      + rows.map {
        "\($0.0),2024-\($0.1 < 31 ? "01" : "02")-\(String(format: "%02d", $0.1 < 31 ? $0.1 + 1 : $0.1 - 30))T00:00:00Z,\($0.2)\n"
      }.joined()
    var spec = FeatureSpec()
    spec.interventions = ["offer"]
    return try TreatmentHistory(
      path: try dir.write("events.csv", text), schema: EventSchema(), actions: ["offer"], churn: churn, spec: spec)
  }

  @Test func aChurnEventEndsTheDaysAtRisk() throws {
    let h = try Self.history(.event("cancel"))
    // A: 20 days and a churn; B: days 5 to 40; C: not yet seen.
    let hazard = UpliftTrainer.dailyChurnHazard(h, horizonDays: 15, through: Cutoff(micros: Self.base + 40 * Self.day))
    #expect(abs(hazard - 1.0 / 55.0) < 1e-12)
  }

  @Test func withInactivityASilenceReachingTheHorizonIsTheChurn() throws {
    let h = try Self.history(.inactivity)
    // A (0, 10, 20; the cancel is activity): silent from day 20, churned
    // on day 35; B (5, 30): silent for 25 days from day 5, churned on day 20.
    let hazard = UpliftTrainer.dailyChurnHazard(h, horizonDays: 15, through: Cutoff(micros: Self.base + 40 * Self.day))
    #expect(abs(hazard - 2.0 / 50.0) < 1e-12)
    #expect(ChurnDefinition.firstSilence([], longerThan: Self.day) == nil)
    #expect(ChurnDefinition.firstSilence([Int64.min / 2, 0], longerThan: Self.day) == Int64.min / 2 + Self.day)
  }
}
