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
