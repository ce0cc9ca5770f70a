import ChurnModels
import Foundation

/// What drives the risk (the coefficients as odds ratios per standard
/// deviation) and how the features moved since training.
extension ModelReport {
  /// At most this many features in the forest plot and the drift bars.
  static let shownFeatures = 30

  /// The fitted terms (no intercept) with their effect per training
  /// standard deviation, largest first.
  var standardizedTerms: [(term: LogisticRegressionFit.Term, scale: Double)] {
    let fit = model.fit
    return fit.terms.indices.dropFirst().map {
      (fit.terms[$0], fit.scales.indices.contains($0 - 1) ? fit.scales[$0 - 1] : 1)
    }
    .filter { $0.term.coefficient != 0 || $0.term.standardError > 0 }
    .sorted { abs($0.term.coefficient * $0.scale) > abs($1.term.coefficient * $1.scale) }
  }

  var coefficientCaption: String {
    let terms = standardizedTerms
    guard let top = terms.first else { return "The model has no fitted feature." }
    let ratio = exp(top.term.coefficient * top.scale)
    let direction = ratio >= 1 ? "multiplies" : "divides"
    let factor = ratio >= 1 ? ratio : 1 / ratio
    let shown = min(terms.count, Self.shownFeatures)
    return
      "Odds ratio of churning per standard deviation of each feature (as in training), with its 95% interval, the \(shown) largest of \(terms.count) effects on a log scale; right of 1 raises the risk. The largest: one standard deviation more of \(FeaturePhrases.phrase(top.term.name)) (\(top.term.name)) \(direction) the odds of churning by \(HTML.number(factor, 2))."
  }

  func coefficientChart() -> String {
    let terms = Array(standardizedTerms.prefix(Self.shownFeatures))
    let rowHeight = 20.0, top = 16.0, labelWidth = 300.0, width = 960.0, plotRight = 40.0
    let height = top + rowHeight * Double(max(terms.count, 1)) + 46
    let logs = terms.flatMap { [$0.term.lower95 * $0.scale, $0.term.upper95 * $0.scale] }.filter(\.isFinite)
    let reach = max(0.5, min(4, logs.map(abs).max() ?? 1))
    func x(_ logOdds: Double) -> Double {
      labelWidth + (width - labelWidth - plotRight) * (min(max(logOdds, -reach), reach) + reach) / (2 * reach)
    }
    var svg =
      "<svg id=\"coefficients\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"coefficients-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"coefficients-title\">Odds ratios per standard deviation</title>\n"
    let bottom = top + rowHeight * Double(terms.count)
    for ratio in [0.25, 0.5, 1, 2, 4] where abs(log(ratio)) <= reach + 1e-9 {
      let px = HTML.number(x(log(ratio)), 2)
      svg +=
        "<line x1=\"\(px)\" y1=\"\(HTML.number(top - 6))\" x2=\"\(px)\" y2=\"\(HTML.number(bottom))\" class=\"\(ratio == 1 ? "zero" : "grid")\"/>\n<text x=\"\(px)\" y=\"\(HTML.number(bottom + 18))\" text-anchor=\"middle\" class=\"axis\">\(HTML.number(ratio, ratio < 1 ? 2 : 0))</text>\n"
    }
    svg +=
      "<text x=\"\(HTML.number(x(0), 2))\" y=\"\(HTML.number(bottom + 38))\" text-anchor=\"middle\" class=\"axis\">odds ratio per standard deviation (log scale)</text>\n"
    for (k, (term, scale)) in terms.enumerated() {
      let cy = top + rowHeight * (Double(k) + 0.5)
      let (lo, hi, mid) = (term.lower95 * scale, term.upper95 * scale, term.coefficient * scale)
      let colour = mid >= 0 ? HTML.churnColour : HTML.categorical[0]
      let tip =
        "\(term.name): odds ratio \(HTML.number(exp(mid), 3)) per standard deviation (\(HTML.number(scale, 3))), 95% interval \(HTML.number(exp(lo), 3))–\(HTML.number(exp(hi), 3)), p = \(HTML.number(term.pValue, 4))"
      svg +=
        "<text x=\"\(HTML.number(labelWidth - 10))\" y=\"\(HTML.number(cy + 4))\" text-anchor=\"end\" class=\"small\">\(HTML.escape(term.name))</text>\n"
      if lo.isFinite && hi.isFinite {
        svg +=
          "<line x1=\"\(HTML.number(x(lo), 2))\" y1=\"\(HTML.number(cy))\" x2=\"\(HTML.number(x(hi), 2))\" y2=\"\(HTML.number(cy))\" class=\"whisker\" stroke=\"\(colour)\"/>\n"
      }
      svg +=
        "<circle cx=\"\(HTML.number(x(mid), 2))\" cy=\"\(HTML.number(cy))\" r=\"4.5\" fill=\"\(colour)\"><title>\(HTML.escape(tip))</title></circle>\n"
    }
    return svg + "</svg>"
  }

