import ByteStreams

/// Numbers written as decimal text straight into bytes: whole numbers, and
/// a double's shortest round-trip decimal in the layout of Swift's
/// `description` ("0.1", "505.37299768517363", "1e-05", "100.0"), without
/// the standard library's detour through a `String` or a text stream.
///
/// The digits come from Giulietti's Schubfach method: the double's rounding
/// interval is scaled by a 126-bit approximation of a power of ten chosen
/// so that the interval holds at most two candidates of the shortest
/// length (and one of one digit fewer); the candidate inside the interval
/// nearest the double wins, the even one on a tie. Score files write five
/// doubles a row: about 530 instructions each here, against about 660 for
/// the standard library's `write(to:)` and its text stream.
///
/// ```swift
/// var bytes: [UInt8] = []
/// DecimalText.appendShortest(5.682286805270526e-05, to: &bytes)  // "5.682286805270526e-05"
/// DecimalText.appendInteger(-42, to: &bytes)  // then "-42"
/// ```
enum DecimalText {
  /// The decimal digits of `value`, with a minus sign if negative.
  static func appendInteger<Sink: ByteSink & ~Copyable>(_ value: Int64, to bytes: inout Sink) {
    var text = Text256()
    if value < 0 { text.append(0x2D, count: 1) }  // "-"
    let magnitude = value.magnitude
    let n = DecimalDigits.count(magnitude)
    if n <= 8 {
      text.append(UInt128(DecimalDigits.eight(magnitude) >> (8 * UInt64(8 - n))), count: n)
    } else if n <= 16 {
      let high = DecimalDigits.eight(magnitude / 100_000_000) >> (8 * UInt64(16 - n))
      text.append(UInt128(high) | UInt128(DecimalDigits.eight(magnitude % 100_000_000)) << (8 * (n - 8)), count: n)
    } else {
      let high = magnitude / 10_000_000_000_000_000  // at most 1844
      let rest = magnitude % 10_000_000_000_000_000
      text.append(UInt128(DecimalDigits.eight(high) >> (8 * UInt64(24 - n))), count: n - 16)
      text.append(
        UInt128(DecimalDigits.eight(rest / 100_000_000)) | UInt128(DecimalDigits.eight(rest % 100_000_000)) << 64,
        count: 16)
    }
    bytes.appendText(text.low, text.high, count: text.count)
  }

  /// `value.description`'s bytes appended to `bytes`, but "nan" for every
  /// NaN (`description` spells a signalling or negative one out).
  static func appendShortest<Sink: ByteSink & ~Copyable>(_ value: Double, to bytes: inout Sink) {
    guard value.isFinite else {
      bytes.append(contentsOf: value.isNaN ? Array("nan".utf8) : value < 0 ? Array("-inf".utf8) : Array("inf".utf8))
      return
    }
    var text = Text256()
    if value.sign == .minus { text.append(0x2D, count: 1) }  // "-"
    guard value != 0 else {
      text.append(0x30_2E_30, count: 3)  // "0.0"
      bytes.appendText(text.low, text.high, count: text.count)
      return
    }
    var (f, e) = digits(of: value.magnitude)
    while f % 10 == 0 {
      f /= 10
      e += 1
    }
    let digits = SeventeenDigits(f)
    let n = digits.count
    let x = n + e - 1  // the power of ten of the first digit
    if value.magnitude > 0x1p53 || x < -4 {
      // "d.ddde-05": the digits with a point after the first, then the exponent.
      digits.append(to: &text, pointAfter: n > 1 ? 1 : nil)
      let power = UInt64(x.magnitude)
      let sign: UInt64 = x < 0 ? 0x2D_65 : 0x2B_65  // "e-", "e+"
      if power >= 100 {
        let digits = (0x30 + power / 100) << 16 | (0x30 + power / 10 % 10) << 24 | (0x30 + power % 10) << 32
        text.append(UInt128(sign | digits), count: 5)
      } else {
        text.append(UInt128(sign | (0x30 + power / 10) << 16 | (0x30 + power % 10) << 24), count: 4)
      }
    } else if e >= 0 {
      // A whole number: its digits and the zeros after them, then ".0".
      digits.append(to: &text, pointAfter: nil, zerosAfter: x + 1 - n)
      text.append(0x30_2E, count: 2)  // ".0"
    } else if x >= 0 {
      digits.append(to: &text, pointAfter: x + 1)
    } else {
      // "0.0001": up to three zeros after the point.
      let prefix = 1 - x
      text.append(0x30_3030_2E30 & ((1 << (8 * UInt128(prefix))) &- 1), count: prefix)  // "0." and the zeros
      digits.append(to: &text, pointAfter: nil)
    }
    bytes.appendText(text.low, text.high, count: text.count)
  }

