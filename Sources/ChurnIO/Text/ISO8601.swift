/// A strict, allocation-free ISO-8601 (RFC 3339 profile) parser.
///
/// Accepts `YYYY-MM-DD`, optionally followed by `T` or a space and
/// `HH:MM[:SS[.fraction]]`, then optionally `Z`, `±HH:MM`, `±HHMM` or `±HH`.
/// A value without an offset is taken as UTC. Fractions beyond microseconds
/// are truncated.
enum ISO8601 {
  static let expected = TimestampError.malformed(expected: "YYYY-MM-DD[THH:MM[:SS[.fff]][Z|±HH:MM]]")

  static func parse(_ text: Span<UInt8>) -> Result<Int64, TimestampError> {
    if text.count == 20, let fast = parseCommonForm(text) { return fast }
    var cursor = Cursor(end: text.count)
    guard let year = cursor.digits(text, 4), cursor.expect(text, "-"), let month = cursor.digits(text, 2),
      cursor.expect(text, "-"),
      let day = cursor.digits(text, 2)
    else { return .failure(expected) }
    var seconds = 0
    var micros = 0
    if cursor.expect(text, "T") || cursor.expect(text, "t") || cursor.expect(text, " ") {
      guard let hour = cursor.digits(text, 2), cursor.expect(text, ":"), let minute = cursor.digits(text, 2) else {
        return .failure(expected)
      }
      var second = 0
      if cursor.expect(text, ":") {
        guard let s = cursor.digits(text, 2) else { return .failure(expected) }
        second = s
        if cursor.expect(text, ".") || cursor.expect(text, ",") {
          guard let fraction = cursor.fractionMicros(text) else { return .failure(expected) }
          micros = fraction
        }
      }
      guard hour < 24, minute < 60, second < 60 else {
        return .failure(.outOfRange("time of day \(hour):\(minute):\(second)"))
      }
      seconds = hour * 3600 + minute * 60 + second
      // Offset: the local time minus the offset is UTC.
      if cursor.expect(text, "Z") || cursor.expect(text, "z") {
      } else if let sign = cursor.peek(text), sign == UInt8(ascii: "+") || sign == UInt8(ascii: "-") {
        cursor.i += 1
        guard let oh = cursor.digits(text, 2) else { return .failure(expected) }
        var om = 0
        if cursor.expect(text, ":") {
          guard let m = cursor.digits(text, 2) else { return .failure(expected) }
          om = m
        } else if let m = cursor.digits(text, 2) {
          om = m
        }
        guard oh <= 23, om < 60 else { return .failure(.outOfRange("UTC offset \(oh):\(om)")) }
        seconds -= (oh * 3600 + om * 60) * (sign == UInt8(ascii: "+") ? 1 : -1)
      }
    } else {
      _ = cursor.expect(text, "Z")
    }
    guard cursor.atEnd else { return .failure(expected) }
    return CivilDate.microseconds(year: year, month: month, day: day, seconds: seconds, micros: micros)
  }

  /// The most common form, `YYYY-MM-DDTHH:MM:SSZ`, checked and read in one
  /// pass; nil sends anything else through the general parser.
  @inline(__always)
  static func parseCommonForm(_ text: Span<UInt8>) -> Result<Int64, TimestampError>? {
    guard text[4] == UInt8(ascii: "-"), text[7] == UInt8(ascii: "-"), text[10] == UInt8(ascii: "T"),
      text[13] == UInt8(ascii: ":"), text[16] == UInt8(ascii: ":"), text[19] == UInt8(ascii: "Z")
    else { return nil }
    let year = digitsValue(text, 0, 4)
    let month = digitsValue(text, 5, 2)
    let day = digitsValue(text, 8, 2)
    let hour = digitsValue(text, 11, 2)
    let minute = digitsValue(text, 14, 2)
    let second = digitsValue(text, 17, 2)
    guard year >= 0, month >= 0, day >= 0, hour >= 0, minute >= 0, second >= 0 else { return nil }
    guard hour < 24, minute < 60, second < 60 else { return nil }
    return CivilDate.microseconds(
      year: year, month: month, day: day, seconds: hour * 3600 + minute * 60 + second, micros: 0)
  }

  /// A read position in the text.
  struct Cursor {
    let end: Int
    var i = 0

    var atEnd: Bool { i == end }

    func peek(_ text: Span<UInt8>) -> UInt8? { i < end ? text[i] : nil }

    /// Consumes `c` if it is next.
    mutating func expect(_ text: Span<UInt8>, _ c: Unicode.Scalar) -> Bool {
      guard i < end, text[i] == UInt8(truncatingIfNeeded: c.value) else { return false }
      i += 1
      return true
    }

