import Foundation

/// Numbers as people read them in reports and explanations: fixed decimals,
/// shares as percentages, "–" for a number that is not finite.
package enum NumberText {
  /// `value` with `digits` decimals, e.g. 3.14159, 2 → "3.14".
  package static func fixed(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "–" }
    return String(format: "%.\(digits)f", value)
  }

  /// A share as a percentage, e.g. 0.1234 → "12.3%".
  package static func percent(_ share: Double, _ digits: Int = 1) -> String {
    guard share.isFinite else { return "–" }
    return String(format: "%.\(digits)f%%", share * 100)
  }

  /// A p-value: three significant digits, or "< 1e-300" at the floor.
  package static func pValue(_ p: Double) -> String {
    guard p.isFinite else { return "–" }
    if p < 1e-300 { return "< 1e-300" }
    return p < 0.001 ? String(format: "%.2e", p) : String(format: "%.3f", p)
  }

  /// The shortest text that reads back as `value` ("30", "0.25").
  package static func compact(_ value: Double) -> String {
    guard value.isFinite else { return "–" }
    if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
    return "\(value)"
  }

  /// With an explicit sign: "+3.2", "−1.5" (a true minus sign).
  package static func signed(_ value: Double, _ digits: Int = 1) -> String {
    guard value.isFinite else { return "–" }
    let text = String(format: "%.\(digits)f", abs(value))
    if Double(text) == 0 { return text }
    return (value < 0 ? "−" : "+") + text
  }
}