  /// The decimal `significand` × 10^`exponent` that `description` writes
  /// for a finite `magnitude` > 0 (the significand may end in zeros).
  private static func digits(of magnitude: Double) -> (significand: UInt64, exponent: Int) {
    let bits = magnitude.bitPattern
    let fraction = bits & (1 << 52 - 1)
    let biasedExponent = Int(bits >> 52)
    guard biasedExponent != 0 else { return scaled(q: minimumExponent, c: fraction) }
    let c = 1 << 52 | fraction
    let shift = 1075 - biasedExponent  // magnitude = c / 2^shift
    if shift > 0 && shift < 53 {
      let whole = c >> shift
      if whole << shift == c { return (whole, 0) }
    }
    return scaled(q: -shift, c: c)
  }

  /// The binary exponent of the smallest subnormal, 2^-1074.
  private static let minimumExponent = -1074

  /// Schubfach for c × 2^q.
  private static func scaled(q: Int, c: UInt64) -> (UInt64, Int) {
    let odd = c & 1
    let cb = c << 2
    let cbr = cb + 2
    let cbl: UInt64
    let k: Int
    if c != 1 << 52 || q == minimumExponent {
      cbl = cb - 2
      k = (q * 661_971_961_083) >> 41  // ⌊q log10 2⌋
    } else {
      // At a power of two the interval below is half as wide.
      cbl = cb - 1
      k = (q * 661_971_961_083 - 274_743_187_321) >> 41  // ⌊q log10 2 + log10 3/4⌋
    }
    let h = q + ((-k * 913_124_641_741) >> 38) + 2  // q + ⌊-k log2 10⌋ + 2
    let index = 2 * (k - PowerTable.smallestK)
    let g1 = PowerTable.g[index]
    let g0 = PowerTable.g[index + 1]
    let vb = roundToOdd(g1, g0, cb << h)
    let vbl = roundToOdd(g1, g0, cbl << h)
    let vbr = roundToOdd(g1, g0, cbr << h)
    let s = vb >> 2
    // One digit fewer: the multiples of ten around s. (Schubfach proper
    // asks only from s ≥ 100, which every normal double meets; the few
    // subnormals below 10⁻³²⁰ need it too, or "8e-323" comes out "7.9e-323".)
    let sp10 = 10 * (s / 10)
    let tp10 = sp10 + 10
    let upIn = vbl + odd <= sp10 << 2
    let wpIn = (tp10 << 2) + odd <= vbr
    if upIn != wpIn { return (upIn ? sp10 : tp10, k) }
    let t = s + 1
    let uIn = vbl + odd <= s << 2
    let wIn = (t << 2) + odd <= vbr
    if uIn != wIn { return (uIn ? s : t, k) }
    // Both inside: the nearer, the even one on a tie.
    let distance = Int64(bitPattern: vb &- ((s + t) << 1))
    return (distance < 0 || (distance == 0 && s & 1 == 0) ? s : t, k)
  }

