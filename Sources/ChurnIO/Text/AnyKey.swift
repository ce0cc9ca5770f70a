/// A coding key for any string, to list the keys a JSON object has (strict
/// readers refuse keys they do not know).
package struct AnyKey: CodingKey {
  package var stringValue: String
  package var intValue: Int? { nil }
  package init(stringValue: String) { self.stringValue = stringValue }
  package init?(intValue: Int) { nil }
}
