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

  /// `escape` on the raw UTF-8 bytes `bytes[range]`, appended to `out`:
  /// the field as it is unless it holds a comma, quote, CR or LF.
  public static func appendEscaped(_ bytes: Span<UInt8>, _ range: Range<Int>, to out: inout [UInt8]) {
    var needsQuotes = false
    for i in range where needsQuoting(bytes[i]) { needsQuotes = true }
    if needsQuotes { out.append(0x22) }
    for i in range {
      let b = bytes[i]
      out.append(b)
      if b == 0x22 { out.append(b) }
    }
    if needsQuotes { out.append(0x22) }
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
  public static func appendNumber(_ value: Double, to bytes: inout [UInt8]) {
    if value.isNaN { return }
    if value == value.rounded(.towardZero) && abs(value) < 1e15 {
      appendInteger(Int64(value), to: &bytes)
    } else {
      appendShortest(value, to: &bytes)
    }
  }

  /// `value.description`'s bytes appended to `bytes`, without the `String`
  /// (see `ByteOutput`).
  @inline(__always)
  public static func appendShortest(_ value: Double, to bytes: inout [UInt8]) {
    // `write(to:)` spells a NaN's payload out ("-nan(0x…)"); `description`
    // says "nan".
    guard !value.isNaN else {
      bytes.append(contentsOf: "nan".utf8)
      return
    }
    var output = ByteOutput(bytes: bytes)
    bytes = []  // `output` now holds the only reference: no copy on append
    value.write(to: &output)
    bytes = output.bytes
  }

  /// Decimal digits of `value` appended to `bytes`.
  public static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
    if value < 0 { bytes.append(UInt8(ascii: "-")) }
    var magnitude = value.magnitude
    var length = 0
    var rest = magnitude
    repeat {
      length += 1
      rest /= 10
    } while rest > 0
    let start = bytes.count
    bytes.append(contentsOf: repeatElement(0, count: length))
    var i = start + length - 1
    repeat {
      bytes[i] = UInt8(ascii: "0") + UInt8(magnitude % 10)
      magnitude /= 10
      i -= 1
    } while magnitude > 0
  }
}

extension String {
  /// The string with every `"` doubled, for inside a quoted CSV field.
  var replacingQuotesForCSV: String {
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
