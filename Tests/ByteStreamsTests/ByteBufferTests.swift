import ByteStreams
import ChurnIO
import ChurnTestSupport
import Testing

struct ByteBufferTests {
  /// The same random mix of appends — single bytes, arrays of every length
  /// from 0 to 40 (the 8…16 ones take the two-word path), ranges of a span,
  /// 256-bit texts — gives a `ByteBuffer` the bytes an array gets, through
  /// many growths from a small start.
  @Test func appendsAsAnArrayDoes() {
    var rng = SplitMix64(seed: 31)
    let pool = (0..<300).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) }
    var buffer = ByteBuffer(capacity: 1)
    var array: [UInt8] = []
    func same<S: ByteSink & ~Copyable>(_ sink: inout S, _ op: Int, _ a: Int, _ b: Int) {
      switch op {
      case 0: sink.append(UInt8(truncatingIfNeeded: a))
      case 1: sink.append(contentsOf: Array(pool[0..<(a % 41)]))
      case 2: sink.append(min(a, b)..<max(a, b), of: pool.span)
      default:
        let low = UInt128(a) << 64 | UInt128(b) | 0x0101_0101_0101_0101
        let high = UInt128(b) << 64 | UInt128(a)
        let count = a % 33
        // Bytes past `count` must not show.
        sink.appendText(low, high, count: count)
      }
    }
    for _ in 0..<5_000 {
      let op = Int(rng.next() % 4)
      let a = Int(rng.next() % 300)
      let b = Int(rng.next() % 300)
      same(&buffer, op, a, b)
      same(&array, op, a, b)
    }
    #expect(buffer.count == array.count)
    #expect(buffer.finish() == array)
  }

  @Test func textKeepsOnlyItsCount() {
    var buffer = ByteBuffer()
    buffer.appendText(0x34_33_32_31, 0, count: 2)
    buffer.append(UInt8(ascii: "!"))
    #expect(buffer.finish() == Array("12!".utf8))
  }
}
