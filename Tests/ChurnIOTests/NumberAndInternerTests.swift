import ChurnIO
import ChurnTestSupport
import Testing

struct NumberParsingTests {
  func parse(_ text: String) -> Double? {
    let bytes = Array(text.utf8)
    return parseDecimal(bytes, 0..<bytes.count)
  }

  /// The fast path must round exactly as the standard library's parser
  /// (strtod): 50,000 random decimals of up to 17 significant digits.
  @Test func agreesBitForBitWithStandardLibrary() {
    var rng = SplitMix64(seed: 3)
    for _ in 0..<50_000 {
      let digits = Int.random(in: 1...17, using: &rng)
      var mantissa = ""
      for _ in 0..<digits { mantissa += String(Int.random(in: 0...9, using: &rng)) }
      let point = Int.random(in: 0...digits, using: &rng)
      var text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
      if Bool.random(using: &rng) { text = "-" + text }
      if text.hasSuffix(".") { text += "0" }
      if text.hasPrefix(".") || text.hasPrefix("-.") { text = text.replacingOccurrences(of: ".", with: "0.") }
      #expect(parse(text)?.bitPattern == Double(text)?.bitPattern, "\(text)")
    }
  }

  @Test(arguments: [
    ("12.5", 12.5), (" 7 ", 7.0), ("-0.25", -0.25), ("+3", 3.0), ("1e3", 1000.0), ("2.5E-3", 0.0025),
    ("123456789012345678901234", 123456789012345678901234.0), ("0.1", 0.1), (".5", 0.5), ("5.", 5.0),
  ])
  func parsesNumbers(_ text: String, _ value: Double) {
    #expect(parse(text) == value)
  }

  /// Fractions read eight digits at a time: windows that hold a non-digit
  /// (an exponent, a space, a letter) fall back byte by byte.
  @Test(arguments: [
    "0.12345678", "0.123456789", "1.2345678901234567", "505.37299768517363", "0.1234567e-05", "0.12345678e2",
    "-0.0000000012345678", "0.12345678 ", "9.99999999999999999",
  ])
  func fractionsEightDigitsAtATime(_ text: String) {
    #expect(parse(text)?.bitPattern == Double(text.trimmingCharacters(in: .whitespaces))?.bitPattern, "\(text)")
  }

  @Test(arguments: ["", " ", "abc", "1.2.3", "12a", "--1", "inf", "nan", "1e400", ".", "0.1234567x9", "0.12345678x"])
  func rejectsNonNumbers(_ text: String) {
    #expect(parse(text) == nil)
  }
}

struct InternerTests {
  @Test func idsAreDenseInFirstAppearanceOrder() {
    var ids = Interner()
    #expect(ids.intern("b") == 0)
    #expect(ids.intern("a") == 1)
    #expect(ids.intern("b") == 0)
    #expect(ids.intern("") == 2)
    #expect(ids.strings == ["b", "a", ""])
    #expect(ids.lookup("a") == 1)
    #expect(ids.lookup("z") == nil)
  }

  /// Through many table growths, every string keeps its id.
  @Test func survivesGrowth() {
    var ids = Interner()
    for k in 0..<20_000 { #expect(ids.intern("customer-\(k)") == Int32(k)) }
    for k in stride(from: 0, to: 20_000, by: 7) { #expect(ids.lookup("customer-\(k)") == Int32(k)) }
    #expect(ids.count == 20_000)
    #expect(ids.string(12_345) == "customer-12345")
  }
}

#if canImport(Foundation)
  import Foundation
#endif

/// The fast decimal paths against the standard library's correctly rounded
/// parser, bit for bit.
struct DecimalParsingTests {
  func parse(_ text: String) -> Double? {
    let bytes = Array(text.utf8)
    return parseDecimal(bytes, 0..<bytes.count)
  }

  @Test func longMantissasRoundLikeTheStandardLibrary() {
    var rng = SplitMix64(seed: 17)
    var checked = 0
    for _ in 0..<200_000 {
      let digits = 16 + Int(rng.next() % 4)  // 16–19 significant digits
      var mantissa = String(1 + rng.next() % 9)
      for _ in 1..<digits { mantissa += String(rng.next() % 10) }
      let point = Int(rng.next() % UInt64(digits + 8)) - 4
      var text: String
      if point <= 0 {
        text = "0." + String(repeating: "0", count: -point) + mantissa
      } else if point >= digits {
        text = mantissa + String(repeating: "0", count: point - digits)
      } else {
        text = String(mantissa.prefix(point)) + "." + String(mantissa.dropFirst(point))
      }
      if rng.next() % 2 == 0 { text = "-" + text }
      let expected = Double(text)!
      #expect(parse(text)?.bitPattern == expected.bitPattern, "\(text)")
      checked += 1
    }
    #expect(checked == 200_000)
  }

  /// Values just around halfway between two doubles, and shortest
  /// round-trip output of random doubles.
  @Test func halfwayCasesAndRoundTrips() {
    for text in [
      "9007199254740993", "9007199254740995", "9007199254740994.5", "18014398509481985", "0.30000000000000004",
      "1.7976931348623157", "4.9406564584124654e-1", "2.2250738585072014", "123456789012345678.9",
    ] {
      #expect(parse(text)?.bitPattern == Double(text)!.bitPattern, "\(text)")
    }
    var rng = SplitMix64(seed: 23)
    for _ in 0..<100_000 {
      let value = Double(bitPattern: rng.next() >> 2 | 0x3C00_0000_0000_0000) * (rng.next() % 2 == 0 ? 1 : 1e-12)
      let text = "\(value)"
      #expect(parse(text) == value, "\(text)")
    }
  }
}
