import ChurnData
import ChurnIO
import ChurnModels

/// The journey map's comparison of segments: churn within the longest
/// horizon from each stage, one bar per segment, and the table beside it.
extension JourneyReport {
  func segmentCaption(_ c: StageSegmentComparison) -> String {
    var text = "One chain fitted per value of \(c.column): the probability of churning within a year from each stage."
    if let test = c.homogeneity {
      let verdict =
        test.pValue < 0.05 ? "The segments move differently" : "No evidence that the segments move differently"
      text +=
        " \(verdict): likelihood ratio \(HTML.number(test.statistic, 1)) on \(test.degreesOfFreedom) degrees of freedom, p = \(NumberText.pValue(test.pValue)) (one chain for everyone against one per segment)."
    }
    return text
  }

  /// Grouped bars: per transient stage, one bar per segment (churn within
  /// the longest horizon).
  func segmentChart(_ c: StageSegmentComparison) -> String {
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
    var svg = svgOpen(
      id: "segments", width: 960, height: Int(height),
      title: "Churn within \(horizon * model.periodDays) days by stage and \(c.column)")
    for (n, segment) in shown.enumerated() {
      let lx = left + Double(n % 4) * 190, ly = 14 + 24 * Double(n / 4)
      svg +=
        "<rect x=\"\(HTML.number(lx))\" y=\"\(HTML.number(ly - 10))\" width=\"12\" height=\"12\" fill=\"\(HTML.categorical[n])\"/>"
      svg += text(lx + 18, ly, "\(segment.name) (\(segment.customers))", anchor: "start", cls: "small")
    }
    let top = legendHeight + 6
    let bottom = top + Double(stages.count) * groupHeight
    for tick in Self.ticks(upTo: upper) {
      svg +=
        "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(bottom))\"/>"
      svg += text(x(tick), bottom + 16, HTML.percent(tick, 0), cls: "small")
    }
    svg += "\n"
    for (row, i) in stages.enumerated() {
      let y0 = top + Double(row) * groupHeight
      svg += text(left - 10, y0 + Double(shown.count) * barHeight / 2 + 4, model.stages[i], anchor: "end", cls: "label")
      for (n, segment) in shown.enumerated() {
        let v = segment.model.absorption.churnWithin[horizon]?[i] ?? 0
        let y = y0 + Double(n) * barHeight
        svg +=
          "<rect x=\"\(HTML.number(left))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(max(x(v) - left, 0.5)))\" height=\"\(HTML.number(barHeight - 2))\" fill=\"\(HTML.categorical[n])\"><title>\(HTML.escape("\(segment.name), \(model.stages[i]): \(HTML.percent(v)) churn within \(horizon * model.periodDays) days"))</title></rect>"
      }
      svg += "\n"
    }
    svg += text(
      left + plotWidth / 2, height - 6, "probability of churning within \(horizon * model.periodDays) days", cls: "axis"
    )
    return svg + "</svg>"
  }

  func segmentTable(_ c: StageSegmentComparison) -> String {
    let horizon = model.absorption.churnWithin.keys.max() ?? 1
    var html =
      "<table><thead><tr><th scope=\"col\">\(HTML.escape(c.column))</th><th scope=\"col\">customers</th><th scope=\"col\">seen to churn</th>"
    for i in transient { html += "<th scope=\"col\">\(HTML.escape(model.stages[i]))</th>" }
    html += "</tr></thead><tbody>\n"
    for segment in c.segments {
      let churnedCustomers = segment.model.profiles.last?.customersReached ?? 0
      let share = segment.customers > 0 ? Double(churnedCustomers) / Double(segment.customers) : 0
      html +=
        "<tr><th scope=\"row\">\(HTML.escape(segment.name))</th><td>\(segment.customers)</td><td>\(HTML.percent(share))</td>"
      for i in transient { html += "<td>\(HTML.percent(segment.model.absorption.churnWithin[horizon]?[i] ?? 0))</td>" }
      html += "</tr>\n"
    }
    return html
      + "</tbody></table><p class=\"caption\">Stage columns: churn within \(horizon * model.periodDays) days from that stage.</p>"
  }
}
