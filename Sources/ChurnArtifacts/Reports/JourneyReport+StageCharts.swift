import ChurnData
import ChurnModels

/// The journey map's charts of time: Kaplan–Meier retention by cohort, and
/// per stage the dwell times, channel mix and sentiment.
extension JourneyReport {
  func retentionChart() -> String {
    guard let all = model.retention.first else { return "<p>No customers.</p>" }
    let cohorts = Array(model.retention.dropFirst().suffix(7))
    let left = 70.0, top = 16.0, plotWidth = 620.0, plotHeight = 300.0
    let maxDay = Double(max(all.curve.longestFollowUp, 1))
    let tickStep = Self.niceCeiling(maxDay / 5)
    let xMax = (maxDay / tickStep).rounded(.up) * tickStep
    func x(_ d: Double) -> Double { left + plotWidth * d / xMax }
    func y(_ s: Double) -> Double { top + plotHeight * (1 - s) }
    var svg = svgOpen(
      id: "retention", width: 960, height: Int(top + plotHeight + 60), title: "Kaplan–Meier retention by cohort")
    for tick in stride(from: 0.0, through: xMax + tickStep * 1e-9, by: tickStep) {
      svg +=
        "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(top + plotHeight))\"/>"
      svg += text(x(tick), top + plotHeight + 16, HTML.number(tick, 0), cls: "small")
    }
    for share in stride(from: 0.0, through: 1.0, by: 0.25) {
      svg +=
        "<line class=\"grid\" x1=\"\(HTML.number(left))\" y1=\"\(HTML.number(y(share)))\" x2=\"\(HTML.number(left + plotWidth))\" y2=\"\(HTML.number(y(share)))\"/>"
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
      svg +=
        "<path class=\"interval\" d=\"M"
        + outline.map { "\(HTML.number(x($0.0))),\(HTML.number(y($0.1)))" }.joined(separator: " L")
        + " Z\"><title>95% interval, all customers</title></path>\n"
    }
    func line(_ c: CohortRetention, colour: String, width: Double) -> String {
      let points = steps(c.curve.days, c.curve.survival, until: c.curve.longestFollowUp)
      let label =
        "\(c.cohort): \(c.curve.customers) customers, \(HTML.percent(c.curve.survival.last ?? 1)) still active after \(c.curve.days.last ?? 0) days"
      return "<path class=\"curve\" stroke=\"\(colour)\" stroke-width=\"\(HTML.number(width))\" d=\"M"
        + points.map { "\(HTML.number(x($0.0))),\(HTML.number(y($0.1)))" }.joined(separator: " L")
        + "\"><title>\(HTML.escape(label))</title></path>\n"
    }
    for (n, c) in cohorts.enumerated() { svg += line(c, colour: HTML.categorical[n], width: 1.6) }
    svg += line(all, colour: "#000000", width: 2.6)
    // Legend to the right.
    let entries =
      [("all customers", "#000000", all.curve.customers)]
      + cohorts.enumerated().map { ($1.cohort, HTML.categorical[$0], $1.curve.customers) }
    for (n, entry) in entries.enumerated() {
      let ly = top + 8 + Double(n) * 22
      svg +=
        "<rect x=\"\(HTML.number(left + plotWidth + 24))\" y=\"\(HTML.number(ly - 10))\" width=\"14\" height=\"14\" fill=\"\(entry.1)\"/>"
      svg += text(left + plotWidth + 44, ly + 2, "\(entry.0) (\(entry.2))", anchor: "start", cls: "small")
    }
    svg += text(left + plotWidth / 2, top + plotHeight + 40, "days since first event", cls: "axis")
    svg +=
      "<text class=\"axis\" transform=\"translate(16,\(HTML.number(top + plotHeight / 2))) rotate(-90)\" text-anchor=\"middle\">still active</text>\n"
    return svg + "</svg>"
  }