    /// Consumes exactly `n` digits and returns their value.
    mutating func digits(_ text: Span<UInt8>, _ n: Int) -> Int? {
      guard i + n <= end else { return nil }
      let v = digitsValue(text, i, n)
      guard v >= 0 else { return nil }
      i += n
      return v
    }

    /// Consumes a run of fraction digits as microseconds (truncated).
    mutating func fractionMicros(_ text: Span<UInt8>) -> Int? {
      var scale = 100_000
      var micros = 0
      let start = i
      while i < end && isDigit(text[i]) {
        micros += Int(text[i] &- 48) * scale
        scale /= 10
        i += 1
      }
      return i == start ? nil : micros
    }
  }
}

/// Conversions between proleptic Gregorian calendar dates and days since
/// 1970-01-01, in integer arithmetic (the era-based method described by
/// H. Hinnant, "chrono-Compatible Low-Level Date Algorithms").
public enum CivilDate {
  /// Days from 1970-01-01 to the given date.
  public static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
    let y = month <= 2 ? year - 1 : year
    let era = (y >= 0 ? y : y - 399) / 400
    let yearOfEra = y - era * 400
    let shiftedMonth = month > 2 ? month - 3 : month + 9
    let dayOfYear = (153 * shiftedMonth + 2) / 5 + day - 1
    let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
    return era * 146_097 + dayOfEra - 719_468
  }

  /// The date of a day number (inverse of `daysSinceEpoch`).
  public static func date(daysSinceEpoch days: Int) -> (year: Int, month: Int, day: Int) {
    let z = days + 719_468
    let era = (z >= 0 ? z : z - 146_096) / 146_097
    let dayOfEra = z - era * 146_097
    let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
    let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
    let mp = (5 * dayOfYear + 2) / 153
    let day = dayOfYear - (153 * mp + 2) / 5 + 1
    let month = mp < 10 ? mp + 3 : mp - 9
    return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
  }

  /// Whether `year` is a Gregorian leap year.
  public static func isLeapYear(_ year: Int) -> Bool {
    year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
  }

  /// Number of days in a month.
  public static func daysIn(month: Int, year: Int) -> Int {
    switch month {
    case 2: return isLeapYear(year) ? 29 : 28
    case 4, 6, 9, 11: return 30
    default: return 31
    }
  }

  /// Microseconds since the epoch of a validated date plus a time of day.
  static func microseconds(year: Int, month: Int, day: Int, seconds: Int, micros: Int) -> Result<Int64, TimestampError>
  {
    guard (1...12).contains(month) else { return .failure(.outOfRange("month \(month)")) }
    guard day >= 1 && day <= daysIn(month: month, year: year) else {
      return .failure(.outOfRange("day \(day) of \(year)-\(month < 10 ? "0" : "")\(month)"))
    }
    let days = daysSinceEpoch(year: year, month: month, day: day)
    return .success((Int64(days) * 86_400 + Int64(seconds)) * 1_000_000 + Int64(micros))
  }
}

/// A point in time as microseconds since the epoch, UTC.
public typealias TimestampMicros = Int64

/// Formats microseconds since the epoch as `YYYY-MM-DDTHH:MM:SSZ` (with
/// `.ffffff` when there is a fraction).
public func formatISO8601(_ micros: TimestampMicros) -> String {
  let totalSeconds = micros >= 0 ? micros / 1_000_000 : (micros - 999_999) / 1_000_000
  let fraction = micros - totalSeconds * 1_000_000
  let days = totalSeconds >= 0 ? totalSeconds / 86_400 : (totalSeconds - 86_399) / 86_400
  let secondOfDay = Int(totalSeconds - days * 86_400)
  let (y, m, d) = CivilDate.date(daysSinceEpoch: Int(days))
  func two(_ v: Int) -> String { v < 10 ? "0\(v)" : "\(v)" }
  var year = String(y)
  while year.count < 4 { year = "0" + year }
  var text =
    "\(year)-\(two(m))-\(two(d))T\(two(secondOfDay / 3600)):\(two(secondOfDay / 60 % 60)):\(two(secondOfDay % 60))"
  if fraction != 0 {
    var f = String(fraction)
    while f.count < 6 { f = "0" + f }
    text += "." + f
  }
  return text + "Z"
}

/// Formats the day of a timestamp as `YYYY-MM-DD`.
public func formatDate(_ micros: TimestampMicros) -> String {
  String(formatISO8601(micros).prefix(10))
}

/// Microseconds in a day. (A computed constant, not a global `let`: other
/// modules fold it into their loops instead of calling a lazy global's
/// accessor per event.)
@inlinable public var microsPerDay: Int64 { 86_400_000_000 }
