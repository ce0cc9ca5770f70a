import ByteStreams
import Foundation

/// How model files are written: the canonical bytes a checksum is taken of
/// (sorted keys, compact) and the file's own bytes (sorted keys, indented,
/// a final newline); non-finite numbers as "inf", "-inf", "nan".
enum ModelJSON {
  static func canonical<Value: Encodable>(_ value: Value) throws -> [UInt8] {
    Array(try encoder(pretty: false).encode(value))
  }

  static func file<Value: Encodable>(_ value: Value) throws -> [UInt8] {
    Array(try encoder(pretty: true).encode(value)) + [0x0A]
  }

  /// "crc32:…" of the canonical bytes.
  static func checksum<Value: Encodable>(_ value: Value) throws -> String {
    "crc32:" + Checksum.crc32Hex(try canonical(value))
  }

  static func encoder(pretty: Bool) -> JSONEncoder {
    let encoder = JSONEncoder()
    encoder.nonConformingFloatEncodingStrategy = ChurnModel.nonFinite
    encoder.outputFormatting =
      pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
    return encoder
  }
}
