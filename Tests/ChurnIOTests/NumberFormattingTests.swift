import ByteStreams
import ChurnIO
import ChurnTestSupport
import Testing

struct NumberFormattingTests {
  /// `appendShortest` writes exactly `description`'s digits, for
  /// random bit patterns (subnormals, NaNs, infinities included), the
  /// probabilities and contributions scoring writes, and the edge cases.
  @Test func shortestFormMatchesDescription() {
    var rng = SplitMix64(seed: 9)
    var values: [Double] = [
      0, -0.0, 1, -1, 0.1, 1e-5, 1e-4, 1e15, 1e16, 1e17, .pi, .infinity, -.infinity, .nan,
      .leastNonzeroMagnitude, .greatestFiniteMagnitude, 5.682286805270526e-05, 0.49387025818191516,
    ]
    for _ in 0..<20_000 { values.append(Double(bitPattern: rng.next())) }
    for _ in 0..<20_000 { values.append(Double(rng.next() % 1_000_000_007) / 1_000_000_007) }
    for v in values {
      var bytes: [UInt8] = Array("x,".utf8)
      CSVFormatting.appendShortest(v, to: &bytes)
      #expect(bytes == Array(("x," + v.description).utf8), "\(v.bitPattern)")
    }
  }
}

/// `printable`: control characters (C0 but line feed and tab, DEL, C1)
/// escaped, everything else — accents, emoji, newlines — kept.
struct PrintableTextTests {
  @Test func escapesControlCharactersOnly() {
    #expect(printable("plain, café ☕\nnext\tcolumn") == "plain, café ☕\nnext\tcolumn")
    #expect(printable("a\u{1B}[31mb") == "a\\u{1b}[31mb")
    #expect(printable("\u{0}\u{7}\r\u{7F}\u{85}\u{9F}\u{A0}") == "\\u{0}\\u{7}\\u{d}\\u{7f}\\u{85}\\u{9f}\u{A0}")
  }
}
