/// Where the bytes that end an unquoted CSV field are — the delimiter, LF
/// and CR — as one bit per byte, found sixteen bytes at a time.
///
/// A CSV parser that scans byte by byte pays a hard-to-predict branch per
/// byte, and feature files and event logs are mostly one- to ten-byte
/// fields. With the masks it jumps from separator to separator: the next
/// one at or after `i` is a trailing-zero count away.
///
/// ```swift
/// let masks = SeparatorMasks(bytes, from: 0, to: bytes.count, delimiter: UInt8(ascii: ","))
/// let end = masks.next(from: 0, limit: bytes.count)  // end of the first field
/// ```
public struct SeparatorMasks: Sendable {
  /// Bit j of `words[k]` is set when byte `start + 64k + j` is a separator.
  @usableFromInline var words: [UInt64]
  @usableFromInline let start: Int
  /// The end of the masked range.
  @usableFromInline let end: Int
  /// How many of the separators are line breaks (LF or CR; CRLF counts
  /// two): a bound on the records in the range, less one.
  public let lineBreaks: Int

  /// The masks of `bytes[from..<to]`.
  public init(_ bytes: [UInt8], from start: Int, to end: Int, delimiter: UInt8) {
    precondition(0 <= start && start <= end && end <= bytes.count)
    self.start = start
    self.end = end
    let count = end - start
    var words = [UInt64](repeating: 0, count: (count + 63) / 64 + 1)
    let blocks = count / 64
    var lineBreaks = 0
    unsafe bytes.withUnsafeBytes { raw in
      let d = SIMD16<UInt8>(repeating: delimiter)
      let lf = SIMD16<UInt8>(repeating: 0x0A)
      let cr = SIMD16<UInt8>(repeating: 0x0D)
      var mutableWords = words.mutableSpan
      // Line breaks counted per lane, added up before a lane can overflow
      // (four per 64-byte block, so every 63 blocks).
      var breakLanes = SIMD16<UInt8>(repeating: 0)
      func addUpLanes() {
        for lane in 0..<16 { lineBreaks += Int(breakLanes[lane]) }
        breakLanes = SIMD16<UInt8>(repeating: 0)
      }
      for k in 0..<blocks {
        var word: UInt64 = 0
        for q in 0..<4 {
          let v = unsafe raw.loadUnaligned(fromByteOffset: start + 64 * k + 16 * q, as: SIMD16<UInt8>.self)
          let isBreak = (v .== lf) .| (v .== cr)
          let hit = (v .== d) .| isBreak
          let flags = SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: hit)
          breakLanes &+= SIMD16<UInt8>(repeating: 0).replacing(with: 1, where: isBreak)
          let halves = unsafe unsafeBitCast(flags, to: SIMD2<UInt64>.self)
          word |= (Self.gather(halves[0]) | Self.gather(halves[1]) << 8) << UInt64(16 * q)
        }
        mutableWords[k] = word
        if k % 63 == 62 { addUpLanes() }
      }
      addUpLanes()
    }
    for i in (64 * blocks)..<count {
      let b = bytes[start + i]
      if b == delimiter || b == 0x0A || b == 0x0D { words[i >> 6] |= 1 << UInt64(i & 63) }
      if b == 0x0A || b == 0x0D { lineBreaks += 1 }
    }
    self.words = words
    self.lineBreaks = lineBreaks
  }

  /// One bit per byte of a word whose bytes are each 0 or 1: byte i → bit i.
  @inline(__always)
  private static func gather(_ x: UInt64) -> UInt64 {
    // Every byte's bit lands in the top byte of the product at its own place,
    // and no two partial products share a bit, so nothing carries.
    (x &* 0x0102_0408_1020_4080) >> 56
  }

  /// How many separators there are in the masked range.
  public var count: Int { words.reduce(0) { $0 + $1.nonzeroBitCount } }

  /// The separators in order, from the start of the masked range: for a
  /// reader that visits every field, the next one is a pop of the lowest
  /// set bit of the current word.
  ///
  /// ```swift
  /// var cursor = masks.cursor()
  /// let end = cursor.next()  // end of the first field
  /// ```
  public struct Cursor: Sendable {
    @usableFromInline let masks: SeparatorMasks
    @usableFromInline var k = 0
    @usableFromInline var word: UInt64

    init(_ masks: SeparatorMasks) {
      self.masks = masks
      word = masks.words[0]
    }

    /// The next separator's position, or the end of the masked range when
    /// there is none left (and from then on).
    @inlinable @inline(__always)
    public mutating func next() -> Int {
      while word == 0 {
        if k + 1 >= masks.words.count { return masks.end }
        k += 1
        word = masks.words[k]
      }
      let position = masks.start + (k << 6) + word.trailingZeroBitCount
      word &= word &- 1
      return position
    }
  }

  /// A cursor over the separators, from the first.
  public func cursor() -> Cursor { Cursor(self) }

  /// The position of the first separator in `i..<limit`, or `limit` when
  /// there is none (`i` and `limit` within the masked range).
  @inlinable @inline(__always)
  public func next(from i: Int, limit: Int) -> Int {
    let relative = i - start
    var k = relative >> 6
    var word = words[k] & (~0 << UInt64(relative & 63))
    let last = (limit - start) >> 6
    while word == 0 {
      if k >= last { return limit }
      k += 1
      word = words[k]
    }
    return min(start + (k << 6) + word.trailingZeroBitCount, limit)
  }
}
