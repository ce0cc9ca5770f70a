import ByteStreams

/// Text for CSV output: RFC 4180 quoting and round-trip number formatting.
public enum CSVFormatting {
  /// `field` quoted when it holds a comma, quote, CR or LF (quotes doubled).
  public static func escape(_ field: String) -> String {
    var needsQuotes = false
    var hasQuote = false
    for b in field.utf8 {
      if b == 0x22 { hasQuote = true }
      if needsQuoting(b) { needsQuotes = true }
    }
    guard needsQuotes else { return field }
    return "\"" + (hasQuote ? field.replacingQuotesForCSV : field) + "\""
  }

  /// `escape` for a CSV meant for a spreadsheet: a text field that starts
  /// with `=`, `+`, `-`, `@`, tab or CR (which a spreadsheet would run as
  /// a formula) gets a leading `'`, as OWASP advises.
  public static func escape(_ field: String, neutralisingFormula: Bool) -> String {
    guard neutralisingFormula, let first = field.utf8.first, startsFormula(first) else { return escape(field) }
    return escape("'" + field)
  }

  /// Whether a spreadsheet reads a cell starting with this byte as a formula.
  @inline(__always)
  public static func startsFormula(_ b: UInt8) -> Bool {
    b == 0x3D || b == 0x2B || b == 0x2D || b == 0x40 || b == 0x09 || b == 0x0D
  }

  /// `escape` on the raw UTF-8 bytes `bytes[range]`, appended to `out`:
  /// the field as it is unless it holds a comma, quote, CR or LF; with
  /// `neutralisingFormula`, a leading `'` before a formula's first byte.
  public static func appendEscaped<Sink: ByteSink & ~Copyable>(
    _ bytes: Span<UInt8>, _ range: Range<Int>, neutralisingFormula: Bool = false, to out: inout Sink
  ) {
    let formula = neutralisingFormula && !range.isEmpty && startsFormula(bytes[range.lowerBound])
    var needsQuotes = false
    for i in range where needsQuoting(bytes[i]) { needsQuotes = true }
    guard needsQuotes else {
      if formula { out.append(0x27) }
      out.append(range, of: bytes)
      return
    }
    out.append(0x22)
    if formula { out.append(0x27) }
    for i in range {
      let b = bytes[i]
      out.append(b)
      if b == 0x22 { out.append(b) }
    }
    out.append(0x22)
  }

  /// A comma, quote, CR or LF: a field holding one is quoted.
  @inline(__always)
  private static func needsQuoting(_ b: UInt8) -> Bool { b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D }

  /// The shortest text that reads back as exactly `value`: whole numbers
  /// without a fraction ("3"), others in Swift's shortest round-trip form
  /// ("0.1", "1e-05"); NaN as an empty field.
  public static func number(_ value: Double) -> String {
    var bytes: [UInt8] = []
    appendNumber(value, to: &bytes)
    return String(decoding: bytes, as: UTF8.self)
  }

  /// `number(value)`'s bytes appended to `bytes`, without a `String` for
  /// whole numbers (most feature values are counts and 0/1 flags).
  @inline(__always)
  public static func appendNumber<Sink: ByteSink & ~Copyable>(_ value: Double, to bytes: inout Sink) {
    if value.isNaN { return }
    if value == value.rounded(.towardZero) && abs(value) < 1e15 {
      appendInteger(Int64(value), to: &bytes)
    } else {
      appendShortest(value, to: &bytes)
    }
  }

  /// `value.description`'s bytes appended to `bytes` ("nan" for every NaN),
  /// written directly (see `DecimalText`).
  @inline(__always)
  public static func appendShortest<Sink: ByteSink & ~Copyable>(_ value: Double, to bytes: inout Sink) {
    DecimalText.appendShortest(value, to: &bytes)
  }

  /// Decimal digits of `value` appended to `bytes`.
  @inline(__always)
  public static func appendInteger<Sink: ByteSink & ~Copyable>(_ value: Int64, to bytes: inout Sink) {
    DecimalText.appendInteger(value, to: &bytes)
  }
}

extension String {
  /// The string with every `"` doubled, for inside a quoted CSV field.
  package var replacingQuotesForCSV: String {
    guard utf8.contains(0x22) else { return self }
    var out = ""
    for c in unicodeScalars {
      if c == "\"" { out += "\"\"" } else { out.unicodeScalars.append(c) }
    }
    return out
  }
}

#if canImport(Foundation)
  import Foundation
#endif
