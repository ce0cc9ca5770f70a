/// How timestamps in an event log are written. Every format is converted to
/// microseconds since 1970-01-01T00:00:00Z (UTC).
///
/// `auto` recognises each value by its shape: ISO-8601 when it has a `-` after
/// the year, `yyyyMMdd` for exactly 8 digits, epoch seconds for 9–11 digits
/// (optionally with a fraction), epoch milliseconds for 12–14 digits. Pass an
/// explicit format when a file's values could be read two ways.
public enum TimestampFormat: String, Sendable, CaseIterable, Codable {
  case auto
  /// `2024-03-01`, `2024-03-01T12:30:00Z`, `2024-03-01 12:30:00.123+02:00`, …
  case iso8601
  /// `20240301`, as in the CDNOW transaction log.
  case yyyyMMdd
  /// `1709251200` or `1709251200.25`.
  case epochSeconds = "epoch-seconds"
  /// `1709251200000`.
  case epochMilliseconds = "epoch-millis"

  /// Parses a value; returns microseconds since the epoch, or why the value
  /// is not a timestamp.
  public func parse(_ bytes: ArraySlice<UInt8>) -> Result<Int64, TimestampError> {
    parse(bytes.span)
  }

  /// Parses a value (leading and trailing spaces allowed) without copying it.
  public func parse(_ bytes: Span<UInt8>) -> Result<Int64, TimestampError> {
    var lo = 0
    var hi = bytes.count
    while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
    while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
    let text = bytes.extracting(lo..<hi)
    if text.isEmpty { return .failure(.empty) }
    switch self {
    case .iso8601: return ISO8601.parse(text)
    case .yyyyMMdd: return parseCompactDate(text)
    case .epochSeconds: return parseEpoch(text, unitsPerSecond: 1)
    case .epochMilliseconds: return parseEpoch(text, unitsPerSecond: 1000)
    case .auto:
      var digits = 0
      while digits < text.count && isDigit(text[digits]) { digits += 1 }
      if digits == 4 && text.count > 4 && text[4] == UInt8(ascii: "-") {
        return ISO8601.parse(text)
      }
      if digits == text.count && digits == 8 { return parseCompactDate(text) }
      if digits == text.count && (12...14).contains(digits) { return parseEpoch(text, unitsPerSecond: 1000) }
      if (9...11).contains(digits) { return parseEpoch(text, unitsPerSecond: 1) }
      return .failure(.unrecognised)
    }
  }
}

/// Why a value is not a timestamp.
public enum TimestampError: Error, Equatable, CustomStringConvertible {
  case empty
  case unrecognised
  case malformed(expected: String)
  case outOfRange(String)

  public var description: String {
    switch self {
    case .empty: return "timestamp is empty"
    case .unrecognised:
      return "not a recognised timestamp (ISO-8601, yyyyMMdd, epoch seconds or milliseconds; see --time-format)"
    case .malformed(let expected): return "malformed timestamp: expected \(expected)"
    case .outOfRange(let what): return "timestamp out of range: \(what)"
    }
  }
}

@inline(__always)
func isDigit(_ b: UInt8) -> Bool { b &- UInt8(ascii: "0") < 10 }

/// `yyyyMMdd` as midnight UTC.
func parseCompactDate(_ text: Span<UInt8>) -> Result<Int64, TimestampError> {
  guard text.count == 8, digitsValue(text, 0, 8) >= 0 else { return .failure(.malformed(expected: "yyyyMMdd")) }
  let year = digitsValue(text, 0, 4)
  let month = digitsValue(text, 4, 2)
  let day = digitsValue(text, 6, 2)
  return CivilDate.microseconds(year: year, month: month, day: day, seconds: 0, micros: 0)
}

/// Decimal epoch time, with an optional fraction and sign.
func parseEpoch(_ text: Span<UInt8>, unitsPerSecond: Int64) -> Result<Int64, TimestampError> {
  var i = 0
  var negative = false
  if i < text.count && (text[i] == UInt8(ascii: "-") || text[i] == UInt8(ascii: "+")) {
    negative = text[i] == UInt8(ascii: "-")
    i += 1
  }
  var whole: Int64 = 0
  var digits = 0
  while i < text.count && isDigit(text[i]) {
    if digits >= 17 { return .failure(.outOfRange("too many digits")) }
    whole = whole * 10 + Int64(text[i] &- 48)
    digits += 1
    i += 1
  }
  var fractionMicros: Int64 = 0
  if i < text.count && text[i] == UInt8(ascii: ".") {
    i += 1
    var scale: Int64 = 1_000_000 / unitsPerSecond
    var fraction: Int64 = 0
    var fractionDigits = 0
    while i < text.count && isDigit(text[i]) {
      if fractionDigits < 6 {
        scale /= 10
        fraction += Int64(text[i] &- 48) * max(scale, 0)
      }
      fractionDigits += 1
      i += 1
    }
    fractionMicros = fraction
    if fractionDigits == 0 { return .failure(.malformed(expected: "digits after the decimal point")) }
  }
  guard digits > 0, i == text.count else {
    return .failure(.malformed(expected: unitsPerSecond == 1 ? "epoch seconds" : "epoch milliseconds"))
  }
  let perUnit = 1_000_000 / unitsPerSecond
  let (micros, overflow) = whole.multipliedReportingOverflow(by: perUnit)
  if overflow { return .failure(.outOfRange("too large")) }
  let total = micros + fractionMicros
  return .success(negative ? -total : total)
}

/// The value of `count` decimal digits at `start`, or −1 if one is not a digit.
@inline(__always)
func digitsValue(_ text: Span<UInt8>, _ start: Int, _ count: Int) -> Int {
  var v = 0
  for k in start..<(start + count) {
    guard isDigit(text[k]) else { return -1 }
    v = v * 10 + Int(text[k] &- 48)
  }
  return v
}
