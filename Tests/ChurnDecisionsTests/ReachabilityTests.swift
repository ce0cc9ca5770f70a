import ChurnDecisions
import Testing

/// The reachability's tally and where a sparse cell borrows its chance.
struct ReachabilityTests {
  /// Stage 0 (prospects): 30 rows in each of bins 0 and 3, half and none
  /// active; stage 1 (paying): 40 rows in bin 0, all active, and 5 in bin 4;
  /// 10 unstaged rows in bin 5, all active.
  static func table() -> Reachability {
    var observations: [(stage: Int?, silenceDays: Double, active: Bool)] = []
    for i in 0..<30 { observations.append((0, 3, i % 2 == 0)) }
    for _ in 0..<30 { observations.append((0, 45, false)) }
    for _ in 0..<40 { observations.append((1, 0, true)) }
    for _ in 0..<5 { observations.append((1, 70, false)) }
    for _ in 0..<10 { observations.append((nil, 100, true)) }
    return Reachability(
      stages: 3, horizonDays: 90, silenceFeatures: ["days_since_last_visit"], observations: observations)
  }

  @Test func binsAreHalfOpenAtTheirUpperEnds() {
    #expect(Reachability.bin(silenceDays: 0) == 0)
    #expect(Reachability.bin(silenceDays: 6.99) == 0)
    #expect(Reachability.bin(silenceDays: 7) == 1)
    #expect(Reachability.bin(silenceDays: 364.9) == 6)
    #expect(Reachability.bin(silenceDays: 365) == 7)
    #expect(Reachability.bin(silenceDays: 3650) == 7)
    #expect(Reachability.binLabel(0) == "0–7" && Reachability.binLabel(7) == "365+")
  }

  @Test func aCellWithEnoughRowsGivesItsOwnShare() {
    let r = Self.table()
    #expect(r.rows[0] == [30, 0, 0, 30, 0, 0, 0, 0])
    #expect(r.probability(silenceDays: 3, stage: 0) == 0.5)
    #expect(r.probability(silenceDays: 50, stage: 0) == 0)
  }

  @Test func aSparseCellTakesTheStagesNearestShorterSilence() {
    let r = Self.table()
    // Prospects silent 10 or 20 days: bin 0's half, not bin 3's none.
    #expect(r.probability(silenceDays: 10, stage: 0) == 0.5)
    // Prospects silent 200 days: bin 3's none.
    #expect(r.probability(silenceDays: 200, stage: 0) == 0)
    // Paying customers silent 70 days (5 rows, none active): bin 0's all,
    // not the prospects' none.
    #expect(r.probability(silenceDays: 70, stage: 1) == 1)
    // A stage never seen: no evidence of leaving.
    #expect(r.probability(silenceDays: 70, stage: 2) == 1)
  }

  @Test func aCustomerWithoutStageTakesTheBinOverEveryRow() {
    let r = Self.table()
    #expect(r.pooledRows == [70, 0, 0, 30, 5, 10, 0, 0])
    #expect(r.probability(silenceDays: 1, stage: nil) == 55.0 / 70.0)
    #expect(r.probability(silenceDays: 45, stage: nil) == 0)
    // Bin 4 has 5 pooled rows: too few, so 1.
    #expect(r.probability(silenceDays: 70, stage: nil) == 1)
  }

  @Test func silenceIsTheShortestOwnEventGapAndActionsAreNotOwn() {
    let names = [
      "days_since_last_event", "days_since_last_visit", "days_since_last_offer", "days_since_last_login",
      "days_since_treatment_offer",
    ]
    let features = Reachability.silenceFeatures(in: names, actions: ["offer"])
    #expect(features == ["days_since_last_visit", "days_since_last_login"])
    #expect(Reachability.silenceDays([1, 40, 2, 30, 5], columns: [1, 3]) == 30)
    #expect(Reachability.silenceFeatures(in: ["days_since_last_event"], actions: []) == ["days_since_last_event"])
    #expect(Reachability.silenceFeatures(in: ["days_since_last_event"], actions: ["offer"]) == nil)
  }
}
