import Foundation

/// A JSON decoding error as a person reads it: where in the document (a
/// key path such as `model.fit.terms[3].coefficient`) and what was expected,
/// without Swift's `DecodingError` internals.
public enum JSONProblem {
  /// What is wrong, given the document `data` that failed to decode (for
  /// where a syntax error is: line and column).
  public static func describe(_ error: any Error, in data: Data) -> String {
    if case .dataCorrupted(let context) = error as? DecodingError, context.codingPath.isEmpty {
      return syntax(of: data)
    }
    if !(error is DecodingError) { return syntax(of: data) }
    return describe(error)
  }

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

  /// "not valid JSON: …" with the line and column where parsing stopped
  /// (Foundation's parser reports a character offset), or that the text
  /// ends too early.
  static func syntax(of data: Data) -> String {
    if data.isEmpty { return "the file is empty (expected JSON)" }
    do {
      _ = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed])
      return "not valid JSON"
    } catch {
      let detail = (error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String ?? ""
      if detail.contains("end of file") || detail.contains("Unexpected end") {
        return "not valid JSON: the text ends before the document does (a bracket or quote never closed?)"
      }
      guard let range = detail.range(of: "character "),
        let offset = Int(detail[range.upperBound...].prefix { $0.isNumber })
      else { return "not valid JSON" }
      return
        "not valid JSON at \(position(of: offset, in: data)) (a key without quotes, a trailing comma, a stray character?)"
    }
  }

  /// "line L, column C" (1-based, columns in characters) of a character offset.
  static func position(of offset: Int, in data: Data) -> String {
    let text = String(decoding: data, as: UTF8.self)
    var line = 1
    var column = 1
    for (i, ch) in text.enumerated() {
      if i == offset { break }
      if ch == "\n" {
        line += 1
        column = 1
      } else {
        column += 1
      }
    }
    return "line \(line), column \(column)"
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
