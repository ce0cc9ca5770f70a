import ChurnModels
import Foundation

/// The "What changed" section of the touchpoint page: every significant
/// change in a sentence, the largest drawn as the weekly share with the
/// change's window shaded and the baseline around it as a dashed line.
extension TouchpointReport {
  func changeSection(_ c: ShareChanges) -> String {
    let caption =
      "Every transition share and funnel step, each week against the \(c.baselineWeeks) weeks on either side"
      + (c.segmentColumn.map { ", for all customers and within each \($0), and each \($0) against the rest" } ?? "")
      + "; a customer's moves count together (standard errors clustered by customer), and the false discovery rate across all \(c.tests.count) tests is held at \(HTML.percent(c.fdr, 0)) (Benjamini–Hochberg). A run of significant weeks is dated to the day by the window whose share differs most likely from the days around it."
    var body = "<ul class=\"changes\" id=\"changes\">"
    let sentences =
      c.changes.map(ShareChangeWording.sentence)
      + c.segmentDifferences.map { ShareChangeWording.sentence($0, series: c.series[$0.series]) }
    body += sentences.isEmpty ? "<li>Nothing changed significantly.</li>" : ""
    body += sentences.map { "<li>\(HTML.escape($0))</li>" }.joined() + "</ul>\n"
    for (k, change) in c.changes.prefix(shownChanges).enumerated() {
      body += changeChart(change, id: "change-\(k + 1)")
    }
    return section("What changed, when, for whom", caption, body)
  }

  /// The weekly share of one change, its window shaded.
  func changeChart(_ c: ShareChanges.Change, id: String) -> String {
    let (width, height, left, right, top, bottom) = (960.0, 190.0, 60.0, 20.0, 34.0, 30.0)
    let weeks = c.weeklyShares
    guard let firstWeek = weeks.first?.day, let lastWeek = weeks.last?.day else { return "" }
    let lastDay = Double(lastWeek + 7)
    let x = { (day: Double) in left + (width - left - right) * (day - Double(firstWeek)) / (lastDay - Double(firstWeek))
    }
    let y = { (share: Double) in top + (height - top - bottom) * (1 - share) }
    let title = "\(c.scope): \(c.series)"
    var svg =
      "<svg id=\"\(id)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape(title))</title>\n"
    svg +=
      "<text x=\"\(HTML.number(left))\" y=\"18\" class=\"label\">\(HTML.escape(title))</text>\n"
    do {
      let a = c.window.first
      let b = c.lastDay == nil ? lastWeek + 6 : min(c.window.last, lastWeek + 6)
      svg +=
        "<rect x=\"\(HTML.number(x(Double(a))))\" y=\"\(HTML.number(top))\" width=\"\(HTML.number(max(2, x(Double(b + 1)) - x(Double(a)))))\" height=\"\(HTML.number(height - top - bottom))\" fill=\"\(HTML.categorical[1])\" fill-opacity=\"0.25\"><title>\(HTML.escape("\(c.lastDay.map { "\(c.firstDay) to \($0)" } ?? "from \(c.firstDay) on"): \(HTML.percent(c.share)), against \(HTML.percent(c.baselineShare)) \(c.lastDay == nil ? "before" : "around it")"))</title></rect>\n"
    }
    for tick in [0.0, 0.5, 1.0] {
      svg +=
        "<line x1=\"\(HTML.number(left))\" x2=\"\(HTML.number(width - right))\" y1=\"\(HTML.number(y(tick)))\" y2=\"\(HTML.number(y(tick)))\" stroke=\"#ddd\"/><text x=\"\(HTML.number(left - 6))\" y=\"\(HTML.number(y(tick) + 4))\" text-anchor=\"end\" class=\"small\">\(HTML.percent(tick, 0))</text>\n"
    }
    svg +=
      "<line x1=\"\(HTML.number(left))\" x2=\"\(HTML.number(width - right))\" y1=\"\(HTML.number(y(c.baselineShare)))\" y2=\"\(HTML.number(y(c.baselineShare)))\" stroke=\"#555\" stroke-dasharray=\"4 3\"/>\n"
    let points = weeks.map { w in (x(Double(w.day) + 3.5), y(w.share)) }
    svg +=
      "<polyline fill=\"none\" stroke=\"\(HTML.categorical[0])\" stroke-width=\"2\" points=\"\(points.map { "\(HTML.number($0.0)),\(HTML.number($0.1))" }.joined(separator: " "))\"/>\n"
    for (w, p) in zip(weeks, points) {
      svg +=
        "<circle cx=\"\(HTML.number(p.0))\" cy=\"\(HTML.number(p.1))\" r=\"3\" fill=\"\(HTML.categorical[0])\"><title>\(HTML.escape("week of \(w.week): \(HTML.percent(w.share)) of \(w.trials)"))</title></circle>\n"
    }
    svg +=
      "<text x=\"\(HTML.number(left))\" y=\"\(HTML.number(height - 8))\" class=\"small\">\(HTML.escape(weeks.first!.week))</text><text x=\"\(HTML.number(width - right))\" y=\"\(HTML.number(height - 8))\" text-anchor=\"end\" class=\"small\">\(HTML.escape(weeks.last!.week))</text>\n"
    return svg + "</svg>\n"
  }
}