  /// ⌊g × cp / 2^127⌋ with its lowest bit set if any bit below was (round
  /// to odd), for g = g1 × 2^63 + g0.
  @inline(__always)
  private static func roundToOdd(_ g1: UInt64, _ g0: UInt64, _ cp: UInt64) -> UInt64 {
    let mask: UInt64 = 1 << 63 - 1
    let x1 = g0.multipliedFullWidth(by: cp).high
    let y = g1.multipliedFullWidth(by: cp)
    let z = (y.low >> 1) &+ x1
    let vbp = y.high &+ (z >> 63)
    return vbp | (((z & mask) &+ mask) >> 63)
  }
}

/// A significand's digits as 17 ASCII bytes in three little-endian
/// words, the first digit lowest and zeros after the last significant one.
private struct SeventeenDigits {
  private let first8: UInt64
  private let next8: UInt64
  private let last: UInt64
  /// The number of significant digits.
  let count: Int

  /// The digits of `value` (0 < value < 10^17, no trailing zeros).
  @inline(__always)
  init(_ value: UInt64) {
    count = DecimalDigits.count(value)
    let padded = value &* DecimalDigits.powersOfTen[17 - count]
    let tenths = padded / 10
    first8 = DecimalDigits.eight(tenths / 100_000_000)
    next8 = DecimalDigits.eight(tenths % 100_000_000)
    last = 0x30 + padded % 10
  }

  /// Appends the significant digits, with a point after the first `point`
  /// of them (1…16) if given, and `zerosAfter` zeros (the digits of a whole
  /// number past its significand's).
  @inline(__always)
  func append(to text: inout Text256, pointAfter point: Int?, zerosAfter zeros: Int = 0) {
    let all = UInt128(first8) | UInt128(next8) << 64
    guard let p = point else {
      // Past the significant digits the padded significand holds zeros.
      let shown = count + zeros
      if shown <= 16 {
        text.append(all & ((1 << (8 * shown)) &- 1), count: shown)
      } else {
        text.append(all, count: 16)
        text.append(UInt128(last), count: 1)
      }
      return
    }
    text.append(all & ((1 << (8 * p)) &- 1), count: p)
    text.append(0x2E, count: 1)  // "."
    let rest = count - p
    let after = (all >> (8 * p)) | UInt128(last) << (8 * (16 - p))
    text.append(after & ((1 << (8 * rest)) &- 1), count: rest)
  }
}

/// Up to 32 bytes of text in a 256-bit number (the first byte lowest),
/// built in registers and appended to an array in one step.
private struct Text256 {
  private(set) var low: UInt128 = 0
  private(set) var high: UInt128 = 0
  private(set) var count = 0

  /// Appends the lowest `n` bytes of `bytes`, whose higher bytes are zero.
  @inline(__always)
  mutating func append(_ bytes: UInt128, count n: Int) {
    let shift = 8 * count
    if shift < 128 {
      low |= bytes << shift
      if shift > 0 { high |= bytes >> (128 - shift) }
    } else {
      high |= bytes << (shift - 128)
    }
    count += n
  }
}

/// Decimal digits a word at a time.
private enum DecimalDigits {
  /// The number of decimal digits of `value` (1 for zero).
  @inline(__always)
  static func count(_ value: UInt64) -> Int {
    // ⌊bits × log10 2⌋ is the count or one short of it.
    let estimate = ((64 - value.leadingZeroBitCount) &* 1233) >> 12
    return max(1, value >= powersOfTen[estimate] ? estimate + 1 : estimate)
  }

  /// 10⁰ … 10¹⁹.
  static let powersOfTen: [UInt64] = [
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
    100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
    10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
  ]

