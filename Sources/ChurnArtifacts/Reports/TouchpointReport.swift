import ChurnIO
import ChurnModels
import Foundation

/// The touchpoint page of `churnkit touchpoints --report`: the transition
/// graph drawn (the strongest transitions; the rest counted in the caption
/// and listed in the table), where sessions end, and sentences read from
/// the numbers. Self-contained, no script, the journey page's style.
public struct TouchpointReport: Sendable, ReportPage {
  public let graph: TouchpointGraph
  public let title: String
  /// Transitions drawn in the graph (the strongest).
  public var drawn = 20
  /// Funnels to draw, each with its weekly table.
  public var funnels: [Funnel] = []
  /// What changed and when (`--changes`), drawn after the graph.
  public var changes: ShareChanges?
  /// The step matrix (`--step-matrix`), after the funnels.
  public var stepMatrix: StepMatrix?
  /// A segment or period against another (`--compare`), after the changes.
  public var comparison: GraphComparison?

  public init(graph: TouchpointGraph, title: String = "Touchpoint journeys") {
    self.graph = graph
    self.title = title
  }

  public var chartIDs: [String] {
    ["touchpoint-graph"] + (changes?.changes.prefix(shownChanges).indices.map { "change-\($0 + 1)" } ?? [])
      + (comparison == nil ? [] : ["compare-differences", "compare-graph-a", "compare-graph-b"])
      + funnels.indices.map { "funnel-\($0 + 1)" }
  }

  /// Changes drawn, largest first (all are listed).
  var shownChanges: Int { 6 }

  // MARK: - Sentences

  public var sentences: [String] {
    var out: [String] = [
      "\(graph.events) events of \(graph.customers) customers in \(graph.sessions) sessions (\(Self.sessionRule(graph)))."
    ]
    if let step = graph.edges.first(where: { !Self.isBoundary($0.from) && !Self.isBoundary($0.to) && $0.from != $0.to })
    {
      out.append(
        "The most taken step is \(step.from) → \(step.to): \(step.transitions) times, \(HTML.percent(step.share)) of the moves out of \(step.from), by \(step.customers) customers."
      )
    }
    let ends = graph.dropOff.filter { $0.transitions >= 20 }.prefix(3)
    if !ends.isEmpty {
      out.append(
        "Sessions end most often after "
          + ends.map { "\($0.from) (\(HTML.percent($0.share)) of its moves)" }.joined(separator: ", ") + ".")
    }
    if let loop = graph.edges.filter({ $0.loops > 0 }).max(by: { ($0.loops, $1.from) < ($1.loops, $0.from) }) {
      out.append(
        "The most frequent loop: \(loop.from) → \(loop.to) → \(loop.from), \(loop.loops) times (\(HTML.percent(Double(loop.loops) / Double(loop.transitions))) of the moves \(loop.from) → \(loop.to) came back)."
      )
    }
    return out
  }

  /// How sessions were made: "a new session after 30.0 min of silence",
  /// or "sessions from the column session_id".
  public static func sessionRule(_ graph: TouchpointGraph) -> String {
    graph.sessionColumn.map { "sessions from the column \($0)" }
      ?? "a new session after \(duration(graph.sessionGapSeconds)) of silence"
  }

  static func isBoundary(_ name: String) -> Bool {
    name == TouchpointGraph.sessionStart || name == TouchpointGraph.sessionEnd
  }

  /// "24 s", "3.5 min", "2.0 h", "1.5 days".
  public static func duration(_ seconds: Double?) -> String {
    guard let s = seconds else { return "–" }
    if s < 120 { return "\(HTML.number(s, 0)) s" }
    if s < 7200 { return "\(HTML.number(s / 60, 1)) min" }
    if s < 172_800 { return "\(HTML.number(s / 3600, 1)) h" }
    return "\(HTML.number(s / 86_400, 1)) days"
  }

  // MARK: - The page

