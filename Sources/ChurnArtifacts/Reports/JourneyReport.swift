import ChurnData
import ChurnIO
import ChurnModels

/// The journey map: one self-contained HTML page (inline SVG and CSS, no
/// script, no network) drawn from a `StageTransitionModel`.
///
/// ```swift
/// let html = JourneyReport(model: model, title: "Sample shop").html()
/// ```
///
/// Sections: the stage flow (node area by customers reached, band width by
/// observed moves, churn flows in vermillion), the funnel, the transition
/// heatmap, the churn outlook from the absorbing chain, dwell time per
/// stage, and channel mix and sentiment per stage. Every chart is an `<svg>`
/// with a `<title>` and labelled axes; colours come from the Okabe–Ito
/// palette and a sequential blue scale.
public struct JourneyReport: Sendable, ReportPage {
  public let model: StageTransitionModel
  public let title: String
  /// One chain per segment, shown side by side after the churn outlook.
  public let segments: StageSegmentComparison?
  /// Said in a banner at the top when the stages were not in the log (how
  /// they were inferred), so nobody reads them as recorded facts.
  public var stageNote: String?
  /// The catalog's action ids per stage they may be given in (an action
  /// without stages listed under every stage), to name under each pain
  /// point; nil: no catalog given.
  public var actionsByStage: [String: [String]]?
  /// The transition graph between touchpoints within sessions
  /// (`journey --touchpoints`), drawn after the touchpoints by stage.
  public var touchpoints: TouchpointGraph?
  /// What changed in the touchpoint transitions: in the pain points, and
  /// told and drawn after the graph.
  public var touchpointChanges: ShareChanges?
  /// Funnels over touchpoints (`journey --touchpoints --funnel`), drawn
  /// after the graph as on the touchpoint page.
  public var funnels: [Funnel] = []
  /// Put before every element id, so that one segment's view can sit in
  /// the same page as the whole's.
  var idPrefix = ""

  public init(model: StageTransitionModel, title: String = "Customer journey", segments: StageSegmentComparison? = nil)
  {
    self.model = model
    self.title = title
    self.segments = segments
  }

  /// Stable ids of the charts, in page order; tests check each is drawn.
  public var chartIDs: [String] {
    ["flow", "funnel", "heatmap"] + (touchpoints == nil ? [] : ["touchpoint-graph"])
      + funnels.indices.map { "funnel-\($0 + 1)" }
      + (touchpointChanges.map { c in c.changes.prefix(6).indices.map { "change-\($0 + 1)" } } ?? [])
      + (segments == nil ? [] : ["segments"]) + [
        "retention", "dwell", "channels", "sentiment",
      ]
  }

  public func html() -> String {
    var page = HTML.pageStart(title: title, css: Self.css + Self.summaryCSS)
    page += """
      <header><h1>\(HTML.escape(title))</h1>
      <p class="lede">\(summary())</p>\(stageNote.map { "<p class=\"banner\" id=\"stage-note\">\(HTML.escape($0))</p>" } ?? "")
      \(summaryBox())</header>

      """
    page += section(
      "Stage flow",
      "How customers move between stages. Circle area: customers who reached the stage; band width: observed moves; vermillion: moves into churn. Forward moves arc above, moves back below.",
      flowDiagram())
    page += section(
      "Funnel",
      "Customers who reached each stage, with their share of all customers and, where it is a true step down, of the stage before. Customers may skip stages, so this is not a strict funnel.",
      funnel())
    page += section("Transition probabilities", transitionCaption(), heatmap())
    page += section(
      "Pain points",
      "Where churn comes from, largest first: the number is how many customers it accounts for (how, at the end of the page)"
        + (touchpointChanges == nil
          ? "."
          : "; for a change between touchpoints, the customers it touched times the change in share — about how many went another way."),
      painPoints())
    page += section(
      "Touchpoints by stage",
      "The busiest touchpoints of each stage — event type and channel — with how customers felt there and how often it was the last thing a customer did in the stage before churning.",
      touchpointTable())
    if let touchpoints {
      page += section(
        "Between touchpoints", TouchpointReport(graph: touchpoints).graphCaption,
        TouchpointGraphDrawing(graph: touchpoints, edges: Array(touchpoints.edges.prefix(20))).svg)
      var touchpointPage = TouchpointReport(graph: touchpoints)
      touchpointPage.funnels = funnels
      page += touchpointPage.funnelSections()
      if let touchpointChanges {
        page += TouchpointReport(graph: touchpoints).changeSection(touchpointChanges)
      }
    }
    page += section(
      "Churn outlook", "Where a customer now in each stage is expected to be heading, and how soon.", outlookTable())
    if let segments {
      page += section(
        "Segments compared by \(segments.column)", segmentCaption(segments),
        segmentChart(segments) + segmentTable(segments) + segmentViews(segments))
    }
    page += section(
      "Retention by cohort",
      "The share of customers still active, by days since their first event. Black: all customers, with its 95% interval shaded; colours: customers whose first event fell in that quarter (the seven latest).",
      retentionChart())
    page += section(
      "Time in stage",
      "Finished stays in each stage, in days: box from the 25th to the 75th percentile, line at the median, whiskers from the 10th to the 90th. The dot is the mean over all stays, unfinished ones counted as far as seen.",
      dwellChart())
    page += section("Channels per stage", "Share of each stage's events by channel.", channelChart())
    page += section(
      "Emotion curve",
      "How customers felt in each stage: the mean sentiment of the events that carry one (−1 very negative, +1 very positive), with its 95% interval.",
      sentimentChart())
    page += methodSection()
    return page
      + HTML.pageEnd(
        footer:
          "ChurnKit \(ChurnKitVersion.current) · \(model.customers) customers · period \(model.periodDays) day\(model.periodDays == 1 ? "" : "s")"
      )
  }

