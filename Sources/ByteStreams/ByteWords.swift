/// Eight bytes at a time, for parsers that test or convert a word at once.
///
/// ```swift
/// ByteWords.load(Array("12345678".utf8), at: 0)  // 0x3837_3635_3433_3231
/// ```
public enum ByteWords {
  /// `bytes[offset..<offset + 8]` as one little-endian word (the byte at
  /// `offset` lowest). Traps if the eight bytes are not all in `bytes`.
  @inlinable @inline(__always)
  public static func load(_ bytes: [UInt8], at offset: Int) -> UInt64 {
    precondition(offset >= 0 && offset <= bytes.count - 8, "eight bytes past the end")
    return unsafe bytes.withUnsafeBytes { raw in
      UInt64(littleEndian: unsafe raw.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }
  }
}
