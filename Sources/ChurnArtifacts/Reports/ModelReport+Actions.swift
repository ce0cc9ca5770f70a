import ChurnDecisions
import Foundation

/// For a model with actions: how well each action's predicted uplift ranks
/// who responds (Qini curves from the uplift holdout), what the policies
/// are worth, and the plan's action mix on this data by stage.
extension ModelReport {
  var hasActions: Bool { model.uplift != nil }

  var qiniCaption: String {
    guard let uplift = model.uplift else { return "" }
    let coefficients = uplift.evaluation.actions.map { "\($0.action) \(HTML.number($0.qiniCoefficient, 3))" }
    return
      "On the uplift holdout (\(uplift.evaluation.holdout)): the extra customers kept, against what the untreated rate implies, when treating customers in the order of the action's predicted uplift; dashed, the same share picked at random. Qini coefficients (0 a random order, 1 a perfect one, out of reach with noisy outcomes): \(coefficients.joined(separator: ", "))."
  }

  func qiniChart() -> String {
    let actions = model.uplift?.evaluation.actions ?? []
    return curveChart(
      id: "qini", title: "Qini curves per action", yTitle: "extra customers kept",
      curves: actions.map { ($0.action, $0.curveTargeted, $0.curveQini) })
  }

  /// The uplift curves (churn prevented per customer treated, as the
  /// difference of retention rates times the customers so far), when the
  /// model kept them.
  func upliftChart() -> String? {
    let actions = model.uplift?.evaluation.actions ?? []
    guard !actions.isEmpty, actions.allSatisfy({ $0.curveUplift?.count == $0.curveTargeted.count }) else { return nil }
    return curveChart(
      id: "uplift", title: "Uplift curves per action", yTitle: "customers kept (rate difference × n)",
      curves: actions.map { ($0.action, $0.curveTargeted, $0.curveUplift ?? []) })
  }

  /// One curve per action over the share treated, each with its random
  /// line (dashed, straight to the same end).
  private func curveChart(
    id: String, title: String, yTitle: String, curves: [(name: String, x: [Double], y: [Double])]
  ) -> String {
    let values = curves.flatMap(\.y).filter(\.isFinite)
    let high = JourneyReport.niceCeiling(max(1, values.max() ?? 1))
    let low = -JourneyReport.niceCeiling(max(0, -(values.min() ?? 0)))
    let step = JourneyReport.niceCeiling((high - low) / 5)
    let ticks = stride(from: (low / step).rounded(.down) * step, through: high + 1e-9, by: step).map { $0 }
    var plot = SVGPlot(id: id, title: title, y: (ticks.first ?? low)...high)
    plot.axes(
      x: "share of the holdout treated, highest predicted uplift first", y: yTitle,
      xTicks: [0, 0.2, 0.4, 0.6, 0.8, 1], yTicks: ticks)
    for (k, curve) in curves.enumerated() {
      let colour = HTML.categorical[k % HTML.categorical.count]
      plot.polyline([(0, 0), (curve.x.last ?? 1, curve.y.last ?? 0)], colour: colour, width: 1.2, dashed: true)
      plot.polyline(Array(zip(curve.x, curve.y)), colour: colour)
    }
    plot.legend(curves.enumerated().map { ($1.name, HTML.categorical[$0 % HTML.categorical.count]) })
    return plot.svg
  }

  var policySentence: String {
    guard let policies = model.uplift?.evaluation.policies,
      let plan = policies.first(where: { $0.policy == "recommended" })
    else { return "" }
    var sentence =
      "On the holdout, the recommended plan is worth \(HTML.number(plan.netValuePerCustomer, 2)) per customer against doing nothing (95% interval \(HTML.number(plan.lower95, 2)) to \(HTML.number(plan.upper95, 2)))"
    if plan.lower95 <= 0 && plan.upper95 >= 0 {
      sentence += "; the interval includes 0: the holdout cannot tell it from doing nothing"
    }
    let others = policies.filter { $0.policy != "recommended" && $0.policy != "no action" }
    if !others.isEmpty {
      sentence +=
        "; " + others.map { "\($0.policy): \(HTML.number($0.netValuePerCustomer, 2))" }.joined(separator: ", ")
    }
    return sentence + "."
  }

