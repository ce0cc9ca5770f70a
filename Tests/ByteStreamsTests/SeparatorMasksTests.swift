import ByteStreams
import ChurnIO
import ChurnTestSupport
import Testing

struct SeparatorMasksTests {
  /// `next` finds what a byte-by-byte scan finds, from every start, for
  /// ranges of every alignment and length (the 16-byte blocks and the
  /// bytes after the last one), with `;` as the delimiter too.
  @Test(arguments: [UInt8(ascii: ","), UInt8(ascii: ";")])
  func agreesWithAByteScan(_ delimiter: UInt8) {
    var rng = SplitMix64(seed: 5)
    let alphabet = Array("ab,;\n\r\"0123456789 ".utf8)
    let bytes = (0..<700).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }

    func isSeparator(_ b: UInt8) -> Bool { b == delimiter || b == 0x0A || b == 0x0D }
    for (start, end) in [(0, 700), (1, 700), (3, 68), (17, 17), (64, 129), (5, 20), (0, 15), (100, 700)] {
      let masks = SeparatorMasks(bytes, from: start, to: end, delimiter: delimiter)
      #expect(masks.count == bytes[start..<end].filter(isSeparator).count)
      #expect(masks.lineBreaks == bytes[start..<end].filter { $0 == 0x0A || $0 == 0x0D }.count)
      // The cursor visits every separator in order, then stays at the end.
      var cursor = masks.cursor()
      let visited = (0..<masks.count + 2).map { _ in cursor.next() }
      #expect(visited == (start..<end).filter { isSeparator(bytes[$0]) } + [end, end], "range \(start)..<\(end)")
      for i in start...end {
        let expected = (i..<end).first { isSeparator(bytes[$0]) } ?? end
        #expect(masks.next(from: i, limit: end) == expected, "range \(start)..<\(end), from \(i)")
        // A nearer limit cuts the search short.
        let limit = min(end, i + 5)
        #expect(masks.next(from: i, limit: limit) == min(expected, limit))
      }
    }
  }
}

extension SeparatorMasksTests {
  /// The line-break count stays exact over ranges whose per-lane counts
  /// would overflow a byte: all line breaks, and a sparse mix.
  @Test func countsLineBreaksOverLongRanges() {
    let allBreaks = [UInt8](repeating: 0x0A, count: 64 * 200 + 37)
    #expect(SeparatorMasks(allBreaks, from: 3, to: allBreaks.count, delimiter: 0x2C).lineBreaks == allBreaks.count - 3)
    var rng = SplitMix64(seed: 9)
    let mixed = (0..<50_000).map { _ in [UInt8(0x0A), 0x0D, 0x2C, 0x61, 0x62, 0x63][Int(rng.next() % 6)] }
    let masks = SeparatorMasks(mixed, from: 11, to: 49_990, delimiter: 0x2C)
    #expect(masks.lineBreaks == mixed[11..<49_990].filter { $0 == 0x0A || $0 == 0x0D }.count)
  }
}
