import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

/// Stages from event types, for logs without a stage column.
struct StageMappingTests {
  func fit(_ csv: String, mapping: StageMapping, stages: [String]) throws -> StageTransitionModel {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(path: dir.write("e.csv", csv), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = stages
    estimator.stageMapping = mapping
    estimator.bootstrapReplicates = 0
    return try estimator.estimate(from: &reader, issues: &issues)
  }

  /// Milestones: a login after a referral leaves the customer in advocacy; a
  /// repeat purchase means retention; an unmapped event (survey) is seen in
  /// the current stage; an event before any stage is known is dropped.
  @Test func milestonesNeverGoBackAndRepeatsMoveOn() throws {
    let model = try fit(
      """
      customer_id,timestamp,event
      A,2024-01-01T00:00:00Z,survey
      A,2024-01-02T00:00:00Z,visit
      A,2024-01-04T00:00:00Z,purchase
      A,2024-01-08T00:00:00Z,purchase
      A,2024-01-10T00:00:00Z,referral
      A,2024-01-12T00:00:00Z,login
      A,2024-01-14T00:00:00Z,survey
      B,2024-01-01T00:00:00Z,visit
      B,2024-01-03T00:00:00Z,visit
      B,2024-01-05T00:00:00Z,cancel

      """, mapping: .default, stages: StageModelEstimator().stages)
    // A: awareness 2 → 3 Jan (halfway to the purchase on the 4th), purchase
    // 3 → 6, retention 6 → 9, advocacy from the 9th to the end of the data
    // (the end of the 14th: the log has dates only). B: awareness 1 → 5
    // Jan, churned.
    #expect(model.moves[0] == [0, 0, 1, 0, 0, 0, 1])
    #expect(model.moves[2] == [0, 0, 0, 0, 1, 0, 0])
    #expect(model.moves[4] == [0, 0, 0, 0, 0, 1, 0])
    let lastDay = 1 - 1 / 86_400e6
    #expect(model.daysInStage == [1 + 4, 0, 3, 0, 3, 5 + lastDay, 0])
    // Events seen per stage: the survey before any stage is dropped, the
    // last one counts for advocacy with the login.
    #expect(model.profiles.map(\.events) == [3, 0, 1, 0, 1, 3, 1])
  }

  /// Latest: the stage is that of the latest mapped event, so it may go back.
  @Test func latestFollowsTheLastMappedEvent() throws {
    let mapping = StageMapping(stages: ["visit": "a", "buy": "b"], progression: .latest)
    let model = try fit(
      """
      customer_id,timestamp,event
      A,2024-01-01T00:00:00Z,visit
      A,2024-01-03T00:00:00Z,buy
      A,2024-01-05T00:00:00Z,visit

      """, mapping: mapping, stages: ["a", "b", "churned"])
    #expect(model.moves == [[0, 1, 0], [1, 0, 0], [0, 0, 0]])
  }

  @Test func aMappingToAnUnknownStageIsRefusedByName() throws {
    let mapping = StageMapping(stages: ["visit": "awarenes"])
    #expect {
      _ = try fit(
        "customer_id,timestamp,event\nA,2024-01-01,visit\n", mapping: mapping, stages: ["awareness", "churned"])
    } throws: { "\($0)".contains("'visit' maps to 'awarenes'") }
  }

  @Test func mappingFilesAreStrict() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let good = try dir.write(
      "m.json", #"{"stages": {"visit": "awareness"}, "repeat": {"visit": "consideration"}, "progression": "latest"}"#)
    #expect(
      try StageMapping.load(path: good)
        == StageMapping(stages: ["visit": "awareness"], repeatStages: ["visit": "consideration"], progression: .latest))
    let typo = try dir.write("t.json", #"{"stages": {}, "progresion": "latest"}"#)
    #expect { _ = try StageMapping.load(path: typo) } throws: { "\($0)".contains("unknown key 'progresion'") }
    let missing = try dir.write("n.json", #"{"repeat": {}}"#)
    #expect { _ = try StageMapping.load(path: missing) } throws: { "\($0)".contains("the key 'stages' is missing") }
    #expect(try StageMapping.load(path: "default") == .default)
  }
}

/// Action-conditioned stage moves: time after an action is split from the
/// rest, and each move is filed where it happened.
struct ActionStageEffectTests {
  @Test func splitsDaysAndMovesAroundTheAction() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    // A: in stage a from 1 Jan, offer on 11 Jan, cancels 21 Jan (inside the 20-day window).
    // B: in stage a from 1 Jan, no offer, cancels 31 Jan.
    // C: in stage a from 1 Jan, offer on 2 Jan, moves to b on 30 Jan (seen 29 Jan in a, 31 Jan in b).
    let path = try dir.write(
      "e.csv",
      """
      customer_id,timestamp,event,stage
      A,2024-01-01T00:00:00Z,visit,a
      A,2024-01-11T00:00:00Z,offer,a
      A,2024-01-21T00:00:00Z,cancel,a
      B,2024-01-01T00:00:00Z,visit,a
      B,2024-01-31T00:00:00Z,cancel,a
      C,2024-01-01T00:00:00Z,visit,a
      C,2024-01-02T00:00:00Z,offer,a
      C,2024-01-29T00:00:00Z,visit,a
      C,2024-01-31T00:00:00Z,visit,b

      """)
    var reader = try EventLogReader(path: path, schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["a", "b", "churned"]
    estimator.bootstrapReplicates = 0
    estimator.actionEvents = ["offer"]
    estimator.actionWindowDays = 20
    let model = try estimator.estimate(from: &reader, issues: &issues)
    let a = try #require(model.actionEffects?.first { $0.stage == "a" })
    // Exposed: A 11→21 (10 days), C 2→22 (20 days); baseline: A 1→11 (10),
    // B 1→31 (30), C 1→2 and 22→30 (1 + 8).
    #expect(abs(a.exposedDays - 30) < 1e-12)
    #expect(abs(a.baselineDays - 49) < 1e-12)
    #expect(a.exposedChurns == 1 && a.baselineChurns == 1)
    #expect(a.exposedAdvances == 0 && a.baselineAdvances == 1)
    #expect(abs(a.churnRateRatio! - (1.0 / 30) / (1.0 / 49)) < 1e-12)
  }
}