  func policyChart() -> String {
    let policies = model.uplift?.evaluation.policies ?? []
    let rowHeight = 34.0, top = 12.0, labelWidth = 260.0, width = 960.0
    let height = top + rowHeight * Double(max(policies.count, 1)) + 44
    let ends = policies.flatMap { [$0.lower95, $0.upper95, $0.netValuePerCustomer] }.filter(\.isFinite) + [0]
    let reach = JourneyReport.niceCeiling(ends.map(abs).max() ?? 1)
    func x(_ v: Double) -> Double {
      labelWidth + (width - labelWidth - 30) * (min(max(v, -reach), reach) + reach) / (2 * reach)
    }
    var svg =
      "<svg id=\"policies\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" width=\"100%\" role=\"img\" aria-labelledby=\"policies-title\" xmlns=\"http://www.w3.org/2000/svg\"><title id=\"policies-title\">Net value per customer of each policy</title>\n"
    let bottom = top + rowHeight * Double(policies.count)
    for t in [-reach, -reach / 2, 0, reach / 2, reach] {
      svg +=
        "<line x1=\"\(HTML.number(x(t), 2))\" y1=\"\(HTML.number(top))\" x2=\"\(HTML.number(x(t), 2))\" y2=\"\(HTML.number(bottom))\" class=\"\(t == 0 ? "zero" : "grid")\"/>\n<text x=\"\(HTML.number(x(t), 2))\" y=\"\(HTML.number(bottom + 18))\" text-anchor=\"middle\" class=\"axis\">\(HTML.number(t, t.rounded() == t ? 0 : 1))</text>\n"
    }
    svg +=
      "<text x=\"\(HTML.number(x(0), 2))\" y=\"\(HTML.number(bottom + 38))\" text-anchor=\"middle\" class=\"axis\">net value per customer against doing nothing, 95% interval</text>\n"
    for (k, p) in policies.enumerated() {
      let cy = top + rowHeight * (Double(k) + 0.5)
      let colour = p.policy == "recommended" ? HTML.categorical[0] : "#777"
      let tip =
        "\(p.policy): \(HTML.number(p.netValuePerCustomer, 3)) per customer (\(HTML.number(p.lower95, 3)) to \(HTML.number(p.upper95, 3))), \(HTML.percent(p.treatedShare)) treated"
      svg +=
        "<text x=\"\(HTML.number(labelWidth - 10))\" y=\"\(HTML.number(cy + 4))\" text-anchor=\"end\" class=\"small\">\(HTML.escape(p.policy))</text>\n<line x1=\"\(HTML.number(x(p.lower95), 2))\" y1=\"\(HTML.number(cy))\" x2=\"\(HTML.number(x(p.upper95), 2))\" y2=\"\(HTML.number(cy))\" stroke=\"\(colour)\" stroke-width=\"2\"/>\n<rect x=\"\(HTML.number(min(x(0), x(p.netValuePerCustomer)), 2))\" y=\"\(HTML.number(cy - 7))\" width=\"\(HTML.number(max(1, abs(x(p.netValuePerCustomer) - x(0))), 2))\" height=\"14\" fill=\"\(colour)\" fill-opacity=\"0.6\"><title>\(HTML.escape(tip))</title></rect>\n"
    }
    return svg + "</svg>"
  }

