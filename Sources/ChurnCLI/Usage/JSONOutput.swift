import Foundation

/// The JSON every `--json` option prints: pretty, keys sorted, non-finite
/// numbers (an undefined AUC, say) as the strings "nan", "inf", "-inf".
enum JSONOutput {
  static func text<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = .convertToString(
      positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
    return String(decoding: try encoder.encode(value), as: UTF8.self) + "\n"
  }
}