  /// Eight ASCII digits of `value` < 10^8, the first in the lowest byte:
  /// halves, quarters and digits split in parallel lanes of one word.
  @inline(__always)
  static func eight(_ value: UInt64) -> UInt64 {
    var x = (value / 10_000) | ((value % 10_000) << 32)
    let hundreds = ((x &* 10_486) >> 20) & 0x0000_007F_0000_007F  // ⌊x / 100⌋ per lane
    x = hundreds | ((x &- 100 &* hundreds) << 16)
    let tens = ((x &* 103) >> 10) & 0x000F_000F_000F_000F  // ⌊x / 10⌋ per lane
    x = tens | ((x &- 10 &* tens) << 8)
    return x | 0x3030_3030_3030_3030
  }
}

/// Schubfach's powers of ten: for k in -324…292, g = ⌊10^-k / 2^r⌋ + 1
/// with r chosen so that 2^125 ≤ 10^-k / 2^r < 2^126, as its high 63 bits
/// and low 63 bits (`g[2i]`, `g[2i + 1]` for k = `smallestK` + i).
/// Worked out exactly once, on first use, with whole-number arithmetic.
private enum PowerTable {
  static let smallestK = -324
  static let largestK = 292
  static let g: [UInt64] = {
    var table = [UInt64](repeating: 0, count: 2 * (largestK - smallestK + 1))
    func store(_ value: BigNatural, k: Int) {
      var (high, low) = value.leading126Bits()
      low &+= 1
      if low == 0 { high += 1 }
      let index = 2 * (k - smallestK)
      table[index] = high << 1 | low >> 63
      table[index + 1] = low & (1 << 63 - 1)
    }
    // 10^-k for k ≤ 0: the whole number 10^j, j = -k.
    var power = BigNatural(1)
    for j in 0...(-smallestK) {
      store(power, k: -j)
      power.multiply(by: 10)
    }
    // 10^-k for k > 0: ⌊2^1280 / 10^k⌋ has the same leading bits as 10^-k
    // (a floor of a floor is the floor of the quotient).
    var quotient = BigNatural(powerOfTwo: 1280)
    for k in 1...largestK {
      quotient.divide(by: 10)
      store(quotient, k: k)
    }
    return table
  }()
}

/// A whole number as 32-bit limbs, lowest first: just what the power
/// table needs.
private struct BigNatural {
  private var limbs: [UInt32]

  init(_ value: UInt32) { limbs = [value] }

  init(powerOfTwo exponent: Int) {
    limbs = [UInt32](repeating: 0, count: exponent / 32 + 1)
    limbs[exponent / 32] = 1 << UInt32(exponent % 32)
  }

  mutating func multiply(by factor: UInt32) {
    var carry: UInt64 = 0
    for i in limbs.indices {
      let product = UInt64(limbs[i]) * UInt64(factor) + carry
      limbs[i] = UInt32(truncatingIfNeeded: product)
      carry = product >> 32
    }
    if carry > 0 { limbs.append(UInt32(carry)) }
  }

  /// Divides in place, discarding the remainder.
  mutating func divide(by divisor: UInt32) {
    var remainder: UInt64 = 0
    for i in limbs.indices.reversed() {
      let dividend = remainder << 32 | UInt64(limbs[i])
      limbs[i] = UInt32(dividend / UInt64(divisor))
      remainder = dividend % UInt64(divisor)
    }
    while limbs.count > 1 && limbs.last == 0 { limbs.removeLast() }
  }

  private var bitWidth: Int { limbs.count * 32 - limbs.last!.leadingZeroBitCount }

  private func bit(_ i: Int) -> UInt64 {
    i < 0 ? 0 : UInt64(limbs[i / 32] >> UInt32(i % 32) & 1)
  }

  /// ⌊self × 2^s⌋ for the s (of either sign) that puts the result in
  /// [2^125, 2^126), as its high and low 64 bits.
  func leading126Bits() -> (high: UInt64, low: UInt64) {
    let top = bitWidth - 1
    var high: UInt64 = 0
    var low: UInt64 = 0
    for i in 0..<126 {
      let b = bit(top - i)  // bits below the number's lowest are zeros
      high = high << 1 | low >> 63
      low = low << 1 | b
    }
    return (high, low)
  }
}
