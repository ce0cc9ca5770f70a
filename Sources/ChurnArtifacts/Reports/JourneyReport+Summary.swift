import ChurnModels

/// The parts of the journey page written for a CX team: the summary in
/// plain words, the touchpoints of each stage, the actions a pain point's
/// stage allows, and the method section that keeps the statistics out of
/// the way.
extension JourneyReport {
  // MARK: - The summary

  /// Three sentences from the numbers: where customers are lost, the
  /// biggest pain points, and what the chain expects within about 90 days.
  public var summarySentences: [String] {
    [lossSentence, painSentence, outlookSentence, routingSentence].compactMap { $0 }
  }

  /// When the fitted chain routes a stage's churn through another stage,
  /// the pain points credit that one: say so beside them.
  var routingSentence: String? {
    guard let (s, next) = quietChurnStage, let next else { return nil }
    return
      "Read the pain points with the flow: \(model.moves[s][churned]) customers churned after last being seen in \(model.stages[s]), but the fitted day-by-day chain sends \(model.stages[s]) customers through \(model.stages[next]) before they churn, so the pain points count that churn under \(model.stages[next])."
  }

  var lossSentence: String {
    let stages = model.painPoints.stages
    let total = stages.reduce(0) { $0 + $1.churned }
    guard total > 0, let top = stages.max(by: { $0.churned < $1.churned }) else {
      return "No customer was seen to churn in this log: there is no loss to place."
    }
    return
      "Most customers are lost in \(top.stage): \(top.churned) of the \(total) churns came after it (\(HTML.percent(Double(top.churned) / Double(total))))."
  }

  var painSentence: String? {
    // A pain point that accounts for no customer is none.
    let ranked = model.painPoints.ranked.filter { $0.customers >= 0.5 }.prefix(3)
    guard !ranked.isEmpty else { return nil }
    let items = ranked.enumerated().map { k, p in
      let what = p.touchpoint.map { "\($0) in \(p.stage)" } ?? "the \(p.stage) stage"
      return "\(k + 1). \(what) (\(HTML.number(p.customers, 0)) customers)"
    }
    return "The biggest pain points: " + items.joined(separator: "; ") + "."
  }

  /// The horizon of the chain's outlook closest to 90 days, in days.
  var outlookDays: Int? {
    model.absorption.churnWithin.keys.map { $0 * model.periodDays }.min { abs($0 - 90) < abs($1 - 90) }
  }

  var outlookSentence: String? {
    guard let days = outlookDays, let p = model.absorption.churnWithin[days / model.periodDays] else { return nil }
    let stages = model.absorption.transientStages.indices.filter { model.profiles[$0].customersReached > 0 }
    guard let high = stages.max(by: { p[$0] < p[$1] }), let low = stages.min(by: { p[$0] < p[$1] }) else {
      return nil
    }
    let names = model.absorption.transientStages
    guard high != low else {
      return
        "Within \(days) days the model expects \(HTML.percent(p[high])) of the customers now in \(names[high]) to churn."
    }
    return
      "Within \(days) days the model expects \(HTML.percent(p[high])) of the customers now in \(names[high]) to churn, against \(HTML.percent(p[low])) of those in \(names[low])."
  }

  func summaryBox() -> String {
    "<ul class=\"summary\" id=\"\(idPrefix)summary\">\(summarySentences.map { "<li>\(HTML.escape($0))</li>" }.joined())</ul>"
  }

  // MARK: - Touchpoints

  /// Per stage, its busiest touchpoints (event type via channel): events,
  /// mean sentiment, and the churns they were the last touch before.
  func touchpointTable() -> String {
    let byStage = Dictionary(grouping: model.painPoints.touchpoints, by: \.stage)
    var rows = ""
    for stage in model.stages.dropLast() {
      guard let touches = byStage[stage], !touches.isEmpty else { continue }
      let shown = touches.sorted { ($0.events, $1.event) > ($1.events, $0.event) }.prefix(6)
      for (k, t) in shown.enumerated() {
        let name = t.channel.isEmpty ? t.event : "\(t.event) via \(t.channel)"
        let sentiment = t.meanSentiment.map { HTML.number($0, 2) } ?? "–"
        let tone = (t.meanSentiment ?? 0) < 0 ? " class=\"negative\"" : ""
        rows += "<tr>"
        if k == 0 { rows += "<th scope=\"rowgroup\" rowspan=\"\(shown.count)\">\(HTML.escape(stage))</th>" }
        rows +=
          "<td class=\"name\">\(HTML.escape(name))</td><td>\(t.events)</td><td\(tone)>\(sentiment)</td><td>\(t.lastTouchChurns)</td><td>\(HTML.percent(t.churnShare))</td></tr>\n"
      }
    }
    guard !rows.isEmpty else { return "<p>No touchpoints recorded.</p>" }
    return
      "<table id=\"\(idPrefix)touchpoints\" class=\"touchpoints\"><thead><tr><th>stage</th><th>touchpoint</th><th>events</th><th>mean sentiment</th><th>last touch before churn</th><th>share of the stage's churns</th></tr></thead><tbody>\n\(rows)</tbody></table>"
  }

