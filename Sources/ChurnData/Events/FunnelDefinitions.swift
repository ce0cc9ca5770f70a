import ChurnIO
import Foundation

/// Named funnels from a JSON file (`touchpoints --funnels FILE`):
///
/// ```json
/// {"funnels": [{"name": "checkout", "steps": ["product", "cart", "checkout", "purchase"]}]}
/// ```
public struct FunnelDefinitions: Decodable, Sendable, Equatable {
  public struct Definition: Decodable, Sendable, Equatable {
    public let name: String
    public let steps: [String]

    enum CodingKeys: String, CodingKey, CaseIterable { case name, steps }

    public init(from decoder: any Decoder) throws {
      try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.stringValue))
      let c = try decoder.container(keyedBy: CodingKeys.self)
      name = try c.decode(String.self, forKey: .name)
      steps = try c.decode([String].self, forKey: .steps)
    }
  }

  public let funnels: [Definition]

  enum CodingKeys: String, CodingKey, CaseIterable { case funnels }

  public init(from decoder: any Decoder) throws {
    try refuseUnknownKeys(decoder, known: CodingKeys.allCases.map(\.stringValue))
    funnels = try decoder.container(keyedBy: CodingKeys.self).decode([Definition].self, forKey: .funnels)
  }

  /// Reads the file; a decoding problem names the file and where in it.
  public static func load(path: String) throws(IngestError) -> FunnelDefinitions {
    guard let data = contentsOfFile(path) else { throw .unreadable("cannot read funnel file \(path)") }
    let definitions: FunnelDefinitions
    do {
      definitions = try JSONDecoder().decode(FunnelDefinitions.self, from: data)
    } catch let error as DecodingError {
      throw .invalidSchema("\(path): \(JSONProblem.describe(error, in: data))")
    } catch {
      throw .invalidSchema("\(path): \(error)")
    }
    var seen = Set<String>()
    for (k, f) in definitions.funnels.enumerated() {
      guard !f.name.isEmpty, seen.insert(f.name).inserted else {
        throw .invalidSchema("\(path): funnels[\(k)]: the name '\(f.name)' is empty or used twice")
      }
    }
    return definitions
  }
}

/// A decoding error when the object has a key not in `known`.
private func refuseUnknownKeys(_ decoder: any Decoder, known: [String]) throws {
  let keys = try decoder.container(keyedBy: FunnelKey.self).allKeys.map(\.stringValue)
  if let unknown = keys.first(where: { !known.contains($0) }) {
    let suggestion = closestMatch(to: unknown, in: known).map { "; did you mean '\($0)'?" } ?? ""
    throw DecodingError.dataCorrupted(
      .init(
        codingPath: decoder.codingPath,
        debugDescription: "unknown key '\(unknown)' (expected \(known.joined(separator: ", ")))\(suggestion)"))
  }
}

private struct FunnelKey: CodingKey {
  let stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
