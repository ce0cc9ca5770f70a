import ChurnDecisions
import ChurnTestSupport
import Foundation
import Testing

/// The catalog's conversion values: read, checked, and used only where a
/// customer has no value yet.
struct ConversionValueTests {
  static func load(_ json: String) throws -> ActionCatalog {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/actions.json"
    try json.write(toFile: path, atomically: true, encoding: .utf8)
    return try ActionCatalog.load(path: path)
  }

  static let actions = #"[{"id": "offer", "cost": 5}]"#

  @Test func anObjectCatalogCarriesConversionValuesByStage() throws {
    let catalog = try Self.load(#"{"actions": \#(Self.actions), "conversion_values": {"awareness": 40}}"#)
    #expect(catalog.conversionValues == ["awareness": 40])
    #expect(catalog.value(0, stage: "awareness") == (40, true))
    #expect(catalog.value(120, stage: "awareness") == (120, false))
    #expect(catalog.value(0, stage: "retention") == (0, false))
    #expect(catalog.value(0, stage: nil) == (0, false))
    #expect(try Self.load(Self.actions).conversionValues.isEmpty)
  }

  @Test func badConversionValuesAreRefusedByName() throws {
    #expect {
      try Self.load(#"{"actions": \#(Self.actions), "conversion_value": {"awareness": 40}}"#)
    } throws: { "\($0)".contains("unknown key 'conversion_value' (did you mean 'conversion_values'?)") }
    #expect {
      try Self.load(#"{"actions": \#(Self.actions), "conversion_values": {"awareness": -1}}"#)
    } throws: { "\($0)".contains("the value for stage 'awareness' must be a non-negative number") }
    let catalog = try Self.load(#"{"actions": \#(Self.actions), "conversion_values": {"awarenes": 40}}"#)
    #expect {
      try catalog.validate(features: [], stages: ["awareness", "churned"])
    } throws: { "\($0)".contains("'awarenes' is not a stage (awareness, churned) (did you mean 'awareness'?)") }
  }
}
