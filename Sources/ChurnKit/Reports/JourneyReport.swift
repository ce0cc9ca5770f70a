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
public struct JourneyReport: Sendable {
  public let model: StageTransitionModel
  public let title: String
  /// One chain per segment, shown side by side after the churn outlook.
  public let segments: StageSegmentComparison?

  public init(model: StageTransitionModel, title: String = "Customer journey", segments: StageSegmentComparison? = nil) {
    self.model = model
    self.title = title
    self.segments = segments
  }

  /// Stable ids of the charts, in page order; tests check each is drawn.
  public var chartIDs: [String] {
    ["flow", "funnel", "heatmap"] + (segments == nil ? [] : ["segments"]) + ["retention", "dwell", "channels", "sentiment"]
  }

  public func html() -> String {
    var page = """
      <!DOCTYPE html>
      <html lang="en">
      <head>
      <meta charset="utf-8">
      <meta name="viewport" content="width=device-width, initial-scale=1">
      <title>\(HTML.escape(title))</title>
      <style>\(Self.css)</style>
      </head>
      <body>
      <header><h1>\(HTML.escape(title))</h1>
      <p class="lede">\(summary())</p></header>

      """
    page += section("Stage flow", "How customers move between stages. Circle area: customers who reached the stage; band width: observed moves; vermillion: moves into churn. Forward moves arc above, moves back below.", flowDiagram())
    page += section("Funnel", "Customers who reached each stage, with the share of the first stage and of the stage before. Customers may skip stages, so this is not a strict funnel.", funnel())
    page += section("Transition probabilities", transitionCaption(), heatmap())
    page += section("Pain points", "Where churn comes from, largest first, in customers: for a stage, its removal effect (the share of churn within a year that would disappear if nobody churned from it) times the customers seen to churn; for a touchpoint, the churns it was the last touch before, beyond its share of the stage's events.", painPoints())
    page += section("Churn outlook", "From the absorbing chain: where a customer in each stage is expected to be heading.", outlookTable())
    if let segments {
      page += section("Segments compared by \(segments.column)", segmentCaption(segments), segmentChart(segments) + segmentTable(segments))
    }
    page += section("Retention by cohort", "Kaplan–Meier estimate of the share of customers still active, by days since their first event; customers still active at the end of the data count as long as they were seen. Black: all customers, with its 95% interval shaded; colours: customers whose first event fell in that quarter (the seven latest).", retentionChart())
    page += section("Time in stage", "Finished stays in each stage, in days: box from the 25th to the 75th percentile, line at the median, whiskers from the 10th to the 90th. The dot is the mean over all stays, unfinished ones counted as far as seen.", dwellChart())
    page += section("Channels per stage", "Share of each stage's events by channel.", channelChart())
    page += section("Sentiment per stage", "Mean sentiment of the events that carry one (−1 very negative, +1 very positive).", sentimentChart())
    page += """
      <footer>ChurnKit \(HTML.escape(ChurnKitVersion.current)) · \(model.customers) customers · period \(model.periodDays) day\(model.periodDays == 1 ? "" : "s")</footer>
      </body>
      </html>

      """
    return page
  }

  // MARK: - Sections

  private var transient: [Int] { Array(0..<(model.stages.count - 1)) }
  private var churned: Int { model.stages.count - 1 }

  private func summary() -> String {
    let churnedCustomers = model.profiles.last?.customersReached ?? 0
    let share = model.customers > 0 ? Double(churnedCustomers) / Double(model.customers) : 0
    return "\(model.customers) customers; \(churnedCustomers) (\(HTML.percent(share))) were seen to churn."
  }

  private func transitionCaption() -> String {
    let source = model.maximumLikelihoodIterations > 0
      ? "fitted by maximum likelihood over the unseen days between events"
      : "from counted stays and moves with Dirichlet smoothing (α = \(HTML.number(model.dirichletAlpha, 2)))"
    let intervals = model.bootstrapReplicates > 0
      ? " Small print: the 95% interval from \(model.bootstrapReplicates) bootstrap resamples of customers."
      : ""
    return "Probability of being in the column's stage one period (\(model.periodDays) day\(model.periodDays == 1 ? "" : "s")) after the row's stage, \(source).\(intervals)"
  }

