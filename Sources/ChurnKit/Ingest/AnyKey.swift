/// A coding key for any string, to list the keys a JSON object has (strict
/// readers refuse keys they do not know).
struct AnyKey: CodingKey {
  var stringValue: String
  var intValue: Int? { nil }
  init(stringValue: String) { self.stringValue = stringValue }
  init?(intValue: Int) { nil }
}
