import ChurnIO
import ChurnModels
import Foundation

/// The touchpoint analyses as text: the summary `churnkit touchpoints`
/// prints, and the CSV tables it writes (every transition; every test of
/// the change scan).
public enum TouchpointText {
  public static func render(_ c: GraphComparison) -> String {
    let found = c.significant
    var out =
      "\nCompared: \(printable(c.a)) (\(c.graphA.sessions) sessions) against \(printable(c.b)) (\(c.graphB.sessions) sessions); \(c.differences.count) transitions tested, \(found.count) differ at a false discovery rate of \(CSVFormatting.number(c.fdr * 100))%:\n"
    for d in found.prefix(20) {
      out += String(
        format: "  %@ → %@: %.1f%% against %.1f%% (z = %.1f, q = %.2g)\n", printable(d.from), printable(d.to),
        d.shareA * 100, d.shareB * 100, d.z, d.q)
    }
    if found.count > 20 { out += "  … \(found.count - 20) more (--json, --report)\n" }
    return out
  }

  public static func render(_ m: StepMatrix) -> String {
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
    var out =
      "\nStep matrix (\(m.paths) \(m.unit)\(m.centre.map { ", step 0 at the first \(printable($0))" } ?? "")):\n"
    out += pad("", 22) + m.steps.map { pad(String($0), 6) }.joined() + "\n"
    for row in m.rows.prefix(12) {
      out +=
        pad(printable(row.event), 22)
        + row.shares.map { pad($0 == 0 ? "·" : $0 < 0.005 ? "<1%" : String(format: "%.0f%%", $0 * 100), 6) }.joined()
        + "\n"
    }
    if m.rows.count > 12 { out += "… \(m.rows.count - 12) more rows (--json, --report)\n" }
    return out
  }

  /// Every test of --changes: series, scope, week (empty: the segment
  /// against the rest), share, baseline_share, trials, baseline_trials,
  /// customers, z, p, q.
  public static func testRows(_ c: ShareChanges, neutralisingFormulas: Bool) -> String {
    let csv = { CSVFormatting.escape($0, neutralisingFormula: neutralisingFormulas) }
    var out = "series,scope,week,share,baseline_share,trials,baseline_trials,customers,z,p,q\n"
    for t in c.tests {
      let d = t.difference
      out +=
        [
          csv(c.series[t.series]), csv(t.scope), t.week ?? "", CSVFormatting.number(d.share1),
          CSVFormatting.number(d.share0), String(d.trials1), String(d.trials0), String(d.customers1),
          CSVFormatting.number(d.z), CSVFormatting.number(d.pValue), CSVFormatting.number(t.q),
        ].joined(separator: ",") + "\n"
    }
    return out
  }

  public static func render(_ c: ShareChanges) -> String {
    var out =
      "\nWhat changed (\(c.tests.count) tests of \(c.series.count) shares, false discovery rate \(CSVFormatting.number(c.fdr * 100))%):\n"
    if c.changes.isEmpty && c.segmentDifferences.isEmpty { out += "  nothing significant\n" }
    for change in c.changes { out += "  " + ShareChangeWording.sentence(change) + "\n" }
    for t in c.segmentDifferences { out += "  " + ShareChangeWording.sentence(t, series: c.series[t.series]) + "\n" }
    return out
  }

  public static func render(_ f: Funnel) -> String {
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
    let within =
      f.windowSeconds.map { "customers within \(TouchpointReport.duration($0)) of their first step" } ?? "sessions"
    var out = "\nFunnel\(f.name.map { " " + printable($0) } ?? "") (\(within)):\n"
    for (k, step) in f.steps.enumerated() {
      out += "  " + pad(printable(step), 22) + pad(String(f.reached[k]), 9)
      if let c = f.conversion[k] {
        out += String(
          format: "%5.1f%% of the step before [%.1f%%, %.1f%%]", c.share * 100, c.lower95 * 100, c.upper95 * 100)
      }
      out += "\n"
    }
    if let c = f.overall {
      out += String(format: "  end to end %.1f%% [%.1f%%, %.1f%%]\n", c.share * 100, c.lower95 * 100, c.upper95 * 100)
    }
    for s in f.bySegment {
      let share = s.overall.map {
        String(format: "%.1f%% [%.1f%%, %.1f%%]", $0.share * 100, $0.lower95 * 100, $0.upper95 * 100)
      }
      out += "  \(f.segmentColumn!)=\(printable(s.name)): \(s.reached[0]) entered, end to end \(share ?? "–")\n"
    }
    return out
  }

  /// Every transition: from, to, transitions, share, customers,
  /// median_seconds (empty for the session's start and end), loops.
  public static func rows(_ g: TouchpointGraph, neutralisingFormulas: Bool) -> String {
    let csv = { CSVFormatting.escape($0, neutralisingFormula: neutralisingFormulas) }
    var out = "from,to,transitions,share,customers,median_seconds,loops\n"
    for e in g.edges {
      out +=
        [
          csv(e.from), csv(e.to), String(e.transitions), CSVFormatting.number(e.share), String(e.customers),
          e.medianSeconds.map(CSVFormatting.number) ?? "", String(e.loops),
        ].joined(separator: ",") + "\n"
    }
    return out
  }

  public static func render(_ g: TouchpointGraph, top: Int) -> String {
    func pad(_ s: String, _ n: Int) -> String {
      s.count >= n ? s + " " : s + String(repeating: " ", count: n - s.count)
    }
    func time(_ s: Double?) -> String {
      guard let s else { return "–" }
      return s < 120
        ? String(format: "%.0f s", s)
        : s < 7200 ? String(format: "%.1f min", s / 60) : String(format: "%.1f h", s / 3600)
    }
    let name = { (s: String) in printable(s) }
    var out =
      "Touchpoints of \(g.customers) customers: \(g.events) events in \(g.sessions) sessions (\(TouchpointReport.sessionRule(g)))\n\n"
    out +=
      pad("from", 22) + pad("to", 22) + pad("transitions", 12) + pad("share", 8) + pad("customers", 10)
      + pad("median time", 12) + "loops\n"
    for e in g.edges.prefix(top) {
      out +=
        pad(name(e.from), 22) + pad(name(e.to), 22) + pad(String(e.transitions), 12)
        + pad(String(format: "%.1f%%", e.share * 100), 8) + pad(String(e.customers), 10)
        + pad(time(e.medianSeconds), 12)
        + String(e.loops) + "\n"
    }
    if g.edges.count > top {
      let rest = g.edges.dropFirst(top).reduce(0) { $0 + $1.transitions }
      let all = g.edges.reduce(0) { $0 + $1.transitions }
      out +=
        "… \(g.edges.count - top) more transitions (\(String(format: "%.1f%%", Double(rest) / Double(all) * 100)) of all)\n"
    }
    out += "\nWhere sessions end (share of the transitions out of each event type):\n"
    for e in g.dropOff.prefix(10) {
      out += "  " + pad(name(e.from), 22) + String(format: "%5.1f%%  (%d sessions)\n", e.share * 100, e.transitions)
    }
    return out
  }
}
