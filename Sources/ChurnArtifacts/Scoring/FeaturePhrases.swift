import ByteStreams
import ChurnData
import ChurnIO

/// Plain-language names of features, for reason codes:
/// `count_support_ticket_30d` → "support ticket events in the last 30 days".
enum FeaturePhrases {
  /// Whether the feature holds a "never happened" value (the spec's
  /// `never_days`): days since the last event of a type or treatment.
  static func isNeverable(_ name: String) -> Bool {
    (name.hasPrefix("days_since_last_") && name != "days_since_last_event") || name.hasPrefix("days_since_treatment_")
  }

  /// `format(v)`, or "never" at or past the feature's never value.
  static func format(_ v: Double, never: Double) -> String { v >= never ? "never" : format(v) }

  static func phrase(_ name: String) -> String {
    func words(_ s: Substring) -> String { s.replacingOccurrences(of: "_", with: " ") }
    func window(_ s: Substring) -> (String, String)? {
      guard let last = s.split(separator: "_").last, last.hasSuffix("d"), Int(last.dropLast()) != nil else {
        return nil
      }
      return (String(s.dropLast(last.count + 1)), String(last.dropLast()))
    }
    let n = Substring(name)
    switch true {
    case name.hasPrefix("log1p_"): return "\(phrase(String(n.dropFirst(6)))) (log scale)"
    case name == "p_alive": return "probability of still buying (BG/NBD)"
    case name.hasPrefix("expected_purchases_"):
      if let (_, days) = window(n) { return "expected purchases in the next \(days) days (BG/NBD)" }
    case name == "clv": return "expected lifetime value"
    case name == "no_purchase_yet": return "no purchase yet"
    case name == "days_since_first_event": return "days since the first event (tenure)"
    case name == "days_since_last_event": return "days since the last event"
    case name.hasPrefix("days_since_last_"): return "days since the last \(words(n.dropFirst(16)))"
    case name.hasPrefix("days_since_treatment_"): return "days since the last \(words(n.dropFirst(21)))"
    case name.hasPrefix("treatment_count_"): return "\(words(n.dropFirst(16))) received"
    case name.hasPrefix("share_channel_"): return "share of events on \(words(n.dropFirst(14)))"
    case name.hasPrefix("stage_"): return "in stage \(words(n.dropFirst(6)))"
    case name == "days_in_stage": return "days in the current stage"
    case name.hasPrefix("count_"):
      if let (what, days) = window(n.dropFirst(6)) {
        return what.isEmpty
          ? "events in the last \(days) days" : "\(words(Substring(what))) events in the last \(days) days"
      }
    case name.hasPrefix("amount_sum_"):
      if let (_, days) = window(n) { return "amount spent in the last \(days) days" }
    case name.hasPrefix("amount_mean_"):
      if let (_, days) = window(n) { return "average purchase in the last \(days) days" }
    case name.hasPrefix("trend_count_"): return "activity trend (last 30 days against the 30 before)"
    case name.hasPrefix("trend_amount_"): return "spending trend (last 30 days against the 30 before)"
    case name.hasPrefix("sentiment_mean_"):
      if let (_, days) = window(n) { return "average sentiment in the last \(days) days" }
    case name.hasPrefix("sentiment_min_"):
      if let (_, days) = window(n) { return "worst sentiment in the last \(days) days" }
    case name.hasPrefix("sentiment_negative_"):
      if let (_, days) = window(n) { return "negative ratings in the last \(days) days" }
    case name.hasPrefix("sentiment_count_"):
      if let (_, days) = window(n) { return "ratings in the last \(days) days" }
    case name == "sentiment_last": return "latest sentiment"
    case name == "active_days_365d": return "active days in the last year"
    case name == "gap_mean_days": return "average days between active days"
    case name == "gap_std_days": return "variation of days between active days"
    case name == "gap_last_over_mean": return "latest gap against the usual gap"
    default: break
    }
    return words(n)
  }

  /// "support ticket events in the last 30 days: 4, typical 0.6".
  static func sentence(_ name: String, value: Double, typical: Double) -> String {
    sentence(phrase: phrase(name), value: value, typical: typical)
  }

  /// The sentence with the phrase already worked out.
  static func sentence(phrase: String, value: Double, typical: Double) -> String {
    phrase + ": " + format(value) + ", typical " + format(typical)
  }

  /// A value for people: whole numbers as they are, others to 0 decimals
  /// from 100 up, 1 decimal from 1 up, else 2 (trailing zeros dropped).
  static func format(_ v: Double) -> String {
    var bytes: [UInt8] = []
    appendFormatted(v, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `format(v, never:)`'s bytes appended to `out`.
  static func appendFormatted<Sink: ByteSink & ~Copyable>(_ v: Double, never: Double, to out: inout Sink) {
    if v >= never {
      out.append(contentsOf: Array("never".utf8))
    } else {
      appendFormatted(v, to: &out)
    }
  }

  /// `format(v)`'s bytes appended to `out` (no `String` on the scoring path).
  static func appendFormatted<Sink: ByteSink & ~Copyable>(_ v: Double, to out: inout Sink) {
    guard v.isFinite else {
      out.append(contentsOf: Array("n/a".utf8))
      return
    }
    if v == v.rounded() && abs(v) < 1e15 {
      CSVFormatting.appendInteger(Int64(v), to: &out)
      return
    }
    let magnitude = abs(v)
    guard magnitude < 1e15 else {
      // Past whole numbers of 15 digits the shortest digits say it best
      // (and rounding to Int64 would overflow).
      CSVFormatting.appendShortest(v, to: &out)
      return
    }
    let digits = magnitude >= 100 ? 0 : (magnitude >= 1 ? 1 : 2)
    let scale: Int64 = digits == 0 ? 1 : (digits == 1 ? 10 : 100)
    let scaled = Int64((magnitude * Double(scale)).rounded())
    if v < 0 && scaled != 0 { out.append(UInt8(ascii: "-")) }
    CSVFormatting.appendInteger(scaled / scale, to: &out)
    var fraction = scaled % scale
    if fraction != 0 {
      var decimals = digits
      while fraction % 10 == 0 {
        fraction /= 10
        decimals -= 1
      }
      out.append(UInt8(ascii: "."))
      // Leading zeros of the fraction ("0.05"): decimals minus its digit count.
      if decimals == 2 && fraction < 10 { out.append(UInt8(ascii: "0")) }
      CSVFormatting.appendInteger(fraction, to: &out)
    }
  }
}

#if canImport(Foundation)
  import Foundation
#endif
