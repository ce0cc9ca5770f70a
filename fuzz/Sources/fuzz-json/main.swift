import ChurnData
import ChurnDecisions
import Foundation

/// Any bytes as one of the JSON files a user writes — the first byte picks
/// which: feature spec, column mapping, action catalog or stage mapping.
/// Each loads or throws a message; nothing may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard size > 0 else { return 0 }
  let path = FuzzInput.write(data + 1, size - 1)
  switch data[0] % 4 {
  case 0: _ = try? FeatureSpec.load(path: path)
  case 1: _ = try? EventSchema.load(path: path)
  case 2:
    if let catalog = try? ActionCatalog.load(path: path) {
      _ = try? catalog.validate(features: ["days_since_last_event"], stages: ["retention", "churned"])
    }
  default:
    if let mapping = try? StageMapping.load(path: path) { _ = try? mapping.validate(against: ["a", "b", "churned"]) }
  }
  return 0
}
