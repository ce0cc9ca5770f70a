/// Parses a decimal number from `bytes[range]` (leading and trailing spaces
/// allowed), correctly rounded.
///
/// The common case (at most 19 significant digits and a power of ten up to
/// 22) uses Clinger's exact fast path: an integer mantissa and a power of ten
/// that are both exact doubles, combined by one correctly rounded operation.
/// Anything else falls back to the standard library.
///
/// - Returns: nil when the text is not a number (empty, letters, `1.2.3`).
public func parseDecimal(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
  var lo = range.lowerBound
  var hi = range.upperBound
  while lo < hi && (bytes[lo] == 0x20 || bytes[lo] == 0x09) { lo += 1 }
  while hi > lo && (bytes[hi - 1] == 0x20 || bytes[hi - 1] == 0x09) { hi -= 1 }
  if lo == hi { return nil }
  var i = lo
  var negative = false
  if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
    negative = bytes[i] == UInt8(ascii: "-")
    i += 1
  }
  var mantissa: UInt64 = 0
  var significant = 0
  var exponent = 0
  var sawDigit = false
  while i < hi && isDigit(bytes[i]) {
    sawDigit = true
    if significant < 19 {
      mantissa = mantissa * 10 + UInt64(bytes[i] &- 48)
      if mantissa > 0 { significant += 1 }
    } else {
      exponent += 1
      significant += 1
    }
    i += 1
  }
  if i < hi && bytes[i] == UInt8(ascii: ".") {
    i += 1
    while i < hi && isDigit(bytes[i]) {
      sawDigit = true
      if significant < 19 {
        mantissa = mantissa * 10 + UInt64(bytes[i] &- 48)
        if mantissa > 0 { significant += 1 }
        exponent -= 1
      } else {
        significant += 1
      }
      i += 1
    }
  }
  guard sawDigit else { return fallbackDecimal(bytes, lo, hi) }
  if i < hi && (bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E")) {
    // An exponent, as shortest round-trip output writes small numbers ("1e-05").
    var j = i + 1
    var negativeExponent = false
    if j < hi && (bytes[j] == UInt8(ascii: "-") || bytes[j] == UInt8(ascii: "+")) {
      negativeExponent = bytes[j] == UInt8(ascii: "-")
      j += 1
    }
    var e = 0
    let digitsStart = j
    while j < hi && isDigit(bytes[j]) && j - digitsStart < 4 {
      e = e * 10 + Int(bytes[j] &- 48)
      j += 1
    }
    guard j > digitsStart, j == hi else { return fallbackDecimal(bytes, lo, hi) }
    exponent += negativeExponent ? -e : e
    i = j
  }
  guard i == hi else { return nil }
  if significant > 19 || mantissa > (1 << 53) || exponent < -22 || exponent > 22 {
    return fallbackDecimal(bytes, lo, hi)
  }
  var value = Double(mantissa)
  if exponent < 0 {
    value /= exactPowersOfTen[-exponent]
  } else if exponent > 0 {
    value *= exactPowersOfTen[exponent]
  }
  return negative ? -value : value
}

/// 10⁰ … 10²², every one exactly representable as a `Double`.
private let exactPowersOfTen: [Double] = (0...22).map { k in
  var p = 1.0
  for _ in 0..<k { p *= 10 }
  return p
}

/// The standard library's correctly rounded parser, for exponents, long
/// mantissas, `inf` and `nan`; non-finite results are refused.
private func fallbackDecimal(_ bytes: [UInt8], _ lo: Int, _ hi: Int) -> Double? {
  let text = String(decoding: bytes[lo..<hi], as: UTF8.self)
  guard let value = Double(text), value.isFinite else { return nil }
  return value
}
