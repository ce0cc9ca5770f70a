/// Text for CSV output: RFC 4180 quoting and round-trip number formatting.
public enum CSVFormatting {
  /// `field` quoted when it holds a comma, quote, CR or LF (quotes doubled).
  public static func escape(_ field: String) -> String {
    guard field.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else {
      return field
    }
    return "\"" + field.replacingOccurrences(of: "\"", with: "\"\"") + "\""
  }

  /// The shortest text that reads back as exactly `value`: whole numbers
  /// without a fraction ("3"), others in Swift's shortest round-trip form
  /// ("0.1", "1e-05"); NaN as an empty field.
  public static func number(_ value: Double) -> String {
    if value.isNaN { return "" }
    if value == value.rounded(.towardZero) && abs(value) < 1e15 {
      return String(Int64(value))
    }
    return "\(value)"
  }
}

#if canImport(Foundation)
  import Foundation
#endif
