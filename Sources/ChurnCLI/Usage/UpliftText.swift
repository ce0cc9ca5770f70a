import ChurnDecisions
import Foundation

/// The uplift part of `train`'s report: effects per action and stage, the
/// propensity diagnostics, and the holdout evaluation.
enum UpliftText {
  static func render(_ u: UpliftModel) -> String {
    effects(u) + stageMoves(u) + reachability(u) + propensity(u) + holdout(u)
  }

  /// Who is still there to be reached, per stage and silence.
  private static func reachability(_ u: UpliftModel) -> String {
    guard let r = u.reachability else { return "" }
    return
      "\nStill reachable: share with activity of their own within \(r.horizonDays)d, by stage and days silent (scales each action's gain):\n"
      + r.lines(stageNames: u.stages).map { "  " + $0 + "\n" }.joined()
  }

  private static func pad(_ s: String, _ n: Int) -> String {
    s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
  }

  private static func pts(_ v: Double?) -> String { v.map { String(format: "%+.2f", $0 * 100) } ?? "–" }

  /// Each action's effect, by stage, how long it works and what it varies with.
  private static func effects(_ u: UpliftModel) -> String {
    var out = "Next best action (\(u.learner.heading(horizonDays: u.horizonDays, windowDays: u.windowDays))):\n"
    for (a, e) in u.effects.enumerated() {
      out +=
        "  \(pad(e.action, 16)) treated \(pad(String(e.treatedRows), 6)) churn prevented \(pts(e.overall)) ± \(String(format: "%.2f", 1.96 * e.overallStandardError * 100)) pts (treated against untreated)\n"
      if let scale = u.learner.logOddsScale {
        if let days = u.learner.effectDays(a) {
          out +=
            "    works for \(days) days"
            + (u.catalog.actions[a].effectDays == nil ? " (most likely of the durations tried)" : " (catalog)") + "\n"
        }
        let stages = e.stages.filter { $0.logOddsPrior != nil }
        if !stages.isEmpty {
          out +=
            "    log-odds effect\(scale) by stage: "
            + stages.map { "\($0.stage) \(String(format: "%+.3f", $0.logOddsPrior!))" }.joined(separator: ", ") + "\n"
        }
        out += modifierLines(u.learner.effectModifiers[a], e, scale: "the log-odds of churn")
      } else {
        out +=
          "    by stage (shrunk): "
          + e.stages.filter { $0.treatedRows > 0 && $0.direct != nil }.map {
            "\($0.stage) \(pts($0.prior)) (weight \(String(format: "%.2f", $0.customerWeight)))"
          }.joined(separator: ", ") + "\n"
        if u.learner.kind == .dr {
          out += modifierLines(u.learner.effectModifiers[a], e, scale: "churn (probability)")
        }
      }
    }
    let treated = u.effects.map(\.treatedRows).sorted()
    if !treated.isEmpty, let advice = u.learner.advice(medianTreatedRows: treated[treated.count / 2]) {
      out += "  \(advice)\n"
    }
    return out
  }

  /// What the effect varies with: per modifier its interaction coefficient,
  /// standard error, how far it moves the effect across customers, and a
  /// reading; then the share the model expects the action to harm.
  private static func modifierLines(_ names: [String], _ e: UpliftModel.ActionEffects, scale: String) -> String {
    let spread = "spread of customer effects σ² \(String(format: "%.4f", e.heterogeneityVariance))"
    guard !names.isEmpty else { return "    varies with: nothing the data show (\(spread))\n" }
    guard let modifiers = e.modifiers, modifiers.count == names.count else {
      return "    varies with: \(names.joined(separator: ", ")) (\(spread))\n"
    }
    var out =
      "    varies with (\(spread); the change in its effect on \(scale) per unit ± 1.96 SE, and how much the feature moves the effect across customers):\n"
    let width = modifiers.map(\.feature.count).max() ?? 0
    for m in modifiers.sorted(by: { abs($0.effectChange) > abs($1.effectChange) }) {
      out +=
        "      \(pad(m.feature, width)) \(String(format: "%+.4g ± %.2g", m.coefficient, 1.96 * m.standardError))  \(m.binary ? "0 → 1" : String(format: "±1 SD (%.3g)", (m.high - m.low) / 2)) moves the effect \(String(format: "%+.2f", m.effectChange)): \(m.reading)\n"
    }
    if let harmed = e.harmedShare, harmed > 0 {
      out +=
        "    before shrinkage its estimate raises churn for \(String(format: "%.1f%%", harmed * 100)) of eligible customers\n"
    }
    return out
  }

  /// Stage moves after each action against the stage's days without one.
  private static func stageMoves(_ u: UpliftModel) -> String {
    var out = ""
    if !u.stageTransitions.isEmpty {
      out +=
        "\nStage moves within \(u.stageTransitions[0].windowDays) days of an action, as rate ratios against the stage's days without one (95% interval):\n"
      for e in u.stageTransitions {
        let churn =
          e.churnRateRatio.map { r in
            String(format: "%.2f", r)
              + (e.churnRateRatioInterval.map { String(format: " [%.2f, %.2f]", $0.lower, $0.upper) } ?? "")
          } ?? "–"
        let advance = e.advanceRateRatio.map { String(format: "%.2f", $0) } ?? "–"
        out +=
          "  \(pad(e.action, 16)) \(pad(e.stage, 14)) churn ×\(pad(churn, 20)) advance ×\(pad(advance, 6)) (\(String(format: "%.0f", e.exposedDays)) days after the action, \(e.exposedChurns) churned)\n"
      }
    }
    return out
  }

  private static func propensity(_ u: UpliftModel) -> String {
    var out = "\nPropensity (assignment: \(u.assignment.rawValue)): AUC near 0.5 means treatment looks random\n"
    for d in u.propensity {
      out +=
        "  \(pad(d.action, 16)) AUC \(String(format: "%.3f", d.auc))  treated \(d.treatedRows), controls \(d.controlRows), clipped \(String(format: "%.1f%%", d.clippedShare * 100)), effective treated \(String(format: "%.0f", d.effectiveTreatedRows))\n"
    }
    return out
  }

  /// The holdout's ranking per action and the policies' values.
  private static func holdout(_ u: UpliftModel) -> String {
    var out = "\nHoldout (\(u.evaluation.holdout)):\n"
    for r in u.evaluation.actions {
      out +=
        "  \(pad(r.action, 16)) Qini coefficient \(String(format: "%.3f", r.qiniCoefficient))  uplift AUC \(String(format: "%.3f", r.upliftAUC))  (\(r.treatedRows) treated, \(r.controlRows) controls)\n"
    }
    out += "  Policy value per customer against no action (inverse propensity weighted, 95% bootstrap interval):\n"
    for p in u.evaluation.policies {
      out +=
        "    \(pad(p.policy, 32)) \(String(format: "%+.2f [%+.2f, %+.2f]", p.netValuePerCustomer, p.lower95, p.upper95))  treats \(String(format: "%.1f%%", p.treatedShare * 100)), churn prevented \(String(format: "%+.2f", p.churnPreventedPerCustomer * 100)) pts\n"
    }
    return out
  }
}