  public func html() -> String {
    var page = HTML.pageStart(title: title, css: JourneyReport.css + ModelReport.css)
    page += """
      <header><h1>\(HTML.escape(title))</h1>
      <ul class="summary" id="summary">\(sentences.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul></header>

      """
    page += section(
      "Where customers go next", graphCaption + " The table below lists every transition.",
      TouchpointGraphDrawing(graph: graph, edges: Array(graph.edges.prefix(drawn))).svg)
    if let changes { page += changeSection(changes) }
    if let comparison { page += comparisonSection(comparison) }
    page += funnelSections()
    if let stepMatrix { page += stepMatrixSection(stepMatrix) }
    page += section(
      "Transitions",
      "Every transition between consecutive events of a session, strongest first: its share of the moves out of the first event type, the customers who made it, the median time between the two events and the loops (back to the first event type right after).",
      transitionTable())
    return page + HTML.pageEnd(footer: "ChurnKit \(ChurnKitVersion.current)")
  }

  /// One section per funnel: its bars, its segments, its weeks or days.
  func funnelSections() -> String {
    funnels.enumerated().map { k, funnel in
      section(
        "Funnel: "
          + (funnel.name.map { "\($0) (\(funnel.steps.joined(separator: " → ")))" }
            ?? funnel.steps.joined(separator: " → ")),
        funnelCaption(funnel), funnelChart(funnel, id: "funnel-\(k + 1)") + segmentTable(funnel) + weekTable(funnel))
    }.joined()
  }

  /// What the graph shows, with the share of all moves it draws.
  var graphCaption: String {
    let shown = graph.edges.prefix(drawn)
    let all = graph.edges.reduce(0) { $0 + $1.transitions }
    let share = Double(shown.reduce(0) { $0 + $1.transitions }) / Double(max(all, 1))
    return
      "The \(shown.count) strongest of \(graph.edges.count) transitions between event types within sessions (\(Self.sessionRule(graph)); \(HTML.percent(share)) of all moves), line width by count. Event types sit left to right by their mean step in a session; blue moves forward, orange goes back, vermillion ends the session."
  }

  func funnelCaption(_ f: Funnel) -> String {
    let unit =
      f.windowSeconds.map {
        "Customers who took the first step, counted when the later steps followed in order within \(Self.duration($0)) of it"
      } ?? "Sessions that took the first step, counted when the later steps followed in order in the same session"
    let overall = f.overall.map {
      " End to end, \(HTML.percent($0.share)) (95% interval \(HTML.percent($0.lower95)) to \(HTML.percent($0.upper95)))."
    }
    return unit + "; each bar's label is the share of the step before, with its Wilson 95% interval." + (overall ?? "")
  }

  /// One bar per step, its length the units that reached it.
  func funnelChart(_ f: Funnel, id: String) -> String {
    let rowHeight = 34.0, labelWidth = 190.0, barMax = 520.0
    let height = Double(f.steps.count) * rowHeight + 20
    let most = Double(max(f.reached.first ?? 1, 1))
    var svg =
      "<svg id=\"\(id)\" viewBox=\"0 0 960 \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape("Funnel: " + f.steps.joined(separator: " → ")))</title>\n"
    for (k, step) in f.steps.enumerated() {
      let y = 10 + Double(k) * rowHeight
      let w = max(1, barMax * Double(f.reached[k]) / most)
      let share = f.conversion[k].map {
        "\(HTML.percent($0.share)) [\(HTML.percent($0.lower95)), \(HTML.percent($0.upper95))]"
      }
      svg +=
        "<text x=\"\(HTML.number(labelWidth - 10))\" y=\"\(HTML.number(y + 20))\" text-anchor=\"end\" class=\"label\">\(HTML.escape(step))</text>\n"
      svg +=
        "<rect class=\"bar\" x=\"\(HTML.number(labelWidth))\" y=\"\(HTML.number(y))\" width=\"\(HTML.number(w))\" height=\"\(HTML.number(rowHeight - 8))\" fill=\"\(HTML.categorical[0])\"><title>\(HTML.escape("\(step): \(f.reached[k]) \(f.unit)" + (share.map { ", \($0) of the step before" } ?? "")))</title></rect>\n"
      svg +=
        "<text x=\"\(HTML.number(labelWidth + w + 8))\" y=\"\(HTML.number(y + 20))\" text-anchor=\"start\" class=\"small\">\(HTML.escape("\(f.reached[k])" + (share.map { " · \($0)" } ?? "")))</text>\n"
    }
    return svg + "</svg>"
  }