  /// The plan on this data: each customer's best action (or none), counted
  /// by their current stage.
  func actionMix() -> (table: String, sentence: String) {
    guard let uplift = model.uplift, let columns = try? uplift.columns(for: model.features) else { return ("", "") }
    let actions = uplift.catalog.actions.map(\.id) + ["none"]
    let stageColumns = uplift.stages.map { model.features.firstIndex(of: "stage_\($0)") }
    var counts: [String: [Int]] = [:]
    var order: [String] = []
    for i in 0..<features.rows {
      let row = features.row(i)
      let decision = uplift.decide(features: row, columns: columns)
      let stage =
        stageColumns.enumerated().first { $0.element.map { row[$0] == 1 } ?? false }.map { uplift.stages[$0.offset] }
        ?? "no stage"
      if counts[stage] == nil {
        counts[stage] = [Int](repeating: 0, count: actions.count)
        order.append(stage)
      }
      counts[stage]![decision.action ?? actions.count - 1] += 1
    }
    let stages = uplift.stages.filter { counts[$0] != nil } + (counts["no stage"] == nil ? [] : ["no stage"])
    var rows = ""
    for stage in stages {
      rows +=
        "<tr><th scope=\"row\">\(HTML.escape(stage))</th>\(counts[stage]!.map { "<td>\($0)</td>" }.joined())</tr>\n"
    }
    let totals = actions.indices.map { a in counts.values.reduce(0) { $0 + $1[a] } }
    let treated = totals.dropLast().reduce(0, +)
    let table =
      "<table id=\"action-mix\"><thead><tr><th>stage</th>\(actions.map { "<th>\(HTML.escape($0))</th>" }.joined())</tr></thead><tbody>\n\(rows)</tbody></table>"
    let sentence =
      "On this data the plan treats \(treated) of \(features.rows) customers (\(HTML.percent(Double(treated) / Double(max(1, features.rows))))): "
      + actions.indices.dropLast().map { "\(actions[$0]) \(totals[$0])" }.joined(separator: ", ")
      + ". Capacities and budgets are left to churnkit recommend."
    return (table, sentence)
  }

  /// The plan's actions by the category of each categorical customers-table
  /// column (from the model's one-hot features; the pooled and unseen
  /// categories together as "other").
  func actionMixBySegment() -> String {
    guard let uplift = model.uplift, let columns = try? uplift.columns(for: model.features) else { return "" }
    let encodings = (model.featureSpec?.staticEncodings ?? []).filter { $0.kind == .categorical }
    guard !encodings.isEmpty else { return "" }
    let actions = uplift.catalog.actions.map(\.id) + ["none"]
    let decisions = (0..<features.rows).map { uplift.decide(features: features.row($0), columns: columns).action }
    var html = ""
    for encoding in encodings {
      let names = encoding.categories + ["other"]
      let positions = names.map { model.features.firstIndex(of: "\(encoding.column)_\($0)") }
      var counts = [[Int]](repeating: [Int](repeating: 0, count: actions.count), count: names.count)
      for i in 0..<features.rows {
        guard let k = positions.firstIndex(where: { $0.map { features[i, $0] == 1 } ?? false }) else { continue }
        counts[k][decisions[i] ?? actions.count - 1] += 1
      }
      var rows = ""
      for (k, name) in names.enumerated() where counts[k].reduce(0, +) > 0 {
        rows +=
          "<tr><th scope=\"row\">\(HTML.escape(name))</th>\(counts[k].map { "<td>\($0)</td>" }.joined())</tr>\n"
      }
      html +=
        "<table class=\"action-mix\"><thead><tr><th>\(HTML.escape(encoding.column))</th>\(actions.map { "<th>\(HTML.escape($0))</th>" }.joined())</tr></thead><tbody>\n\(rows)</tbody></table>\n"
    }
    return html
  }

  func actionSections() -> String {
    guard hasActions else { return "" }
    let mix = actionMix()
    let curves = upliftChart().map { "<div class=\"pair\">\(qiniChart())\($0)</div>" } ?? qiniChart()
    return section("How well each action is targeted", qiniCaption, curves)
      + section("What the policies are worth", policySentence, policyChart())
      + section("The plan's actions by stage", mix.sentence, mix.table)
      + {
        let segments = actionMixBySegment()
        return segments.isEmpty
          ? ""
          : section(
            "The plan's actions by segment", "The same decisions by each customers-table attribute the model uses.",
            segments)
      }()
  }
}