  // MARK: - Sections

  var transient: [Int] { Array(0..<(model.stages.count - 1)) }
  var churned: Int { model.stages.count - 1 }

  private func summary() -> String {
    let churnedCustomers = model.profiles.last?.customersReached ?? 0
    let share = model.customers > 0 ? Double(churnedCustomers) / Double(model.customers) : 0
    return "\(model.customers) customers; \(churnedCustomers) (\(HTML.percent(share))) were seen to churn."
  }

  private func transitionCaption() -> String {
    "The chance of being in the column's stage one period (\(model.periodDays) day\(model.periodDays == 1 ? "" : "s")) after being in the row's stage."
      + (model.bootstrapReplicates > 0 ? " Small print: the 95% interval." : "")
      + (flowDisagreement().map { " " + $0 } ?? "")
  }

  /// One sentence when the flow and the matrix seem to disagree: customers
  /// seen to churn from a stage whose fitted daily churn rounds to zero.
  public func flowDisagreement() -> String? {
    guard let (s, next) = quietChurnStage else { return nil }
    let route =
      next.map { " routes \(model.stages[s]) through \(model.stages[$0]) first" } ?? " puts that churn elsewhere"
    return
      "The flow above counts \(model.moves[s][churned]) customers who churned after last being seen in \(model.stages[s]), yet the matrix\(route): it describes the days nobody was seen, and that path explains the same observations — read the flow for where customers were last seen, the matrix for the fitted day-by-day process."
  }

  /// A stage customers were seen to churn from whose fitted daily churn
  /// rounds to zero, and the stage the chain sends its customers to instead.
  var quietChurnStage: (stage: Int, next: Int?)? {
    let quiet = transient.filter { model.moves[$0][churned] > 0 && model.transitionMatrix[$0][churned] < 0.00005 }
    guard let s = quiet.first else { return nil }
    return (s, transient.filter { $0 != s }.max { model.transitionMatrix[s][$0] < model.transitionMatrix[s][$1] })
  }

  func svgOpen(id: String, width: Int, height: Int, title: String) -> String {
    let id = idPrefix + id
    return
      "<svg id=\"\(id)\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape(title))</title>\n"
  }

