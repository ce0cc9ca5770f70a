import Foundation

/// A JSON decoding error as a person reads it: where in the document (a
/// key path such as `model.fit.terms[3].coefficient`) and what was expected,
/// without Swift's `DecodingError` internals.
public enum JSONProblem {
  public static func describe(_ error: any Error) -> String {
    guard let error = error as? DecodingError else { return "not valid JSON (\(error.localizedDescription))" }
    switch error {
    case .keyNotFound(let key, let context):
      return "at \(location(context.codingPath)): the key '\(key.stringValue)' is missing"
    case .typeMismatch(let type, let context):
      return "at \(location(context.codingPath)): expected \(name(of: type))"
    case .valueNotFound(let type, let context):
      return "at \(location(context.codingPath)): expected \(name(of: type)), found null"
    case .dataCorrupted(let context):
      return context.codingPath.isEmpty
        ? "not valid JSON" : "at \(location(context.codingPath)): \(context.debugDescription)"
    @unknown default:
      return "not valid JSON"
    }
  }

  /// `a.b[2].c`; "the top level" for an empty path.
  static func location(_ path: [any CodingKey]) -> String {
    guard !path.isEmpty else { return "the top level" }
    var text = ""
    for key in path {
      if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
    }
    return text
  }

  static func name(of type: Any.Type) -> String {
    switch type {
    case is String.Type: return "a string"
    case is Int.Type, is Int64.Type, is Int32.Type: return "a whole number"
    case is Double.Type, is Float.Type: return "a number"
    case is Bool.Type: return "true or false"
    default:
      return "\(type)".hasPrefix("Array") ? "a list" : "an object"
    }
  }
}