  /// Per segment: units entering, reaching the last step, the share and
  /// its interval (empty without segments).
  func segmentTable(_ f: Funnel) -> String {
    guard let column = f.segmentColumn, !f.bySegment.isEmpty else { return "" }
    var html =
      "<table class=\"segments\"><thead><tr><th scope=\"col\">\(HTML.escape(column))</th><th scope=\"col\">entered</th><th scope=\"col\">reached \(HTML.escape(f.steps.last!))</th><th scope=\"col\">end to end</th><th scope=\"col\">95% interval</th></tr></thead><tbody>\n"
    for s in f.bySegment {
      let interval = s.overall.map { "\(HTML.percent($0.lower95)) to \(HTML.percent($0.upper95))" } ?? "–"
      html +=
        "<tr><th scope=\"row\">\(HTML.escape(s.name))</th><td>\(s.reached[0])</td><td>\(s.reached[s.reached.count - 1])</td><td>\(s.overall.map { HTML.percent($0.share) } ?? "–")</td><td>\(interval)</td></tr>\n"
    }
    return html + "</tbody></table>\n"
  }

  /// Per week or day of entry: units entering, reaching the last step,
  /// and the share.
  func weekTable(_ f: Funnel) -> String {
    var html =
      "<table><thead><tr><th scope=\"col\">\(f.period == "day" ? "day" : "week from")</th><th scope=\"col\">entered</th><th scope=\"col\">reached \(HTML.escape(f.steps.last!))</th><th scope=\"col\">share</th></tr></thead><tbody>\n"
    for w in f.byPeriod {
      let (n, k) = (w.reached[0], w.reached[w.reached.count - 1])
      let c = Funnel.wilson(k, n)
      html +=
        "<tr><td>\(HTML.escape(w.start))</td><td>\(n)</td><td>\(k)</td><td>\(HTML.percent(c.share)) [\(HTML.percent(c.lower95)), \(HTML.percent(c.upper95))]</td></tr>\n"
    }
    return html + "</tbody></table>"
  }

  func transitionTable() -> String {
    var html =
      "<table id=\"transitions\"><thead><tr><th scope=\"col\">from</th><th scope=\"col\">to</th><th scope=\"col\">transitions</th><th scope=\"col\">share</th><th scope=\"col\">customers</th><th scope=\"col\">median time</th><th scope=\"col\">loops</th></tr></thead><tbody>\n"
    for e in graph.edges {
      html +=
        "<tr><td>\(HTML.escape(e.from))</td><td>\(HTML.escape(e.to))</td><td>\(e.transitions)</td><td>\(HTML.percent(e.share))</td><td>\(e.customers)</td><td>\(HTML.escape(Self.duration(e.medianSeconds)))</td><td>\(e.loops)</td></tr>\n"
    }
    return html + "</tbody></table>"
  }
}

/// The graph as SVG: nodes placed left to right by their mean step (lanes
/// keep close ones apart), the session's start at the left and its end at
/// the right; each transition a curve bending to its right, so that A → B
/// and B → A stay apart; a return to the same event a loop above it.
struct TouchpointGraphDrawing {
  let graph: TouchpointGraph
  let edges: [TouchpointGraph.Edge]
  var id = "touchpoint-graph"
  var title = "Touchpoint transition graph"
  let width = 960.0