  func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "middle", cls: String = "") -> String {
    "<text x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" text-anchor=\"\(anchor)\"\(cls.isEmpty ? "" : " class=\"\(cls)\"")>\(HTML.escape(content))</text>"
  }

  private func flowDiagram() -> String {
    let stages = transient
    let width = 960.0, height = 420.0, midY = 180.0
    let step = (width - 120) / Double(max(stages.count - 1, 1))
    func x(_ i: Int) -> Double { 60 + Double(i) * step }
    let reached = model.profiles.map(\.customersReached)
    let maxReached = Double(max(reached.max() ?? 1, 1))
    func radius(_ i: Int) -> Double { 6 + 30 * (Double(reached[i]) / maxReached).squareRoot() }
    let maxMoves = Double(max(model.moves.flatMap { $0 }.max() ?? 1, 1))
    func bandWidth(_ n: Int) -> Double { 1 + 18 * Double(n) / maxMoves }
    var svg = svgOpen(id: "flow", width: Int(width), height: Int(height), title: "Stage flow diagram")
    // Bands between transient stages.
    for i in stages {
      for j in stages where j != i && model.moves[i][j] > 0 {
        let n = model.moves[i][j]
        let forward = j > i
        let span = abs(Double(j - i))
        let lift = (forward ? -1.0 : 1.0) * (30 + 28 * span)
        let (x1, x2) = (x(i), x(j))
        let label = "\(model.stages[i]) → \(model.stages[j]): \(n) moves"
        svg +=
          "<path class=\"band\" d=\"M\(HTML.number(x1)),\(HTML.number(midY)) Q\(HTML.number((x1 + x2) / 2)),\(HTML.number(midY + 2 * lift)) \(HTML.number(x2)),\(HTML.number(midY))\" stroke=\"\(forward ? HTML.categorical[0] : HTML.categorical[1])\" stroke-width=\"\(HTML.number(bandWidth(n)))\"><title>\(HTML.escape(label))</title></path>\n"
      }
    }
    // Churn flows down to the churned bar.
    let churnY = height - 40
    svg +=
      "<rect x=\"40\" y=\"\(HTML.number(churnY))\" width=\"\(HTML.number(width - 80))\" height=\"14\" fill=\"\(HTML.churnColour)\"/>\n"
    svg += text(width / 2, churnY + 32, "\(model.stages[churned]) (\(reached[churned]) customers)", cls: "label")
    for i in stages where model.moves[i][churned] > 0 {
      let n = model.moves[i][churned]
      svg +=
        "<line class=\"band\" x1=\"\(HTML.number(x(i)))\" y1=\"\(HTML.number(midY + radius(i)))\" x2=\"\(HTML.number(x(i)))\" y2=\"\(HTML.number(churnY))\" stroke=\"\(HTML.churnColour)\" stroke-width=\"\(HTML.number(bandWidth(n)))\"><title>\(HTML.escape("\(model.stages[i]) → \(model.stages[churned]): \(n) customers"))</title></line>\n"
      svg += text(x(i) + 6, churnY - 8, "\(n)", anchor: "start", cls: "small")
    }
    // Nodes on top.
    for i in stages {
      svg +=
        "<circle class=\"node\" cx=\"\(HTML.number(x(i)))\" cy=\"\(HTML.number(midY))\" r=\"\(HTML.number(radius(i)))\"><title>\(HTML.escape("\(model.stages[i]): \(reached[i]) customers reached"))</title></circle>\n"
      svg += text(x(i), midY + radius(i) + 18, model.stages[i], cls: "label")
      svg += text(x(i), midY + radius(i) + 34, "\(reached[i])", cls: "small")
    }
    return svg + "</svg>"
  }

  func funnel() -> String {
    let stages = transient
    let rowHeight = 34.0, labelWidth = 150.0, barMax = 560.0
    let height = Double(stages.count) * rowHeight + 40
    let all = Double(max(model.customers, 1))
    let maxReached = Double(max(stages.map { model.profiles[$0].customersReached }.max() ?? 1, 1))
    var svg = svgOpen(id: "funnel", width: 960, height: Int(height), title: "Funnel: customers who reached each stage")
    for (row, i) in stages.enumerated() {
      let n = model.profiles[i].customersReached
      let y = 10 + Double(row) * rowHeight
      let w = barMax * Double(n) / maxReached
      svg += text(labelWidth - 10, y + 20, model.stages[i], anchor: "end", cls: "label")
      svg +=
        "<rect class=\"bar\" x=\"\(HTML.number(labelWidth))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(w))\" height=\"\(HTML.number(rowHeight - 8))\" fill=\"\(HTML.categorical[0])\"><title>\(HTML.escape("\(model.stages[i]): \(n) customers"))</title></rect>\n"
      // Shares that cannot exceed 100%: of all customers, and of the stage
      // before only when this one is no larger (customers may skip stages).
      var note = "\(n) · \(HTML.percent(Double(n) / all)) of customers"
      if row > 0 {
        let previous = model.profiles[stages[row - 1]].customersReached
        if previous > 0 && n <= previous {
          note += " · \(HTML.percent(Double(n) / Double(previous))) of \(model.stages[stages[row - 1]])"
        }
      }
      svg += text(labelWidth + w + 8, y + 20, note, anchor: "start", cls: "small")
    }
    svg += text(labelWidth + barMax / 2, height - 6, "customers who reached the stage", cls: "axis")
    return svg + "</svg>"
  }

  private func heatmap() -> String {
    let k = model.stages.count
    let cell = 92.0, left = 130.0, top = 50.0
    let width = left + cell * Double(k) + 20, height = top + cell * 0.6 * Double(k) + 40
    let cellHeight = cell * 0.6
    var svg = svgOpen(id: "heatmap", width: Int(width), height: Int(height), title: "Transition probability heatmap")
    svg += text(left + cell * Double(k) / 2, 14, "to stage", cls: "axis")
    for j in 0..<k { svg += text(left + cell * (Double(j) + 0.5), top - 10, model.stages[j], cls: "small") }
    svg +=
      "<text class=\"axis\" transform=\"translate(14,\(HTML.number(top + cellHeight * Double(k) / 2))) rotate(-90)\" text-anchor=\"middle\">from stage</text>\n"
    for i in 0..<k {
      let y = top + Double(i) * cellHeight
      svg += text(left - 8, y + cellHeight / 2 + 4, model.stages[i], anchor: "end", cls: "small")
      for j in 0..<k {
        let p = model.transitionMatrix[i][j]
        // Stays dominate a daily matrix; a square-root scale keeps moves visible.
        let shade = p.squareRoot()
        let x = left + Double(j) * cell
        var label = "\(model.stages[i]) → \(model.stages[j]): \(HTML.number(p, 5))"
        var range: String?
        if let lower = model.transitionLower?[i][j], let upper = model.transitionUpper?[i][j], i != k - 1 {
          range = "\(HTML.number(lower, 4))–\(HTML.number(upper, 4))"
          label += " (95% interval \(range!))"
        }
        let ink = shade > 0.55 ? " on-dark" : ""
        svg +=
          "<rect class=\"cell\" x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(cell - 2))\" height=\"\(HTML.number(cellHeight - 2))\" fill=\"\(HTML.sequential(shade))\"><title>\(HTML.escape(label))</title></rect>"
        svg +=
          "<text x=\"\(HTML.number(x + cell / 2 - 1))\" y=\"\(HTML.number(y + cellHeight / 2 + (range == nil ? 4 : -1)))\" text-anchor=\"middle\" class=\"small\(ink)\">\(HTML.number(p, 4))</text>"
        if let range {
          svg +=
            "<text x=\"\(HTML.number(x + cell / 2 - 1))\" y=\"\(HTML.number(y + cellHeight / 2 + 13))\" text-anchor=\"middle\" class=\"tiny\(ink)\">\(HTML.escape(range))</text>"
        }
        svg += "\n"
      }
    }
    return svg + "</svg>"
  }

  func painPoints() -> String {
    let pain = model.painPoints
    var html = "<ol class=\"pain\">\n"
    // The stages' and touchpoints' pain points and the changes between
    // touchpoints, by the customers they account for or touch.
    var items: [(score: Double, html: String)] = pain.ranked.map { point in
      (
        point.customers,
        "<li><span class=\"score\">\(HTML.number(point.customers, 0))</span> \(HTML.escape(point.explanation))\(actionsNote(for: point.stage))</li>\n"
      )
    }
    for change in touchpointChanges?.changes ?? [] {
      // The customers touched, times how much the share moved: about how
      // many of them went another way than they would have.
      let affected = Double(change.customers) * abs(change.share - change.baselineShare)
      items.append(
        (
          affected,
          "<li><span class=\"score\">\(HTML.number(affected, 0))</span> \(HTML.escape("Changed between touchpoints: " + ShareChangeWording.sentence(change)))</li>\n"
        ))
    }
    for item in items.enumerated().sorted(by: { ($1.element.score, $0.offset) < ($0.element.score, $1.offset) }) {
      html += item.element.html
    }
    if items.isEmpty { html += "<li>No stage or touchpoint stands out.</li>\n" }
    html +=
      "</ol>\n<table><thead><tr><th scope=\"col\">stage</th><th scope=\"col\">churned from it</th><th scope=\"col\">removal effect</th><th scope=\"col\">median days before churn</th><th scope=\"col\">median days before moving on</th><th scope=\"col\">mean sentiment</th></tr></thead><tbody>\n"
    for row in pain.stages {
      html +=
        "<tr><th scope=\"row\">\(HTML.escape(row.stage))</th><td>\(row.churned)</td><td>\(HTML.percent(row.removalEffect))</td>"
      html +=
        "<td>\(row.medianDwellBeforeChurnDays.map { HTML.number($0, 0) } ?? "–")</td><td>\(row.medianDwellDays.map { HTML.number($0, 0) } ?? "–")</td>"
      html += "<td>\(row.meanSentiment.map { HTML.number($0, 2) } ?? "–")</td></tr>\n"
    }
    return html + "</tbody></table>"
  }

  private func outlookTable() -> String {
    let a = model.absorption
    let horizons = a.churnWithin.keys.sorted()
    var html = "<table><thead><tr><th scope=\"col\">stage</th><th scope=\"col\">expected days to churn</th>"
    for h in horizons { html += "<th scope=\"col\">churn within \(h * model.periodDays) days</th>" }
    if a.advocacyBeforeChurn != nil { html += "<th scope=\"col\">reaches advocacy first</th>" }
    html += "</tr></thead><tbody>\n"
    for (i, name) in a.transientStages.enumerated() {
      html +=
        "<tr><th scope=\"row\">\(HTML.escape(name))</th><td>\(a.expectedPeriodsToChurn[i].map { HTML.number($0 * Double(model.periodDays), 0) } ?? "no finite time: churn is not certain from here in the data")</td>"
      for h in horizons { html += "<td>\(HTML.percent(a.churnWithin[h]![i]))</td>" }
      if let adv = a.advocacyBeforeChurn { html += "<td>\(HTML.percent(adv[i]))</td>" }
      html += "</tr>\n"
    }
    return html + "</tbody></table>"
  }

  // MARK: - Axes

  /// The smallest of 1, 2, 2.5, 5 × 10ⁿ at or above `value`.
  static func niceCeiling(_ value: Double) -> Double {
    guard value > 0, value.isFinite else { return 1 }
    var magnitude = 1.0
    while magnitude * 10 <= value { magnitude *= 10 }
    while magnitude > value { magnitude /= 10 }
    for m in [1.0, 2, 2.5, 5, 10] where m * magnitude >= value { return m * magnitude }
    return 10 * magnitude
  }

  /// Five or so evenly spaced ticks from 0 to `upper` (a nice ceiling).
  static func ticks(upTo upper: Double) -> [Double] {
    let step = niceCeiling(upper / 5)
    return stride(from: 0.0, through: upper + step * 1e-9, by: step).map { $0 }
  }

  static let summaryCSS = """
    .summary{background:#f3f7fb;border-left:4px solid #0072B2;padding:.6rem 1rem .6rem 2rem;margin:.8rem 0 0}.summary li{margin:.2rem 0}
    .negative{color:#D55E00;font-weight:600}td.name{text-align:left}th[scope=rowgroup]{text-align:left;vertical-align:top}
    table.touchpoints thead th:nth-child(2){text-align:left}details.segment{margin:.6rem 0;padding:.3rem .8rem;border:1px solid #ddd;border-radius:4px}details.segment>summary{cursor:pointer;font-weight:600}h3{font-size:1rem;margin:1rem 0 .2rem}.actions{display:block;color:#0072B2;font-size:.9rem}.method li{margin:.3rem 0;color:#444}
    """

  static let css = """
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;max-width:1000px;margin:2rem auto;padding:0 1.25rem;background:#fff}
    h1{font-size:1.7rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
    .lede{color:#444;margin:0}.banner{background:#fff4e0;border-left:4px solid #e69f00;padding:.4rem .7rem;margin:.6rem 0 0}.caption{color:#555;margin:.2rem 0 .6rem;font-size:.9rem}
    svg{display:block;max-width:100%;height:auto}text{fill:#222}
    .label{font-size:14px}.on-dark{fill:#fff}.small{font-size:12px}.tiny{font-size:9.5px;fill:#444}.tiny.on-dark{fill:#e8eef7}.axis{font-size:13px;fill:#444}
    .band{fill:none;stroke-opacity:.55;stroke-linecap:round}.node{fill:#0072B2;fill-opacity:.85;stroke:#fff;stroke-width:2}
    .grid{stroke:#e3e3e3}.zero{stroke:#888}.whisker{stroke:#333;stroke-width:1.5}.median{stroke:#000;stroke-width:2.5}
    .box{stroke:#333}.curve{fill:none;stroke-linejoin:round}.interval{fill:#000;fill-opacity:.12;stroke:none}.mean{fill:#000}.segment{stroke:#fff;stroke-width:1}.cell{stroke:none}
    table{border-collapse:collapse;font-size:.92rem;margin:.4rem 0}th,td{padding:.3rem .7rem;border-bottom:1px solid #e5e5e5;text-align:right}
    th[scope=row],thead th:first-child{text-align:left}thead th{border-bottom:2px solid #999}
    .pain{padding-left:1.4rem}.pain li{margin:.35rem 0}.score{display:inline-block;min-width:3.2rem;font-weight:600;color:#D55E00}
    footer{margin:2.5rem 0 1rem;color:#666;font-size:.85rem}
    @media print{body{margin:0;max-width:none}section{break-inside:avoid}}
    """
}
