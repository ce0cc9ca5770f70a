import ChurnIO
import ChurnTestSupport
import Testing

/// `CSVFormatting.appendShortest` (Schubfach digits, `description`'s layout)
/// against the standard library's own `description`.
struct DecimalTextTests {
  private func expectDescription(_ values: [Double], _ what: String) {
    var mismatches = 0
    for v in values {
      var bytes: [UInt8] = Array("x".utf8)
      CSVFormatting.appendShortest(v, to: &bytes)
      let expected = "x" + (v.isNaN ? "nan" : v.description)
      if bytes != Array(expected.utf8) {
        mismatches += 1
        if mismatches <= 5 {
          Issue.record("\(what): \(String(decoding: bytes, as: UTF8.self)) for \(expected) (bits \(v.bitPattern))")
        }
      }
    }
    #expect(mismatches == 0, "\(what): \(mismatches) of \(values.count) differ")
  }

  /// Every power of two and its neighbours (where the rounding interval is
  /// lopsided), every power of ten and its neighbours, and the edges of the
  /// layouts: 10⁻⁴ (decimal below, exponent above) and 2⁵³ (the largest
  /// written without an exponent).
  @Test func edgesMatchDescription() {
    var values: [Double] = [
      0, -0.0, 1, -1, .infinity, -.infinity, .nan, .leastNonzeroMagnitude, .leastNormalMagnitude,
      .greatestFiniteMagnitude, 0x1p53, 0x1p53 + 2, 9_007_199_254_740_990, 1e-4, 9.999e-5, 1e15, 1e16, 1e17,
      1e22, 1e23, 5e-324, 1e-323, 1.5e-323, 0.1, 0.2, 0.3, 2.0 / 3.0,
    ]
    for e in -1074...1023 {
      let p = Double(sign: .plus, exponent: e, significand: 1)
      values += [p, p.nextUp, p.nextDown, -p]
    }
    for e in -323...308 {
      if let p = Double("1e\(e)") { values += [p, p.nextUp, p.nextDown] }
    }
    for v in [1e-4, 0x1p53, 1e16] { values += [v.nextUp, v.nextDown, v.nextUp.nextUp, v.nextDown.nextDown] }
    expectDescription(values, "edges")
  }

  /// Random bit patterns (all exponents, subnormals, NaNs), random
  /// probabilities, short decimals (k / 10^j), whole numbers, and values
  /// of every magnitude a score file holds.
  @Test func randomValuesMatchDescription() {
    var rng = SplitMix64(seed: 2026)
    var values: [Double] = []
    for _ in 0..<60_000 { values.append(Double(bitPattern: rng.next())) }
    for _ in 0..<30_000 { values.append(Double(rng.next() >> 11) * 0x1p-53) }
    for _ in 0..<30_000 {
      let digits = Double(rng.next() % 1_000_000)
      let power = Int(rng.next() % 30) - 15
      values.append(Double("\(Int(digits))e\(power)")!)
    }
    for _ in 0..<10_000 { values.append(Double(rng.next() % (1 << 54))) }
    // Every layout: random significands with powers of two from 2^-60 to 2^60.
    for _ in 0..<30_000 {
      let exponent = UInt64(1023 - 60 + Int(rng.next() % 121))
      values.append(Double(bitPattern: rng.next() & (1 << 52 - 1) | exponent << 52))
    }
    expectDescription(values, "random")
  }
}

struct IntegerTextTests {
  /// Whole numbers of every length (powers of ten and their neighbours,
  /// the extremes, random ones) against `String(_:)`.
  @Test func integersMatchStringConversion() {
    var values: [Int64] = [0, 1, -1, 9, 10, -10, .max, .min, .max - 1, .min + 1]
    var power: Int64 = 1
    for _ in 0..<18 {
      power *= 10
      values += [power - 1, power, power + 1, -power, -(power - 1)]
    }
    var rng = SplitMix64(seed: 77)
    for _ in 0..<20_000 {
      let bits = Int64(bitPattern: rng.next())
      values += [bits, bits >> Int64(rng.next() % 63)]
    }
    var mismatches = 0
    for v in values {
      var bytes: [UInt8] = Array("x".utf8)
      CSVFormatting.appendInteger(v, to: &bytes)
      if bytes != Array(("x" + String(v)).utf8) {
        mismatches += 1
        if mismatches <= 5 { Issue.record("\(String(decoding: bytes, as: UTF8.self)) for \(v)") }
      }
    }
    #expect(mismatches == 0)
  }
}