  var svg: String {
    let (position, height) = layout()
    let most = Double(edges.map(\.transitions).max() ?? 1)
    var out =
      "<svg id=\"\(id)\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"\(id)-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"\(id)-title\">\(HTML.escape(title))</title>\n"
    for (k, e) in edges.enumerated() {
      guard let a = position[e.from], let b = position[e.to] else { continue }
      let w = 1 + 13 * Double(e.transitions) / most
      let colour =
        e.to == TouchpointGraph.sessionEnd ? HTML.churnColour : (b.x >= a.x ? HTML.categorical[0] : HTML.categorical[1])
      let tip =
        "\(e.from) → \(e.to): \(e.transitions) transitions, \(HTML.percent(e.share)) of the moves out of \(e.from), \(e.customers) customers"
        + (e.medianSeconds.map { ", median \(TouchpointReport.duration($0))" } ?? "")
        + (e.loops > 0 ? ", \(e.loops) loops back" : "")
      let d: String
      let labelAt: (Double, Double)
      if e.from == e.to {
        d =
          "M\(n(a.x - 8)),\(n(a.y - 14)) C\(n(a.x - 30)),\(n(a.y - 60)) \(n(a.x + 30)),\(n(a.y - 60)) \(n(a.x + 8)),\(n(a.y - 14))"
        labelAt = (a.x, a.y - 52)
      } else {
        let (mx, my) = ((a.x + b.x) / 2, (a.y + b.y) / 2)
        let (dx, dy) = (b.x - a.x, b.y - a.y)
        let length = max((dx * dx + dy * dy).squareRoot(), 1)
        let bend = min(60, 0.18 * length)
        var (cx, cy) = (mx - dy / length * bend, my + dx / length * bend)
        // Ends of sessions arc below the lanes, starts above: they cross
        // the whole page and would otherwise run over the labels.
        if e.to == TouchpointGraph.sessionEnd { cy = max(a.y, b.y) + 40 + 0.15 * length }
        if e.from == TouchpointGraph.sessionStart { cy = min(a.y, b.y) - 40 - 0.15 * length }
        d = "M\(n(a.x)),\(n(a.y)) Q\(n(cx)),\(n(cy)) \(n(b.x)),\(n(b.y))"
        labelAt = ((a.x + 2 * cx + b.x) / 4, (a.y + 2 * cy + b.y) / 4)
      }
      out +=
        "<path class=\"curve\" d=\"\(d)\" stroke=\"\(colour)\" stroke-width=\"\(n(w))\" stroke-opacity=\"0.55\"><title>\(HTML.escape(tip))</title></path>\n"
      if k < 12 {
        out +=
          "<text x=\"\(n(labelAt.0))\" y=\"\(n(labelAt.1))\" text-anchor=\"middle\" class=\"small\">\(HTML.escape(HTML.percent(e.share, 0)))</text>\n"
      }
    }
    for (name, p) in position.sorted(by: { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }) {
      let events = graph.nodes.first { $0.name == name }?.events
      let tip = events.map { "\(name): \(HTML.number(Double($0), 0)) events" } ?? name
      out +=
        "<circle class=\"node\" cx=\"\(n(p.x))\" cy=\"\(n(p.y))\" r=\"9\"><title>\(HTML.escape(tip))</title></circle>\n"
      out +=
        "<text x=\"\(n(p.x))\" y=\"\(n(p.y + 24))\" text-anchor=\"middle\" class=\"label\">\(HTML.escape(name))</text>\n"
    }
    return out + "</svg>"
  }

  private func n(_ v: Double) -> String { HTML.number(v, 1) }

  /// Pixel positions of the nodes the drawn edges touch, and the height
  /// the lanes they use need.
  func layout() -> (positions: [String: (x: Double, y: Double)], height: Double) {
    let names = Set(edges.flatMap { [$0.from, $0.to] })
    let steps = Dictionary(uniqueKeysWithValues: graph.nodes.map { ($0.name, $0.meanStep) })
    let inner = names.filter { !TouchpointReport.isBoundary($0) }.sorted {
      let (a, b) = (steps[$0] ?? 0, steps[$1] ?? 0)
      return a != b ? a < b : $0.utf8.lexicographicallyPrecedes($1.utf8)
    }
    let lo = inner.compactMap { steps[$0] }.min() ?? 1, hi = inner.compactMap { steps[$0] }.max() ?? 1
    let (left, right) = (150.0, width - 150)
    func x(_ step: Double) -> Double { hi > lo ? left + (right - left) * (step - lo) / (hi - lo) : (left + right) / 2 }
    // Lanes around the middle; a node takes the first lane whose last node
    // is far enough to its left.
    let lanes = [0.0, -100, 100, -190, 190]
    var laneEnd = [Double](repeating: -.infinity, count: lanes.count)
    var out: [String: (x: Double, y: Double)] = [:]
    for name in inner {
      let px = x(steps[name] ?? lo)
      let lane = laneEnd.firstIndex { px - $0 >= 110 } ?? laneEnd.indices.min { laneEnd[$0] < laneEnd[$1] }!
      out[name] = (px, lanes[lane])
      laneEnd[lane] = px
    }
    if names.contains(TouchpointGraph.sessionStart) { out[TouchpointGraph.sessionStart] = (50, 0) }
    if names.contains(TouchpointGraph.sessionEnd) { out[TouchpointGraph.sessionEnd] = (width - 50, 0) }
    // Room for the loops above and the session ends' arcs below.
    let top = -(out.values.map(\.y).min() ?? 0) + 90, bottom = (out.values.map(\.y).max() ?? 0) + 150
    return (out.mapValues { ($0.x, $0.y + top) }, top + bottom)
  }
}
