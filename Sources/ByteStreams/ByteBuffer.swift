/// Where text is appended byte by byte: an array, or a `ByteBuffer`.
///
/// Formatting code is written once against this protocol; over a
/// `ByteBuffer` it runs without the array's copy-on-write and capacity
/// bookkeeping on every append (what a score file's rows, each dozens of
/// small appends, spend most of their writing time on).
public protocol ByteSink: ~Copyable {
  mutating func append(_ byte: UInt8)
  mutating func append(contentsOf bytes: [UInt8])
  /// Appends `bytes[range]` (a borrowed view: no reference count taken).
  mutating func append(_ range: Range<Int>, of bytes: Span<UInt8>)
  /// Appends the first `count` (at most 32) bytes of a little-endian
  /// 256-bit text, `low` then `high` (text built in registers).
  mutating func appendText(_ low: UInt128, _ high: UInt128, count: Int)
}

extension Array: ByteSink where Element == UInt8 {
  @inlinable @inline(__always)
  public mutating func append(_ range: Range<Int>, of bytes: Span<UInt8>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range past the bytes")
    unsafe bytes.withUnsafeBufferPointer { buffer in
      unsafe append(contentsOf: UnsafeBufferPointer(rebasing: buffer[range]))
    }
  }

  @inlinable @inline(__always)
  public mutating func appendText(_ low: UInt128, _ high: UInt128, count: Int) {
    precondition(count >= 0 && count <= 32, "at most 32 bytes")
    append(addingCapacity: 32) { span in
      unsafe span.withUnsafeMutableBufferPointer { buffer, initialized in
        unsafe ByteBuffer.store(low, high, at: UnsafeMutableRawPointer(buffer.baseAddress!) + initialized)
        initialized += count
      }
    }
  }
}

/// A growable byte buffer that owns its memory and cannot be copied, so
/// appending needs no copy-on-write check: a capacity test and a store.
///
/// ```swift
/// var buffer = ByteBuffer()
/// buffer.append(contentsOf: Array("id,".utf8))
/// buffer.append(UInt8(ascii: "7"))
/// let bytes = buffer.finish()  // Array("id,7".utf8)
/// ```
@safe public struct ByteBuffer: ~Copyable, ByteSink {
  @usableFromInline var base: UnsafeMutablePointer<UInt8>
  @usableFromInline var capacity: Int
  @usableFromInline var used = 0

  /// An empty buffer with room for `capacity` bytes.
  public init(capacity: Int = 4096) {
    self.capacity = max(capacity, 64)
    unsafe base = UnsafeMutablePointer<UInt8>.allocate(capacity: self.capacity)
  }

  deinit { unsafe base.deallocate() }

  /// The number of bytes appended.
  public var count: Int { used }

  /// Makes room for at least `total` bytes in all.
  @inlinable @inline(__always)
  public mutating func reserveCapacity(_ total: Int) {
    if total > capacity { grow(toAtLeast: total) }
  }

  @usableFromInline
  mutating func grow(toAtLeast total: Int) {
    let newCapacity = max(total, 2 * capacity)
    let newBase = UnsafeMutablePointer<UInt8>.allocate(capacity: newCapacity)
    unsafe newBase.update(from: base, count: used)
    unsafe base.deallocate()
    unsafe base = newBase
    capacity = newCapacity
  }

  @inlinable @inline(__always)
  public mutating func append(_ byte: UInt8) {
    if used == capacity { grow(toAtLeast: used + 1) }
    unsafe base[used] = byte
    used += 1
  }

  @inlinable @inline(__always)
  public mutating func append(contentsOf bytes: [UInt8]) {
    append(0..<bytes.count, of: bytes.span)
  }

  @inlinable @inline(__always)
  public mutating func append(_ range: Range<Int>, of bytes: Span<UInt8>) {
    precondition(range.lowerBound >= 0 && range.upperBound <= bytes.count, "a range past the bytes")
    let n = range.count
    reserveCapacity(used + n)
    let target = unsafe UnsafeMutableRawPointer(base + used)
    unsafe bytes.withUnsafeBytes { source in
      let start = unsafe source.baseAddress! + range.lowerBound
      if n >= 8 && n <= 16 {
        // Two overlapping words: the short names and phrases of a score row.
        let head = unsafe start.loadUnaligned(as: UInt64.self)
        let tail = unsafe start.loadUnaligned(fromByteOffset: n - 8, as: UInt64.self)
        unsafe target.storeBytes(of: head, toByteOffset: 0, as: UInt64.self)
        unsafe target.storeBytes(of: tail, toByteOffset: n - 8, as: UInt64.self)
      } else if n > 0 {
        unsafe target.copyMemory(from: start, byteCount: n)
      }
    }
    used += n
  }

  @inlinable @inline(__always)
  public mutating func appendText(_ low: UInt128, _ high: UInt128, count: Int) {
    precondition(count >= 0 && count <= 32, "at most 32 bytes")
    reserveCapacity(used + 32)
    unsafe ByteBuffer.store(low, high, at: UnsafeMutableRawPointer(base + used))
    used += count
  }

  /// The 32 bytes of `low` then `high`, little-endian, at `target`.
  @inlinable @inline(__always)
  static func store(_ low: UInt128, _ high: UInt128, at target: UnsafeMutableRawPointer) {
    unsafe target.storeBytes(of: UInt64(truncatingIfNeeded: low).littleEndian, toByteOffset: 0, as: UInt64.self)
    unsafe target.storeBytes(of: UInt64(truncatingIfNeeded: low >> 64).littleEndian, toByteOffset: 8, as: UInt64.self)
    unsafe target.storeBytes(of: UInt64(truncatingIfNeeded: high).littleEndian, toByteOffset: 16, as: UInt64.self)
    unsafe target.storeBytes(of: UInt64(truncatingIfNeeded: high >> 64).littleEndian, toByteOffset: 24, as: UInt64.self)
  }

  /// The bytes appended, as an array (the buffer's memory is freed).
  public consuming func finish() -> [UInt8] {
    unsafe Array(UnsafeBufferPointer(start: base, count: used))
  }
}