  /// The features the fit set aside, and why.
  func droppedList() -> String {
    guard let dropped = model.fit.dropped, !dropped.isEmpty else { return "" }
    let items = dropped.map { "<li><code>\(HTML.escape($0.name))</code>: \(HTML.escape($0.description))</li>" }
    return
      "<p class=\"caption\">Not fitted (\(dropped.count)): constant in training, or with no effect of their own to estimate.</p><ul id=\"dropped\">\(items.joined())</ul>"
  }

  /// Population stability index of each feature here against training.
  var drift: [(name: String, psi: Double, calendar: Bool)] {
    model.features.indices.compactMap { j -> (name: String, psi: Double, calendar: Bool)? in
      guard j < model.reference.features.count else { return nil }
      let column = (0..<features.rows).map { features[$0, j] }
      let psi = model.reference.features[j].stabilityIndex(column)
      return (model.features[j], psi, ScoreSummary.movesWithCalendar(model.features[j], spec: model.featureSpec))
    }
    .sorted { $0.psi > $1.psi }
  }

  var driftCaption: String {
    let moved = drift.filter { !$0.calendar && $0.psi > 0.2 }
    let base =
      "Population stability index (PSI) of each feature here against the training data, the largest \(Self.shownFeatures): below 0.1 stable, above 0.2 shifted. Features that grow with the calendar (tenure, days since a date) are grey: a later cutoff moves them by construction."
    guard !moved.isEmpty else { return base + " No feature has shifted." }
    return base
      + " Shifted: \(moved.prefix(5).map(\.name).joined(separator: ", "))\(moved.count > 5 ? " and \(moved.count - 5) more" : "")."
  }

  func driftChart() -> String {
    let shown = Array(drift.prefix(Self.shownFeatures))
    let rowHeight = 18.0, top = 10.0, labelWidth = 300.0, width = 960.0
    let height = top + rowHeight * Double(max(shown.count, 1)) + 40
    let upper = JourneyReport.niceCeiling(max(0.25, shown.map(\.psi).filter(\.isFinite).max() ?? 0.25))
    func x(_ v: Double) -> Double { labelWidth + (width - labelWidth - 30) * min(max(v, 0), upper) / upper }
    var svg =
      "<svg id=\"drift\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"drift-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"drift-title\">Feature drift (PSI)</title>\n"
    let bottom = top + rowHeight * Double(shown.count)
    for t in JourneyReport.ticks(upTo: upper) {
      svg +=
        "<line x1=\"\(HTML.number(x(t), 2))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(t), 2))\" y2=\"\(HTML.number(bottom))\" class=\"\(t == 0.2 ? "zero" : "grid")\"/>\n<text x=\"\(HTML.number(x(t), 2))\" y=\"\(HTML.number(bottom + 16))\" text-anchor=\"middle\" class=\"axis\">\(HTML.number(t, 2))</text>\n"
    }
    for (k, item) in shown.enumerated() {
      let y = top + rowHeight * Double(k)
      let colour = item.calendar ? "#999" : (item.psi > 0.2 ? HTML.churnColour : HTML.categorical[0])
      svg +=
        "<text x=\"\(HTML.number(labelWidth - 10))\" y=\"\(HTML.number(y + 13))\" text-anchor=\"end\" class=\"small\">\(HTML.escape(item.name))</text>\n<rect x=\"\(HTML.number(labelWidth))\" y=\"\(HTML.number(y + 3))\" width=\"\(HTML.number(max(0.5, x(item.psi) - labelWidth), 2))\" height=\"\(HTML.number(rowHeight - 6))\" fill=\"\(colour)\"><title>\(HTML.escape("\(item.name): PSI \(HTML.number(item.psi, 4))"))</title></rect>\n"
    }
    return svg + "</svg>"
  }
}
