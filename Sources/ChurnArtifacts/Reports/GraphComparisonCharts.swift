import ChurnModels

/// The comparison section of the touchpoint page: the transitions whose
/// share differs between the two groups as a dumbbell chart (one dot per
/// group, joined), then the two graphs one above the other.
extension TouchpointReport {
  func comparisonSection(_ c: GraphComparison) -> String {
    let found = c.significant
    let caption =
      "\(c.a) (\(c.graphA.sessions) sessions of \(c.graphA.customers) customers) against \(c.b) (\(c.graphB.sessions) sessions of \(c.graphB.customers) customers): each transition's share of the moves out of its first event type in each group, tested with the design effect of clustering by customer, the false discovery rate held at \(HTML.percent(c.fdr, 0)) across the \(c.differences.count) transitions tested. \(found.count) differ; the \(min(found.count, 15)) largest are drawn, \(c.a) in blue and \(c.b) in orange."
    var body = differenceChart(c, Array(found.prefix(15)))
    for (id, graph, name) in [("compare-graph-a", c.graphA, c.a), ("compare-graph-b", c.graphB, c.b)] {
      body += "<h3>\(HTML.escape(name))</h3>\n"
      body +=
        TouchpointGraphDrawing(
          graph: graph, edges: Array(graph.edges.prefix(drawn)), id: id, title: "Transition graph: \(name)"
        ).svg + "\n"
    }
    return section("Compared: \(c.a) against \(c.b)", caption, body)
  }

  /// One row per transition: the two shares as dots on a 0–100% axis.
  func differenceChart(_ c: GraphComparison, _ rows: [GraphComparison.Difference]) -> String {
    let (labelWidth, left, right, rowHeight, top) = (300.0, 310.0, 30.0, 26.0, 30.0)
    let height = top + Double(max(rows.count, 1)) * rowHeight + 10
    let x = { (share: Double) in left + (960 - left - right) * share }
    var svg =
      "<svg id=\"compare-differences\" viewBox=\"0 0 960 \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"compare-differences-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"compare-differences-title\">\(HTML.escape("Transitions that differ: \(c.a) against \(c.b)"))</title>\n"
    for tick in [0.0, 0.25, 0.5, 0.75, 1.0] {
      svg +=
        "<line x1=\"\(HTML.number(x(tick)))\" x2=\"\(HTML.number(x(tick)))\" y1=\"\(HTML.number(top - 8))\" y2=\"\(HTML.number(height - 6))\" stroke=\"#e5e5e5\"/><text x=\"\(HTML.number(x(tick)))\" y=\"\(HTML.number(top - 12))\" text-anchor=\"middle\" class=\"small\">\(HTML.percent(tick, 0))</text>\n"
    }
    if rows.isEmpty {
      svg +=
        "<text x=\"\(HTML.number(left))\" y=\"\(HTML.number(top + 16))\" class=\"small\">No transition differs.</text>\n"
    }
    for (k, d) in rows.enumerated() {
      let y = top + Double(k) * rowHeight + rowHeight / 2
      let label = "\(d.from) → \(d.to)"
      let tip =
        "\(label): \(HTML.percent(d.shareA)) of \(d.trialsA) in \(c.a), \(HTML.percent(d.shareB)) of \(d.trialsB) in \(c.b) (q \(d.q < 0.0001 ? "< 0.0001" : HTML.number(d.q, 4)))"
      svg +=
        "<text x=\"\(HTML.number(labelWidth))\" y=\"\(HTML.number(y + 4))\" text-anchor=\"end\" class=\"label\">\(HTML.escape(label))</text>\n"
      svg +=
        "<g><title>\(HTML.escape(tip))</title><line x1=\"\(HTML.number(x(d.shareA)))\" x2=\"\(HTML.number(x(d.shareB)))\" y1=\"\(HTML.number(y))\" y2=\"\(HTML.number(y))\" stroke=\"#999\" stroke-width=\"2\"/><circle cx=\"\(HTML.number(x(d.shareA)))\" cy=\"\(HTML.number(y))\" r=\"6\" fill=\"\(HTML.categorical[0])\"/><circle cx=\"\(HTML.number(x(d.shareB)))\" cy=\"\(HTML.number(y))\" r=\"6\" fill=\"\(HTML.categorical[1])\"/></g>\n"
    }
    return svg + "</svg>\n"
  }
}