  func dwellChart() -> String {
    let stages = transient
    let rowHeight = 34.0, left = 150.0, plotWidth = 700.0
    let height = Double(stages.count) * rowHeight + 60
    let top =
      model.profiles.prefix(stages.count).flatMap { $0.dwellQuantiles.last.map { [$0] } ?? [] }
      + model.profiles.prefix(stages.count).map(\.meanDwellDays)
    let maxDays = Self.niceCeiling(top.max() ?? 1)
    func x(_ d: Double) -> Double { left + plotWidth * d / maxDays }
    var svg = svgOpen(id: "dwell", width: 960, height: Int(height), title: "Days in each stage")
    for tick in Self.ticks(upTo: maxDays) {
      svg +=
        "<line class=\"grid\" x1=\"\(HTML.number(x(tick)))\" y1=\"6\" x2=\"\(HTML.number(x(tick)))\" y2=\"\(HTML.number(height - 40))\"/>"
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
        svg +=
          "<line class=\"whisker\" x1=\"\(HTML.number(x(q[0])))\" y1=\"\(HTML.number(mid))\" x2=\"\(HTML.number(x(q[4])))\" y2=\"\(HTML.number(mid))\"/>"
        svg +=
          "<rect class=\"box\" x=\"\(HTML.number(x(q[1])))\" y=\"\(HTML.number(y + 3))\" width=\"\(HTML.number(max(x(q[3]) - x(q[1]), 1)))\" height=\"\(HTML.number(rowHeight - 14))\" fill=\"\(HTML.categorical[4])\"><title>\(HTML.escape("\(profile.stage): median \(HTML.number(q[2])) days, middle half \(HTML.number(q[1]))–\(HTML.number(q[3])) days"))</title></rect>"
        svg +=
          "<line class=\"median\" x1=\"\(HTML.number(x(q[2])))\" y1=\"\(HTML.number(y + 3))\" x2=\"\(HTML.number(x(q[2])))\" y2=\"\(HTML.number(y + rowHeight - 11))\"/>"
      } else {
        svg += text(left + 6, mid + 4, "no finished stay", anchor: "start", cls: "small")
      }
      svg +=
        "<circle class=\"mean\" cx=\"\(HTML.number(x(profile.meanDwellDays)))\" cy=\"\(HTML.number(mid))\" r=\"4\"><title>\(HTML.escape("\(profile.stage): mean \(HTML.number(profile.meanDwellDays)) days over \(profile.spells) stays"))</title></circle>\n"
    }
    svg += text(left + plotWidth / 2, height - 6, "days in stage", cls: "axis")
    return svg + "</svg>"
  }

  func channelChart() -> String {
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
        svg +=
          "<rect class=\"segment\" x=\"\(HTML.number(x))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(w))\" height=\"\(HTML.number(rowHeight - 8))\" fill=\"\(HTML.categorical[c % HTML.categorical.count])\"><title>\(HTML.escape("\(profile.stage) · \(legendNames[c]): \(n) events (\(HTML.percent(Double(n) / Double(total))))"))</title></rect>"
        x += w
      }
      svg += text(left + plotWidth + 8, y + 17, "\(total) events", anchor: "start", cls: "small")
      svg += "\n"
    }
    let legendTop = 20 + Double(stages.count) * rowHeight
    for (c, name) in legendNames.enumerated() {
      let lx = left + Double(c % 4) * 180, ly = legendTop + Double(c / 4) * 22
      svg +=
        "<rect x=\"\(HTML.number(lx))\" y=\"\(HTML.number(ly))\" width=\"14\" height=\"14\" fill=\"\(HTML.categorical[c % HTML.categorical.count])\"/>"
      svg += text(lx + 20, ly + 12, name, anchor: "start", cls: "small")
    }
    return svg + "</svg>"
  }

  /// The emotion curve: mean sentiment per stage, in stage order, with its
  /// 95% interval (clustered by customer); stages without ratings skipped.
  func sentimentChart() -> String {
    let stages = transient
    let width = 960.0, height = 300.0, left = 110.0, right = 70.0, top = 20.0, bottom = 50.0
    let plotHeight = height - top - bottom
    let step = (width - left - right) / Double(max(stages.count - 1, 1))
    func x(_ row: Int) -> Double { stages.count == 1 ? (width + left - right) / 2 : left + Double(row) * step }
    func y(_ s: Double) -> Double { top + plotHeight * (1 - (min(max(s, -1), 1) + 1) / 2) }
    var svg = svgOpen(
      id: "sentiment", width: Int(width), height: Int(height), title: "Emotion curve: mean sentiment per stage")
    for tick in [-1.0, -0.5, 0, 0.5, 1] {
      svg +=
        "<line class=\"\(tick == 0 ? "zero" : "grid")\" x1=\"\(HTML.number(left))\" y1=\"\(HTML.number(y(tick)))\" x2=\"\(HTML.number(width - right))\" y2=\"\(HTML.number(y(tick)))\"/>"
      svg += text(left - 8, y(tick) + 4, HTML.number(tick), anchor: "end", cls: "small")
    }
    svg += "\n"
    var points: [(Double, Double)] = []
    for (row, i) in stages.enumerated() {
      let profile = model.profiles[i]
      svg += text(x(row), height - bottom + 20, profile.stage, cls: "label")
      guard let mean = profile.meanSentiment else {
        svg += text(x(row), y(0) - 10, "no ratings", cls: "small")
        continue
      }
      points.append((x(row), y(mean)))
      let colour = mean < 0 ? HTML.churnColour : HTML.categorical[0]
      if let se = profile.sentimentStandardError {
        svg +=
          "<line class=\"whisker\" x1=\"\(HTML.number(x(row)))\" y1=\"\(HTML.number(y(mean - 1.96 * se)))\" x2=\"\(HTML.number(x(row)))\" y2=\"\(HTML.number(y(mean + 1.96 * se)))\"/>"
      }
      let interval =
        profile.sentimentStandardError.map {
          ", 95% interval \(HTML.number(mean - 1.96 * $0, 2)) to \(HTML.number(mean + 1.96 * $0, 2))"
        } ?? ""
      svg +=
        "<circle class=\"dot\" cx=\"\(HTML.number(x(row)))\" cy=\"\(HTML.number(y(mean)))\" r=\"6\" fill=\"\(colour)\"><title>\(HTML.escape("\(profile.stage): mean sentiment \(HTML.number(mean, 3))\(interval), \(profile.sentimentEvents) ratings"))</title></circle>"
      svg += text(x(row), y(mean) - 12, HTML.number(mean, 2), cls: "small")
      svg += "\n"
    }
    if points.count > 1 {
      svg +=
        "<polyline class=\"curve\" stroke=\"#555\" stroke-width=\"1.5\" points=\"\(points.map { "\(HTML.number($0.0)),\(HTML.number($0.1))" }.joined(separator: " "))\"/>\n"
    }
    return svg + "</svg>"
  }
}
