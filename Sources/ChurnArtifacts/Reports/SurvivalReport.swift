import ChurnIO
import ChurnModels
import Foundation

/// The survival report: one self-contained page (no script) with the
/// Kaplan–Meier curves of the customers followed, by group with the
/// log-rank test when grouped, and the Cox model's curves for three
/// customer profiles (low, median and high risk), each with a sentence in
/// plain words.
public struct SurvivalReport: Sendable, ReportPage {
  public let model: SurvivalModel
  public let title: String
  /// Each fitted row's log partial hazard, sorted: where the profiles come from.
  private let risks: [(risk: Double, row: Int)]
  private let table: SurvivalTable

  public init(model: SurvivalModel, table: SurvivalTable, title: String = "Time to churn") {
    self.model = model
    self.title = title
    self.table = table
    let columns = model.fit.names.map { table.names.firstIndex(of: $0) }
    risks = (0..<table.rows).map { i in
      (model.fit.logPartialHazard(columns.map { $0.map { table.covariates[i, $0] } ?? 0 }), i)
    }
    .sorted { $0.risk < $1.risk }
  }

  public var chartIDs: [String] { ["kaplan-meier", "profiles"] }

  /// The profiles: the customers at the 10th, 50th and 90th percentile of
  /// the model's risk, with their covariates in the fit's order.
  var profiles: [(name: String, values: [Double])] {
    guard !risks.isEmpty else { return [] }
    let columns = model.fit.names.map { table.names.firstIndex(of: $0) }
    return [("10th percentile", 0.1), ("median", 0.5), ("90th percentile", 0.9)].map {
      name, q in
      let row = risks[min(risks.count - 1, Int(q * Double(risks.count - 1)))].row
      return (name, columns.map { $0.map { table.covariates[row, $0] } ?? 0 })
    }
  }

  /// The day the sentences read the curves at: the horizon when it is
  /// within the follow-up, else half the follow-up.
  var readingDay: Double {
    let span = model.fit.longestFollowUp
    if let h = model.training.horizonDays, Double(h) <= span { return Double(h) }
    return (span / 2).rounded(.down)
  }

  // MARK: - Sentences

  public var sentences: [String] {
    [medianSentence, profileSentence, concordanceSentence] + (logRankSentence.map { [$0] } ?? [])
  }

  var overall: SurvivalCurve? { model.curves.first?.curve }

  var medianSentence: String {
    guard let curve = overall else { return "No curve was estimated." }
    if let median = curve.medianDays {
      return
        "Half of the \(curve.customers) customers followed had churned by day \(HTML.number(median, 0)); at day \(HTML.number(readingDay, 0)), \(HTML.percent(curve.survival(at: readingDay) ?? .nan)) were still active."
    }
    return
      "More than half of the \(curve.customers) customers followed were still active at the end of the follow-up (day \(HTML.number(curve.longestFollowUp, 0))); at day \(HTML.number(readingDay, 0)), \(HTML.percent(curve.survival(at: readingDay) ?? .nan))."
  }

  var profileSentence: String {
    let p = profiles
    guard p.count == 3, let low = model.fit.survival(at: readingDay, for: p[0].values),
      let high = model.fit.survival(at: readingDay, for: p[2].values)
    else { return "The model has no profile to compare." }
    return
      "By the model, a lower-risk customer (10th percentile) is still active at day \(HTML.number(readingDay, 0)) with probability \(HTML.percent(low)), a higher-risk one (90th percentile) with \(HTML.percent(high))."
  }

  var concordanceSentence: String {
    "Of two customers the model can compare, it names the one who churned first \(HTML.percent(model.fit.concordance)) of the time (concordance; 50% is chance)."
  }

  var logRankSentence: String? {
    guard let test = model.logRank, let by = model.groupedBy else { return nil }
    let verdict =
      test.pValue < 0.05
      ? "the groups' curves differ more than chance would make them"
      : "the groups' curves differ no more than chance would"
    return
      "By \(by): \(verdict) (log-rank χ² \(HTML.number(test.statistic, 1)) on \(test.degreesOfFreedom) degrees of freedom, p \(Self.pText(test.pValue)))."
  }

