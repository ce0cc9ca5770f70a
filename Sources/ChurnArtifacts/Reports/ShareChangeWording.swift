import ChurnIO
import ChurnModels
import Foundation

/// The changes `ShareChangeScan` finds, told in one sentence each, for
/// the summary and the page alike.
public enum ShareChangeWording {
  /// "2019-12-02 to 2019-12-20, all customers: cart → payment_choice fell
  /// from 61.0% to 28.0% (n = 412 by 380 customers; q < 0.0001)".
  public static func sentence(_ c: ShareChanges.Change) -> String {
    let way = c.share > c.baselineShare ? "rose" : "fell"
    let when = c.lastDay.map { "\(c.firstDay) to \($0)" } ?? "From \(c.firstDay) on"
    return
      "\(when), \(c.scope): \(c.series) \(way) from \(percent(c.baselineShare)) to \(percent(c.share)) (n = \(c.trials) by \(c.customers) customers\(spent(c)); \(q(c.q)))"
  }

  /// "platform=ios: cart → payment_choice 28.0% against 61.0% for the
  /// rest (n = 412 by 380 customers; q = 0.0001)".
  public static func sentence(_ t: ShareChanges.Test, series: String) -> String {
    let d = t.difference
    return
      "\(t.scope): \(series) \(percent(d.share1)) against \(percent(d.share0)) for the rest (n = \(d.trials1) by \(d.customers1) customers; \(q(t.q)))"
  }

  /// ", who spent 12345.60 then", when the log has amounts.
  static func spent(_ c: ShareChanges.Change) -> String {
    c.revenue.map { ", who spent \(NumberText.fixed($0, 2)) \(c.lastDay == nil ? "from then on" : "in the window")" }
      ?? ""
  }

  static func percent(_ x: Double) -> String { String(format: "%.1f%%", x * 100) }

  /// "q = 0.0123", or "q < 0.0001".
  static func q(_ value: Double) -> String { value < 0.0001 ? "q < 0.0001" : String(format: "q = %.4f", value) }
}
