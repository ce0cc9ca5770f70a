import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import ChurnTestSupport
import Foundation
import Testing

struct JourneyReportTests {
  /// Four customers with channels and sentiment; one channel name is markup.
  static let log = """
    customer_id,timestamp,event,stage,channel,sentiment
    A,2024-01-01T00:00:00Z,visit,awareness,web,0.5
    A,2024-01-03T00:00:00Z,visit,awareness,<script>alert(1)</script>,-0.5
    A,2024-01-07T00:00:00Z,compare,consideration,web,
    A,2024-01-11T00:00:00Z,cancel,consideration,email,-1
    B,2024-01-01T00:00:00Z,visit,awareness,web,1.0
    B,2024-01-21T00:00:00Z,visit,awareness,web,
    C,2024-01-01T00:00:00Z,visit,awareness,app,
    C,2024-01-03T00:00:00Z,compare,consideration,app,
    D,2024-01-01T00:00:00Z,visit,awareness,app,
    D,2024-01-09T00:00:00Z,visit,awareness,app,
    D,2024-01-11T00:00:00Z,compare,consideration,app,

    """

  static func model() throws -> StageTransitionModel {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(path: dir.write("e.csv", log), schema: EventSchema())
    var issues = IssueLog()
    var estimator = StageModelEstimator(churnEvent: "cancel")
    estimator.stages = ["awareness", "consideration", "churned"]
    return try estimator.estimate(from: &reader, issues: &issues)
  }

  @Test func stageProfilesCountReachDwellChannelsAndSentiment() throws {
    let profiles = try Self.model().profiles
    #expect(profiles.map(\.stage) == ["awareness", "consideration", "churned"])
    let awareness = profiles[0]
    #expect(awareness.customersReached == 4)
    #expect(awareness.spells == 4)
    // Days: A 4 (moves on 5 January), B 20 and the whole last day (censored
    // at the end of the data, the log having dates only), C 1, D 9.
    #expect(abs(awareness.meanDwellDays - (35.0 - 1 / 86_400e6) / 4) < 1e-12)
    // Finished stays 1, 4, 9; numpy.quantile(..., method="linear").
    #expect(maxRelativeDifference(awareness.dwellQuantiles, [1.6, 2.5, 4, 6.5, 8]) < 1e-12)
    #expect(awareness.events == 7)
    #expect(awareness.channels.map(\.channel) == ["app", "web", "<script>alert(1)</script>"])
    #expect(awareness.channels.map(\.events) == [3, 3, 1])
    #expect(abs(awareness.meanSentiment! - 1.0 / 3) < 1e-15)
    #expect(awareness.sentimentEvents == 3)
    let consideration = profiles[1]
    #expect(consideration.customersReached == 3)
    #expect(consideration.spells == 3)
    #expect(consideration.dwellQuantiles == [6, 6, 6, 6, 6])
    #expect(consideration.meanSentiment == nil)
    let churned = profiles[2]
    #expect(churned.customersReached == 1)
    #expect(churned.channels.map(\.channel) == ["email"] && churned.channels.map(\.events) == [1])
    #expect(churned.meanSentiment == -1)
  }

  /// A churned from consideration after `compare` via web: that touchpoint
  /// carries the stage's one churn; removing consideration's churn flow
  /// removes all churn (but for the EM's 1e-6 prior on awareness → churned).
  @Test func painPointsCountLastTouchAndRemovalEffect() throws {
    let pain = try Self.model().painPoints
    let consideration = pain.touchpoints.filter { $0.stage == "consideration" }
    #expect(consideration.map(\.lastTouchChurns).reduce(0, +) == 1)
    #expect(consideration.first { $0.event == "compare" && $0.channel == "web" }?.lastTouchChurns == 1)
    #expect(consideration.first { $0.event == "compare" && $0.channel == "app" }?.events == 2)
    #expect(pain.stages.map(\.churned) == [0, 1])
    #expect(pain.startDistribution == [1, 0])
    #expect(pain.stages[1].removalEffect > 0.9999)
    #expect(pain.stages[0].removalEffect < 1e-6)
    #expect(pain.stages[1].medianDwellBeforeChurnDays == 6)
  }

  @Test func segmentsGetTheirChartAndTableWithEscapedNames() throws {
    let model = try Self.model()
    let comparison = StageSegmentComparison(
      column: "plan <b>", pooled: model, segments: [("<script>alert(1)</script>", model), ("basic & co", model)])
    let report = JourneyReport(model: model, segments: comparison)
    let html = report.html()
    #expect(report.chartIDs.contains("segments"))
    for id in report.chartIDs { #expect(html.contains("<svg id=\"\(id)\""), "chart \(id) missing") }
    #expect(html.contains("Segments compared by plan &lt;b&gt;"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;") && html.contains("basic &amp; co"))
    #expect(!html.lowercased().contains("<script"))
    // Identical segments: the test sees no difference.
    #expect(comparison.homogeneity.map { $0.statistic == 0 && $0.pValue == 1 } ?? true)
  }

  @Test func reportDrawsEveryChartAndEscapesDataStrings() throws {
    let report = JourneyReport(model: try Self.model(), title: "Shop & <Co>")
    let html = report.html()
    #expect(!report.chartIDs.contains("segments"))
    for id in report.chartIDs { #expect(html.contains("<svg id=\"\(id)\""), "chart \(id) missing") }
    #expect(html.contains("<title>Shop &amp; &lt;Co&gt;</title>"))
    #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"))
    #expect(!html.lowercased().contains("<script"))
    // Self-contained: no URL but the SVG namespace.
    #expect(!html.replacingOccurrences(of: "xmlns=\"http://www.w3.org/2000/svg\"", with: "").contains("://"))
    // One node per transient stage, one heatmap cell per stage pair.
    #expect(html.components(separatedBy: "<circle class=\"node\"").count - 1 == 2)
    #expect(html.components(separatedBy: "<rect class=\"cell\"").count - 1 == 9)
    // Moves drawn: awareness → consideration (3), consideration → churned (1).
    #expect(html.contains("awareness → consideration: 3 moves"))
    #expect(html.contains("consideration → churned: 1 customers"))
    // Byte-identical on a second run.
    #expect(JourneyReport(model: try Self.model(), title: "Shop & <Co>").html() == html)
  }
}
