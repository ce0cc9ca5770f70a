import ByteStreams

/// Parses a decimal number from `bytes[range]` (leading and trailing spaces
/// allowed), correctly rounded.
///
/// The common case (at most 19 significant digits and a power of ten up to
/// 22) uses Clinger's exact fast path: an integer mantissa and a power of ten
/// that are both exact doubles, combined by one correctly rounded operation.
/// Longer mantissas (the 17-digit values shortest round-trip output writes)
/// go through Eisel and Lemire's method: the mantissa times a 128-bit
/// approximation of the power of ten, correctly rounded unless the product
/// lies too close to a halfway point to tell. Anything else falls back to
/// the standard library.
///
/// - Returns: nil when the text is not a number (empty, letters, `1.2.3`).
@inline(__always)
public func parseDecimal(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
  // One digit — the counts and 0/1 flags that make up most of a feature
  // file — without the call (whose register saves cost more than the work).
  if range.count == 1 {
    let d = bytes[range.lowerBound] &- 48
    if d < 10 { return Double(d) }
  }
  return parseAnyDecimal(bytes, range)
}

/// `parseDecimal` past its one-digit case.
func parseAnyDecimal(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
  if let value = parsePlainDecimal(bytes, range) { return value }
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
  if significant <= 19 && mantissa > (1 << 53), let value = EiselLemire.double(mantissa, exponent) {
    return negative ? -value : value
  }
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

/// The fast path of `parseDecimal` for the text feature files hold: an
/// optional minus, digits, optionally a point and more digits, at most 19
/// digits in all (so the mantissa cannot overflow), nothing else. Nil
/// sends the text through the general path.
@inline(__always)
private func parsePlainDecimal(_ bytes: [UInt8], _ range: Range<Int>) -> Double? {
  var i = range.lowerBound
  let hi = range.upperBound
  if hi - i == 1 {
    // One digit: the counts and 0/1 flags that make up most of a feature file.
    let d = bytes[i] &- 48
    return d < 10 ? Double(d) : nil
  }
  guard i < hi else { return nil }
  let negative = bytes[i] == UInt8(ascii: "-")
  if negative { i += 1 }
  let digitsStart = i
  var mantissa: UInt64 = 0
  while i < hi {
    let d = bytes[i] &- 48
    if d >= 10 { break }
    mantissa = mantissa &* 10 &+ UInt64(d)
    i += 1
  }
  var digits = i - digitsStart
  var fractionDigits = 0
  if i < hi && bytes[i] == UInt8(ascii: ".") {
    i += 1
    let fractionStart = i
    // Eight digits at a time while eight remain (most of a 17-digit value's
    // fraction), then one by one.
    while i + 8 <= hi, let eight = eightDigits(ByteWords.load(bytes, at: i)) {
      mantissa = mantissa &* 100_000_000 &+ eight
      i += 8
    }
    while i < hi {
      let d = bytes[i] &- 48
      if d >= 10 { break }
      mantissa = mantissa &* 10 &+ UInt64(d)
      i += 1
    }
    fractionDigits = i - fractionStart
    digits += fractionDigits
  }
  guard i == hi, digits > 0, digits <= 19 else { return nil }
  let value: Double
  if mantissa <= 1 << 53 && fractionDigits <= 22 {
    // Clinger: both exact, one correctly rounded division.
    value = fractionDigits == 0 ? Double(mantissa) : Double(mantissa) / exactPowersOfTen[fractionDigits]
  } else if mantissa == 0 {
    value = 0
  } else if let v = EiselLemire.double(mantissa, -fractionDigits) {
    value = v
  } else {
    return nil
  }
  return negative ? -value : value
}

/// The value of eight ASCII digits in a little-endian word (first digit in
/// the lowest byte), or nil if any byte is not a digit.
@inline(__always)
private func eightDigits(_ word: UInt64) -> UInt64? {
  // Every byte's high nibble is 3, and stays 3 with 6 added (≤ '9').
  let high: UInt64 = 0xF0F0_F0F0_F0F0_F0F0
  guard (word & high) | (((word &+ 0x0606_0606_0606_0606) & high) >> 4) == 0x3333_3333_3333_3333 else { return nil }
  // Pairs, then fours, then all eight: each step multiplies the higher
  // half by a power of ten and adds the lower one, in place.
  var v = word &- 0x3030_3030_3030_3030
  v = v &* 10 &+ (v >> 8)
  let pairs = (v & 0x0000_00FF_0000_00FF) &* (100 &+ (1_000_000 << 32))
  let quads = ((v >> 16) & 0x0000_00FF_0000_00FF) &* (1 &+ (10_000 << 32))
  return (pairs &+ quads) >> 32
}

/// 10⁰ … 10²², every one exactly representable as a `Double` (a literal, so
/// it is laid out at compile time, with no lazy initialisation to check).
private let exactPowersOfTen: [Double] = [
  1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20,
  1e21, 1e22,
]

/// The standard library's correctly rounded parser, for exponents, long
/// mantissas, `inf` and `nan`; non-finite results are refused.
private func fallbackDecimal(_ bytes: [UInt8], _ lo: Int, _ hi: Int) -> Double? {
  let text = String(decoding: bytes[lo..<hi], as: UTF8.self)
  guard let value = Double(text), value.isFinite else { return nil }
  return value
}

/// w × 10^q correctly rounded to a double, for w ≠ 0 and q in a small range,
/// or nil when the 128-bit product cannot decide the rounding (or q is out
/// of range): then the caller asks the standard library.
enum EiselLemire {
  static let smallest = -30
  static let largest = 30

  /// For each q: T, the 128 leading bits of 10^q (truncated; top bit set),
  /// and E with 10^q ≈ T · 2^E.
  static let table: [(high: UInt64, low: UInt64, exponent: Int)] = (smallest...largest).map { q in
    func bitLength(_ x: UInt128) -> Int { 128 - x.leadingZeroBitCount }
    var five: UInt128 = 1
    for _ in 0..<abs(q) { five *= 5 }
    let t: UInt128
    let e: Int
    if q >= 0 {
      // 10^q = 5^q · 2^q, exact in 128 bits for q ≤ 55.
      let shift = 128 - bitLength(five)
      t = five << UInt128(shift)
      e = q - shift
    } else {
      // 10^q = 2^q / 5^n: T = ⌊2^(127+b) / 5^n⌋ with b the bit length of 5^n,
      // by long division one bit at a time.
      let b = bitLength(five)
      var quotient: UInt128 = 0
      var remainder: UInt128 = 0
      for bit in 0..<(128 + b) {
        remainder = (remainder << 1) | (bit == 0 ? 1 : 0)
        quotient <<= 1
        if remainder >= five {
          remainder -= five
          quotient |= 1
        }
      }
      t = quotient
      e = q - 127 - b
    }
    return (UInt64(truncatingIfNeeded: t >> 64), UInt64(truncatingIfNeeded: t), e)
  }

  static func double(_ w: UInt64, _ q: Int) -> Double? {
    guard w != 0, q >= smallest, q <= largest else { return nil }
    let power = table[q - smallest]
    let lz = w.leadingZeroBitCount
    let wn = w << UInt64(lz)
    // z = ⌊wn · T / 2^64⌋ (128 bits): first with T's high word only.
    var (zHigh, zLow) = wn.multipliedFullWidth(by: power.high)
    let upper = Int(zHigh >> 63)
    let dropped = 9 + upper  // bits of zHigh below the 54 kept
    let mask: UInt64 = (1 << UInt64(dropped)) - 1
    if zHigh & mask == mask {
      let (carry, _) = wn.multipliedFullWidth(by: power.low)
      let (sum, overflow) = zLow.addingReportingOverflow(carry)
      zLow = sum
      if overflow { zHigh &+= 1 }
      // T is truncated, so the true product may be one more in the last
      // place: if that could still carry into the kept bits, give up.
      if Int(zHigh >> 63) != upper || (zHigh & mask == mask && zLow == .max) { return nil }
    }
    var mantissa = zHigh >> UInt64(dropped)  // 54 bits
    // An exact halfway case (nothing below the rounding bit) needs ties to
    // even, which the truncated product cannot promise: give up.
    if zLow == 0 && zHigh & mask == 0 && mantissa & 3 == 1 { return nil }
    mantissa = (mantissa + (mantissa & 1)) >> 1
    var binary = 64 + 64 + dropped + 1 + power.exponent - lz
    if mantissa >= (1 << 53) {
      mantissa >>= 1
      binary += 1
    }
    // value = mantissa · 2^binary with mantissa in [2^52, 2^53).
    let biased = binary + 52 + 1023
    guard biased > 0, biased < 2047 else { return nil }
    return Double(bitPattern: UInt64(biased) << 52 | (mantissa & ((1 << 52) - 1)))
  }
}