  private func section(_ heading: String, _ caption: String, _ body: String) -> String {
    "<section><h2>\(HTML.escape(heading))</h2>\n<p class=\"caption\">\(HTML.escape(caption))</p>\n\(body)\n</section>\n"
  }

  private func svgOpen(id: String, width: Int, height: Int, title: String) -> String {
    "<svg id=\"\(id)\" viewBox=\"0 0 \(width) \(height)\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape(title))</title>\n"
  }

  private func text(_ x: Double, _ y: Double, _ content: String, anchor: String = "middle", cls: String = "") -> String {
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
        svg += "<path class=\"band\" d=\"M\(HTML.number(x1)),\(HTML.number(midY)) Q\(HTML.number((x1 + x2) / 2)),\(HTML.number(midY + 2 * lift)) \(HTML.number(x2)),\(HTML.number(midY))\" stroke=\"\(forward ? HTML.categorical[0] : HTML.categorical[1])\" stroke-width=\"\(HTML.number(bandWidth(n)))\"><title>\(HTML.escape(label))</title></path>\n"
      }
    }
    // Churn flows down to the churned bar.
    let churnY = height - 40
    svg += "<rect x=\"40\" y=\"\(HTML.number(churnY))\" width=\"\(HTML.number(width - 80))\" height=\"14\" fill=\"\(HTML.churnColour)\"/>\n"
    svg += text(width / 2, churnY + 32, "\(model.stages[churned]) (\(reached[churned]) customers)", cls: "label")
    for i in stages where model.moves[i][churned] > 0 {
      let n = model.moves[i][churned]
      svg += "<line class=\"band\" x1=\"\(HTML.number(x(i)))\" y1=\"\(HTML.number(midY + radius(i)))\" x2=\"\(HTML.number(x(i)))\" y2=\"\(HTML.number(churnY))\" stroke=\"\(HTML.churnColour)\" stroke-width=\"\(HTML.number(bandWidth(n)))\"><title>\(HTML.escape("\(model.stages[i]) → \(model.stages[churned]): \(n) customers"))</title></line>\n"
      svg += text(x(i) + 6, churnY - 8, "\(n)", anchor: "start", cls: "small")
    }
    // Nodes on top.
    for i in stages {
      svg += "<circle class=\"node\" cx=\"\(HTML.number(x(i)))\" cy=\"\(HTML.number(midY))\" r=\"\(HTML.number(radius(i)))\"><title>\(HTML.escape("\(model.stages[i]): \(reached[i]) customers reached"))</title></circle>\n"
      svg += text(x(i), midY + radius(i) + 18, model.stages[i], cls: "label")
      svg += text(x(i), midY + radius(i) + 34, "\(reached[i])", cls: "small")
    }
    return svg + "</svg>"
  }

  private func funnel() -> String {
    let stages = transient
    let rowHeight = 34.0, labelWidth = 150.0, barMax = 560.0
    let height = Double(stages.count) * rowHeight + 40
    let first = Double(max(model.profiles.first?.customersReached ?? 1, 1))
    let maxReached = Double(max(stages.map { model.profiles[$0].customersReached }.max() ?? 1, 1))
    var svg = svgOpen(id: "funnel", width: 960, height: Int(height), title: "Funnel: customers who reached each stage")
    for (row, i) in stages.enumerated() {
      let n = model.profiles[i].customersReached
      let y = 10 + Double(row) * rowHeight
      let w = barMax * Double(n) / maxReached
      svg += text(labelWidth - 10, y + 20, model.stages[i], anchor: "end", cls: "label")
      svg += "<rect class=\"bar\" x=\"\(HTML.number(labelWidth))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(w))\" height=\"\(HTML.number(rowHeight - 8))\" fill=\"\(HTML.categorical[0])\"><title>\(HTML.escape("\(model.stages[i]): \(n) customers"))</title></rect>\n"
      var note = "\(n) · \(HTML.percent(Double(n) / first)) of \(model.stages[0])"
      if row > 0 {
        let previous = model.profiles[stages[row - 1]].customersReached
        if previous > 0 { note += " · \(HTML.percent(Double(n) / Double(previous))) of \(model.stages[stages[row - 1]])" }
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
    svg += "<text class=\"axis\" transform=\"translate(14,\(HTML.number(top + cellHeight * Double(k) / 2))) rotate(-90)\" text-anchor=\"middle\">from stage</text>\n"
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
        svg += "<rect class=\"cell\" x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(cell - 2))\" height=\"\(HTML.number(cellHeight - 2))\" fill=\"\(HTML.sequential(shade))\"><title>\(HTML.escape(label))</title></rect>"
        svg += "<text x=\"\(HTML.number(x + cell / 2 - 1))\" y=\"\(HTML.number(y + cellHeight / 2 + (range == nil ? 4 : -1)))\" text-anchor=\"middle\" class=\"small\(ink)\">\(HTML.number(p, 4))</text>"
        if let range {
          svg += "<text x=\"\(HTML.number(x + cell / 2 - 1))\" y=\"\(HTML.number(y + cellHeight / 2 + 13))\" text-anchor=\"middle\" class=\"tiny\(ink)\">\(HTML.escape(range))</text>"
        }
        svg += "\n"
      }
    }
    return svg + "</svg>"
  }

  private func painPoints() -> String {
    let pain = model.painPoints
    var html = "<ol class=\"pain\">\n"
    for point in pain.ranked {
      html += "<li><span class=\"score\">\(HTML.number(point.customers, 0))</span> \(HTML.escape(point.explanation))</li>\n"
    }
    if pain.ranked.isEmpty { html += "<li>No stage or touchpoint stands out.</li>\n" }
    html += "</ol>\n<table><thead><tr><th scope=\"col\">stage</th><th scope=\"col\">churned from it</th><th scope=\"col\">removal effect</th><th scope=\"col\">median days before churn</th><th scope=\"col\">median days before moving on</th><th scope=\"col\">mean sentiment</th></tr></thead><tbody>\n"
    for row in pain.stages {
      html += "<tr><th scope=\"row\">\(HTML.escape(row.stage))</th><td>\(row.churned)</td><td>\(HTML.percent(row.removalEffect))</td>"
      html += "<td>\(row.medianDwellBeforeChurnDays.map { HTML.number($0, 0) } ?? "–")</td><td>\(row.medianDwellDays.map { HTML.number($0, 0) } ?? "–")</td>"
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
      html += "<tr><th scope=\"row\">\(HTML.escape(name))</th><td>\(HTML.number(a.expectedPeriodsToChurn[i] * Double(model.periodDays), 0))</td>"
      for h in horizons { html += "<td>\(HTML.percent(a.churnWithin[h]![i]))</td>" }
      if let adv = a.advocacyBeforeChurn { html += "<td>\(HTML.percent(adv[i]))</td>" }
      html += "</tr>\n"
    }
    return html + "</tbody></table>"
  }

  private func segmentCaption(_ c: StageSegmentComparison) -> String {
    var text = "One chain fitted per value of \(c.column): the probability of churning within a year from each stage."
    if let test = c.homogeneity {
      let verdict = test.pValue < 0.05 ? "The segments move differently" : "No evidence that the segments move differently"
      text += " \(verdict): likelihood ratio \(HTML.number(test.statistic, 1)) on \(test.degreesOfFreedom) degrees of freedom, p = \(NumberText.pValue(test.pValue)) (one chain for everyone against one per segment)."
    }
    return text
  }

  /// Grouped bars: per transient stage, one bar per segment (churn within
  /// the longest horizon).
  private func segmentChart(_ c: StageSegmentComparison) -> String {
    let stages = transient
    let shown = Array(c.segments.prefix(HTML.categorical.count))
    let horizon = model.absorption.churnWithin.keys.max() ?? 1
    let barHeight = 12.0, gap = 14.0, left = 150.0, plotWidth = 600.0
    let groupHeight = Double(shown.count) * barHeight + gap
    let legendHeight = 24.0 * Double((shown.count + 3) / 4)
    let height = legendHeight + Double(stages.count) * groupHeight + 50
    let values = shown.flatMap { s in s.model.absorption.churnWithin[horizon] ?? [] }
    let upper = Self.niceCeiling(max(values.max() ?? 0, 0.01))
    func x(_ v: Double) -> Double { left + plotWidth * v / upper }
    var svg = svgOpen(id: "segments", width: 960, height: Int(height), title: "Churn within \(horizon * model.periodDays) days by stage and \(c.column)")
    for (n, segment) in shown.enumerated() {
      let lx = left + Double(n % 4) * 190, ly = 14 + 24 * Double(n / 4)
      svg += "<rect x=\"\(HTML.number(lx))\" y=\"\(HTML.number(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(HTML.categorical[n])\"/>"
      svg += text(lx + 18, ly, "\(segment.name) (\(segment.customers))", anchor: "start", cls: "small")
    }
    let top = legendHeight + 6
    let bottom = top + Double(stages.count) * groupHeight
    for tick in Self.ticks(upTo: upper) {
      svg += "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(bottom))\"/>"
      svg += text(x(tick), bottom + 16, HTML.percent(tick, 0), cls: "small")
    }
    svg += "\n"
    for (row, i) in stages.enumerated() {
      let y0 = top + Double(row) * groupHeight
      svg += text(left - 10, y0 + Double(shown.count) * barHeight / 2 + 4, model.stages[i], anchor: "end", cls: "label")
      for (n, segment) in shown.enumerated() {
        let v = segment.model.absorption.churnWithin[horizon]?[i] ?? 0
        let y = y0 + Double(n) * barHeight
        svg += "<rect x=\"\(HTML.number(left))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(max(x(v) - left, 0.5)))\" height=\"\(HTML.number(barHeight - 2))\" fill=\"\(HTML.categorical[n])\"><title>\(HTML.escape("\(segment.name), \(model.stages[i]): \(HTML.percent(v)) churn within \(horizon * model.periodDays) days"))</title></rect>"
      }
      svg += "\n"
    }
    svg += text(left + plotWidth / 2, height - 6, "probability of churning within \(horizon * model.periodDays) days", cls: "axis")
    return svg + "</svg>"
  }

  private func segmentTable(_ c: StageSegmentComparison) -> String {
    let horizon = model.absorption.churnWithin.keys.max() ?? 1
    var html = "<table><thead><tr><th scope=\"col\">\(HTML.escape(c.column))</th><th scope=\"col\">customers</th><th scope=\"col\">seen to churn</th>"
    for i in transient { html += "<th scope=\"col\">\(HTML.escape(model.stages[i]))</th>" }
    html += "</tr></thead><tbody>\n"
    for segment in c.segments {
      let churnedCustomers = segment.model.profiles.last?.customersReached ?? 0
      let share = segment.customers > 0 ? Double(churnedCustomers) / Double(segment.customers) : 0
      html += "<tr><th scope=\"row\">\(HTML.escape(segment.name))</th><td>\(segment.customers)</td><td>\(HTML.percent(share))</td>"
      for i in transient { html += "<td>\(HTML.percent(segment.model.absorption.churnWithin[horizon]?[i] ?? 0))</td>" }
      html += "</tr>\n"
    }
    return html + "</tbody></table><p class=\"caption\">Stage columns: churn within \(horizon * model.periodDays) days from that stage.</p>"
  }

  private func retentionChart() -> String {
    guard let all = model.retention.first else { return "<p>No customers.</p>" }
    let cohorts = Array(model.retention.dropFirst().suffix(7))
    let left = 70.0, top = 16.0, plotWidth = 620.0, plotHeight = 300.0
    let maxDay = Double(max(all.curve.longestFollowUp, 1))
    let tickStep = Self.niceCeiling(maxDay / 5)
    let xMax = (maxDay / tickStep).rounded(.up) * tickStep
    func x(_ d: Double) -> Double { left + plotWidth * d / xMax }
    func y(_ s: Double) -> Double { top + plotHeight * (1 - s) }
    var svg = svgOpen(id: "retention", width: 960, height: Int(top + plotHeight + 60), title: "Kaplan–Meier retention by cohort")
    for tick in stride(from: 0.0, through: xMax + tickStep * 1e-9, by: tickStep) {
      svg += "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(top + plotHeight))\"/>"
      svg += text(x(tick), top + plotHeight + 16, HTML.number(tick, 0), cls: "small")
    }
    for share in stride(from: 0.0, through: 1.0, by: 0.25) {
      svg += "<line class=\"grid\" x1=\"\(HTML.number(left))\" y1=\"\(HTML.number(y(share)))\" x2=\"\(HTML.number(left + plotWidth))\" y2=\"\(HTML.number(y(share)))\"/>"
      svg += text(left - 8, y(share) + 4, HTML.percent(share, 0), anchor: "end", cls: "small")
    }
    svg += "\n"
    // Steps: flat until each churn day, then down.
    func steps(_ days: [Int], _ values: [Double], until end: Int) -> [(Double, Double)] {
      var points = [(0.0, 1.0)]
      var last = 1.0
      for (d, v) in zip(days, values) {
        points.append((Double(d), last))
        points.append((Double(d), v))
        last = v
      }
      points.append((Double(max(end, days.last ?? 0)), last))
      return points
    }
    let curve = all.curve
    if !curve.days.isEmpty {
      let upper = steps(curve.days, curve.upper, until: curve.longestFollowUp)
      let lower = steps(curve.days, curve.lower, until: curve.longestFollowUp)
      let outline = upper + lower.reversed()
      svg += "<path class=\"interval\" d=\"M" + outline.map { "\(HTML.number(x($0.0))),\(HTML.number(y($0.1)))" }.joined(separator: " L") + " Z\"><title>95% interval, all customers</title></path>\n"
    }
    func line(_ c: CohortRetention, colour: String, width: Double) -> String {
      let points = steps(c.curve.days, c.curve.survival, until: c.curve.longestFollowUp)
      let label = "\(c.cohort): \(c.curve.customers) customers, \(HTML.percent(c.curve.survival.last ?? 1)) still active after \(c.curve.days.last ?? 0) days"
      return "<path class=\"curve\" stroke=\"\(colour)\" stroke-width=\"\(HTML.number(width))\" d=\"M" + points.map { "\(HTML.number(x($0.0))),\(HTML.number(y($0.1)))" }.joined(separator: " L") + "\"><title>\(HTML.escape(label))</title></path>\n"
    }
    for (n, c) in cohorts.enumerated() { svg += line(c, colour: HTML.categorical[n], width: 1.6) }
    svg += line(all, colour: "#000000", width: 2.6)
    // Legend to the right.
    let entries = [("all customers", "#000000", all.curve.customers)] + cohorts.enumerated().map { ($1.cohort, HTML.categorical[$0], $1.curve.customers) }
    for (n, entry) in entries.enumerated() {
      let ly = top + 8 + Double(n) * 22
      svg += "<rect x=\"\(HTML.number(left + plotWidth + 24))\" y=\"\(HTML.number(ly - 10))\" width=\"14\" height=\"14\" fill=\"\(entry.1)\"/>"
      svg += text(left + plotWidth + 44, ly + 2, "\(entry.0) (\(entry.2))", anchor: "start", cls: "small")
    }
    svg += text(left + plotWidth / 2, top + plotHeight + 40, "days since first event", cls: "axis")
    svg += "<text class=\"axis\" transform=\"translate(16,\(HTML.number(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">still active</text>\n"
    return svg + "</svg>"
  }

  private func dwellChart() -> String {
    let stages = transient
    let rowHeight = 34.0, left = 150.0, plotWidth = 700.0
    let height = Double(stages.count) * rowHeight + 60
    let top = model.profiles.prefix(stages.count).flatMap { $0.dwellQuantiles.last.map { [$0] } ?? [] }
      + model.profiles.prefix(stages.count).map(\.meanDwellDays)
    let maxDays = Self.niceCeiling(top.max() ?? 1)
    func x(_ d: Double) -> Double { left + plotWidth * d / maxDays }
    var svg = svgOpen(id: "dwell", width: 960, height: Int(height), title: "Days in each stage")
    for tick in Self.ticks(upTo: maxDays) {
      svg += "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"6\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(height - 40))\"/>"
      svg += text(x(tick), height - 26, HTML.number(tick, 0), cls: "small")
    }
    svg += "\n"
    for (row, i) in stages.enumerated() {
      let profile = model.profiles[i]
      let y = 10 + Double(row) * rowHeight
      let mid = y + (rowHeight - 8) / 2
      svg += text(left - 10, mid + 4, profile.stage, anchor: "end", cls: "label")
      if profile.dwellQuantiles.count == 5 {
        let q = profile.dwellQuantiles
        svg += "<line class=\"whisker\" x1=\"\(HTML.number(x(q[0])))\" y1=\"\(HTML.number(mid))\" x2=\"\(HTML.number(x(q[4])))\" y2=\"\(HTML.number(mid))\"/>"
        svg += "<rect class=\"box\" x=\"\(HTML.number(x(q[1])))\" y=\"\(HTML.number(y + 3))\" width=\"\(HTML.number(max(x(q[3]) - x(q[1]), 1)))\" height=\"\(HTML.number(rowHeight - 14))\" fill=\"\(HTML.categorical[4])\"><title>\(HTML.escape("\(profile.stage): median \(HTML.number(q[2])) days, middle half \(HTML.number(q[1]))–\(HTML.number(q[3])) days"))</title></rect>"
        svg += "<line class=\"median\" x1=\"\(HTML.number(x(q[2])))\" y1=\"\(HTML.number(y + 3))\" x2=\"\(HTML.number(x(q[2])))\" y2=\"\(HTML.number(y + rowHeight - 11))\"/>"
      } else {
        svg += text(left + 6, mid + 4, "no finished stay", anchor: "start", cls: "small")
      }
      svg += "<circle class=\"mean\" cx=\"\(HTML.number(x(profile.meanDwellDays)))\" cy=\"\(HTML.number(mid))\" r=\"4\"><title>\(HTML.escape("\(profile.stage): mean \(HTML.number(profile.meanDwellDays)) days over \(profile.spells) stays"))</title></circle>\n"
    }
    svg += text(left + plotWidth / 2, height - 6, "days in stage", cls: "axis")
    return svg + "</svg>"
  }

  private func channelChart() -> String {
    let stages = transient
    // Channels in order of total events; beyond seven, the rest is "other".
    var totals: [String: Int] = [:]
    for i in stages { for c in model.profiles[i].channels { totals[c.channel, default: 0] += c.events } }
    let ranked = totals.sorted { ($1.value, $0.key) < ($0.value, $1.key) }.map(\.key)
    let shown = Array(ranked.prefix(7))
    let legendNames = shown + (ranked.count > shown.count ? ["other"] : [])
    let rowHeight = 30.0, left = 150.0, plotWidth = 640.0
    let height = Double(stages.count) * rowHeight + 50 + 22 * Double((legendNames.count + 3) / 4)
    var svg = svgOpen(id: "channels", width: 960, height: Int(height), title: "Channel mix per stage")
    for (row, i) in stages.enumerated() {
      let profile = model.profiles[i]
      let y = 10 + Double(row) * rowHeight
      svg += text(left - 10, y + 17, profile.stage, anchor: "end", cls: "label")
      let total = profile.channels.reduce(0) { $0 + $1.events }
      guard total > 0 else {
        svg += text(left + 6, y + 17, "no channel recorded", anchor: "start", cls: "small")
        continue
      }
      var counts = shown.map { name in profile.channels.first { $0.channel == name }?.events ?? 0 }
      if legendNames.count > shown.count { counts.append(total - counts.reduce(0, +)) }
      var x = left
      for (c, n) in counts.enumerated() where n > 0 {
        let w = plotWidth * Double(n) / Double(total)
        svg += "<rect class=\"segment\" x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(w))\" height=\"\(HTML.number(rowHeight - 8))\" fill=\"\(HTML.categorical[c % HTML.categorical.count])\"><title>\(HTML.escape("\(profile.stage) · \(legendNames[c]): \(n) events (\(HTML.percent(Double(n) / Double(total))))"))</title></rect>"
        x += w
      }
      svg += text(left + plotWidth + 8, y + 17, "\(total) events", anchor: "start", cls: "small")
      svg += "\n"
    }
    let legendTop = 20 + Double(stages.count) * rowHeight
    for (c, name) in legendNames.enumerated() {
      let lx = left + Double(c % 4) * 180, ly = legendTop + Double(c / 4) * 22
      svg += "<rect x=\"\(HTML.number(lx))\" y=\"\(HTML.number(ly))\" width=\"14\" height=\"14\" fill=\"\(HTML.categorical[c % HTML.categorical.count])\"/>"
      svg += text(lx + 20, ly + 12, name, anchor: "start", cls: "small")
    }
    return svg + "</svg>"
  }

  private func sentimentChart() -> String {
    let stages = transient
    let rowHeight = 30.0, left = 150.0, plotWidth = 600.0
    let height = Double(stages.count) * rowHeight + 50
    func x(_ s: Double) -> Double { left + plotWidth * (s + 1) / 2 }
    var svg = svgOpen(id: "sentiment", width: 960, height: Int(height), title: "Mean sentiment per stage")
    for tick in [-1.0, -0.5, 0, 0.5, 1] {
      svg += "<line class=\"\(tick == 0 ? "zero" : "grid")\" x1=\"\(HTML.number(x(tick)))\" y1=\"4\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(height - 36))\"/>"
      svg += text(x(tick), height - 22, HTML.number(tick), cls: "small")
    }
    svg += "\n"
    for (row, i) in stages.enumerated() {
      let profile = model.profiles[i]
      let y = 10 + Double(row) * rowHeight + 11
      svg += text(left - 10, y + 4, profile.stage, anchor: "end", cls: "label")
      if let mean = profile.meanSentiment {
        let colour = mean < 0 ? HTML.churnColour : HTML.categorical[0]
        svg += "<line x1=\"\(HTML.number(x(0)))\" y1=\"\(HTML.number(y))\" x2=\"\(HTML.number(x(mean)))\" y2=\"\(HTML.number(y))\" stroke=\"\(colour)\" stroke-width=\"3\"/>"
        svg += "<circle class=\"dot\" cx=\"\(HTML.number(x(mean)))\" cy=\"\(HTML.number(y))\" r=\"6\" fill=\"\(colour)\"><title>\(HTML.escape("\(profile.stage): mean sentiment \(HTML.number(mean, 3)) over \(profile.sentimentEvents) events"))</title></circle>"
        svg += text(left + plotWidth + 10, y + 4, "\(HTML.number(mean, 2)) (\(profile.sentimentEvents) events)", anchor: "start", cls: "small")
      } else {
        svg += text(x(0) + 6, y + 4, "no sentiment recorded", anchor: "start", cls: "small")
      }
      svg += "\n"
    }
    svg += text(left + plotWidth / 2, height - 4, "mean sentiment (−1 negative … +1 positive)", cls: "axis")
    return svg + "</svg>"
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

  static let css = """
    body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1a1a1a;max-width:1000px;margin:2rem auto;padding:0 1.25rem;background:#fff}
    h1{font-size:1.7rem;margin:0 0 .25rem}h2{font-size:1.2rem;margin:2rem 0 .25rem;border-bottom:1px solid #ddd;padding-bottom:.2rem}
    .lede{color:#444;margin:0}.caption{color:#555;margin:.2rem 0 .6rem;font-size:.9rem}
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
