/// How often three byte values occur in a range, counted sixteen bytes at a
/// time: a CSV reader asks for line feeds, carriage returns and quotes to
/// learn whether a stretch is plain (every field ends at the next delimiter
/// or line feed) and how many lines each piece of it holds.
///
/// ```swift
/// let c = ByteCounts(Array("a\nb\n\"c\"".utf8), from: 0, to: 7, of: (0x0A, 0x0D, 0x22))
/// (c.first, c.second, c.third)  // (2, 0, 2)
/// ```
public struct ByteCounts: Sendable, Equatable {
  public let first: Int
  public let second: Int
  public let third: Int

  /// Counts the bytes of `bytes[start..<end]` equal to each of `targets`.
  public init(_ bytes: [UInt8], from start: Int, to end: Int, of targets: (UInt8, UInt8, UInt8)) {
    precondition(0 <= start && start <= end && end <= bytes.count)
    let blocks = (end - start) / 16
    var totals = (0, 0, 0)
    unsafe bytes.withUnsafeBytes { raw in
      let a = SIMD16<UInt8>(repeating: targets.0)
      let b = SIMD16<UInt8>(repeating: targets.1)
      let c = SIMD16<UInt8>(repeating: targets.2)
      let zero = SIMD16<UInt8>(repeating: 0)
      // Per-lane counts, added up before a lane can pass 255.
      var lanes = (zero, zero, zero)
      func addUpLanes() {
        for lane in 0..<16 {
          totals.0 += Int(lanes.0[lane])
          totals.1 += Int(lanes.1[lane])
          totals.2 += Int(lanes.2[lane])
        }
        lanes = (zero, zero, zero)
      }
      for k in 0..<blocks {
        let v = unsafe raw.loadUnaligned(fromByteOffset: start + 16 * k, as: SIMD16<UInt8>.self)
        lanes.0 &+= zero.replacing(with: 1, where: v .== a)
        lanes.1 &+= zero.replacing(with: 1, where: v .== b)
        lanes.2 &+= zero.replacing(with: 1, where: v .== c)
        if k % 255 == 254 { addUpLanes() }
      }
      addUpLanes()
    }
    for i in (start + 16 * blocks)..<end {
      let byte = bytes[i]
      if byte == targets.0 { totals.0 += 1 }
      if byte == targets.1 { totals.1 += 1 }
      if byte == targets.2 { totals.2 += 1 }
    }
    (first, second, third) = totals
  }
}