  static func pText(_ p: Double) -> String {
    p == 0 ? "< 1e-300" : "= " + (p < 1e-4 ? String(format: "%.1e", p) : HTML.number(p, 4))
  }

  // MARK: - The page

  public func html() -> String {
    var page = HTML.pageStart(title: title, css: JourneyReport.css + ModelReport.css)
    page += """
      <header><h1>\(HTML.escape(title))</h1>
      <p class="lede">\(model.fit.rows) customers followed from \(HTML.escape(model.training.cutoff ?? "the start")), \(model.fit.churns) churned within the follow-up.</p>
      <ul class="summary" id="summary">\(sentences.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></header>

      """
    page += section(
      "Still active over time",
      "The share of customers still active by days of follow-up (Kaplan–Meier), the 95% interval of all customers' curve dashed"
        + (model.groupedBy.map { ", all customers in black and each \($0) group in colour" } ?? "") + ".",
      kaplanMeierChart())
    page += section(
      "Three customer profiles",
      "The Cox model's curves for customers at the 10th, 50th and 90th percentile of its risk. " + profileSentence,
      profileChart())
    return page + HTML.pageEnd(footer: "ChurnKit \(ChurnKitVersion.current)")
  }

  private var span: Double { max(1, model.fit.longestFollowUp) }

  /// Ticks every nice step up to the follow-up's end, rounded up to a step.
  private var dayAxis: (upper: Double, ticks: [Double]) {
    let step = JourneyReport.niceCeiling(span / 5)
    let upper = (span / step).rounded(.up) * step
    return (upper, stride(from: 0.0, through: upper + step * 1e-9, by: step).map { $0 })
  }

  func kaplanMeierChart() -> String {
    var plot = SVGPlot(id: "kaplan-meier", title: "Kaplan–Meier curves", x: 0...dayAxis.upper)
    plot.axes(
      x: "days since the cutoff", y: "share still active", xTicks: dayAxis.ticks, yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1],
      percent: true, xPercent: false)
    for (k, named) in model.curves.enumerated() {
      let c = named.curve
      let colour = k == 0 ? "#000000" : HTML.categorical[(k - 1) % (HTML.categorical.count - 1)]
      if k == 0 {
        plot.polyline(Self.steps(c.days, c.upper, end: c.longestFollowUp), colour: "#bbb", width: 1, dashed: true)
        plot.polyline(Self.steps(c.days, c.lower, end: c.longestFollowUp), colour: "#bbb", width: 1, dashed: true)
      }
      plot.polyline(Self.steps(c.days, c.survival, end: c.longestFollowUp), colour: colour, width: k == 0 ? 2.5 : 1.8)
    }
    if model.curves.count > 1 {
      plot.legend(
        model.curves.enumerated().prefix(7).map { k, n in
          (k == 0 ? "all" : n.group, k == 0 ? "#000000" : HTML.categorical[(k - 1) % (HTML.categorical.count - 1)])
        })
    }
    return plot.svg
  }

  func profileChart() -> String {
    var plot = SVGPlot(id: "profiles", title: "Cox curves for three profiles", x: 0...dayAxis.upper)
    plot.axes(
      x: "days since the cutoff", y: "probability still active", xTicks: dayAxis.ticks,
      yTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], percent: true, xPercent: false)
    let days = [0] + model.fit.baselineDays.filter { $0 <= model.fit.longestFollowUp }
    let colours = [HTML.categorical[2], HTML.categorical[0], HTML.churnColour]
    for (k, profile) in profiles.enumerated() {
      let s = days.map { model.fit.survival(at: $0, for: profile.values) ?? .nan }
      plot.polyline(Self.steps(days, s, end: model.fit.longestFollowUp), colour: colours[k])
    }
    plot.legend(profiles.enumerated().map { ($1.name, colours[$0]) })
    return plot.svg
  }

  /// A step function's corners from its jumps, held to `end`.
  static func steps(_ days: [Double], _ values: [Double], end: Double) -> [(Double, Double)] {
    var points: [(Double, Double)] = [(0, 1)]
    for (d, v) in zip(days, values) where v.isFinite {
      points.append((d, points.last!.1))
      points.append((d, v))
    }
    points.append((end, points.last!.1))
    return points
  }
}