  // MARK: - Actions

  /// The catalog's actions a customer in the pain point's stage may
  /// receive, said after it.
  func actionsNote(for stage: String) -> String {
    guard let catalog = actionsByStage else { return "" }
    let actions = catalog[stage] ?? []
    guard !actions.isEmpty else { return " <span class=\"actions\">No action in the catalog is for this stage.</span>" }
    return
      " <span class=\"actions\">Actions for this stage: \(actions.map(HTML.escape).joined(separator: ", ")).</span>"
  }

  // MARK: - Method

  func methodSection() -> String {
    let items = [
      "Stages and moves: each customer's events in time order; a stay in a stage runs from the midpoint between the last event in the previous stage and the first in this one. Churn is \(churnDefinitionText).",
      transitionMethod(),
      "Pain points: for a stage, its removal effect — the share of churn within a year that would disappear if nobody churned from it, by the absorbing Markov chain — times the customers seen to churn; for a touchpoint, the churns it was the last touch before, beyond its share of the stage's events.",
      "Churn outlook: the chain's absorption probabilities and expected times to absorption from each stage (the fundamental matrix).",
      "Retention: the Kaplan–Meier estimate by days since the first event, customers still active at the end of the data censored there, with a 95% interval from Greenwood's variance on the log(−log) scale.",
      "Emotion curve: the mean of the events' sentiment in each stage, with a 95% interval from its standard error clustered by customer (one customer's ratings move together).",
    ]
    return
      "<section id=\"method\"><h2>How these are computed</h2>\n<ul class=\"method\">\(items.map { "<li>\(HTML.escape($0))</li>" }.joined(separator: "\n"))</ul>\n</section>\n"
  }

  var churnDefinitionText: String {
    "a move into the churned stage (a churn event, or a silence longer than the inactivity window when one is set)"
  }

  func transitionMethod() -> String {
    let source =
      model.maximumLikelihoodIterations > 0
      ? "fitted by maximum likelihood over the unseen days between events (expectation–maximisation)"
      : "from counted stays and moves with Dirichlet smoothing (α = \(HTML.number(model.dirichletAlpha, 2)))"
    let intervals =
      model.bootstrapReplicates > 0
      ? "; intervals from \(model.bootstrapReplicates) bootstrap resamples of customers" : ""
    return
      "Transition probabilities: one period (\(model.periodDays) day\(model.periodDays == 1 ? "" : "s")) apart, \(source)\(intervals)."
  }
}

extension JourneyReport {
  /// One view per segment, folded (details and summary: no script): its
  /// summary, funnel, pain points, touchpoints and emotion curve, each from
  /// the segment's own chain.
  func segmentViews(_ comparison: StageSegmentComparison) -> String {
    var html =
      "<p class=\"caption\">Open a segment to see the journey of its customers alone.</p>\n"
    for (k, segment) in comparison.segments.enumerated() {
      var view = JourneyReport(model: segment.model, title: segment.name)
      view.idPrefix = "segment-\(k + 1)-"
      view.actionsByStage = actionsByStage
      html +=
        "<details class=\"segment\" id=\"segment-\(k + 1)\"><summary>\(HTML.escape(comparison.column)) = \(HTML.escape(segment.name)) (\(segment.customers) customers)</summary>\n"
      html += view.summaryBox()
      html += "<h3>Funnel</h3>\n" + view.funnel()
      html += "<h3>Pain points</h3>\n" + view.painPoints()
      html += "<h3>Touchpoints by stage</h3>\n" + view.touchpointTable()
      html += "<h3>Emotion curve</h3>\n" + view.sentimentChart()
      html += "</details>\n"
    }
    return html
  }
}
