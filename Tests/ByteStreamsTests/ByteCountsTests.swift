import ByteStreams
import ChurnIO
import ChurnTestSupport
import Testing

struct ByteCountsTests {
  /// Counts equal a byte-by-byte count for ranges of every alignment and
  /// for ranges long enough to overflow a byte-sized lane (all one value).
  @Test func agreesWithAByteCount() {
    var rng = SplitMix64(seed: 12)
    let alphabet = Array("a,\n\r\"x".utf8)
    let bytes = (0..<20_000).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
    let targets = (UInt8(ascii: "\n"), UInt8(ascii: "\r"), UInt8(ascii: "\""))
    for (start, end) in [(0, 20_000), (1, 19_999), (5, 20), (7, 7), (16, 48), (3, 18), (100, 4_197)] {
      let counts = ByteCounts(bytes, from: start, to: end, of: targets)
      let part = bytes[start..<end]
      #expect(counts.first == part.filter { $0 == targets.0 }.count, "\(start)..<\(end)")
      #expect(counts.second == part.filter { $0 == targets.1 }.count, "\(start)..<\(end)")
      #expect(counts.third == part.filter { $0 == targets.2 }.count, "\(start)..<\(end)")
    }
    let feeds = [UInt8](repeating: 0x0A, count: 16 * 600 + 5)
    let all = ByteCounts(feeds, from: 2, to: feeds.count, of: targets)
    #expect((all.first, all.second, all.third) == (feeds.count - 2, 0, 0))
  }
}
