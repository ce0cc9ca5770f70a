import CZlib

/// Checksums of byte strings, through zlib.
public enum Checksum {
  /// The CRC-32 (zlib's) of `bytes`, as 8 lowercase hex digits.
  public static func crc32Hex(_ bytes: [UInt8]) -> String {
    let value = unsafe bytes.withUnsafeBufferPointer { buffer in
      unsafe CZlib.crc32(0, buffer.baseAddress, UInt32(buffer.count))
    }
    let hex = String(value, radix: 16)
    return String(repeating: "0", count: 8 - hex.count) + hex
  }
}
