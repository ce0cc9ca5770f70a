import ChurnData
import ChurnIO
import Foundation

/// Any bytes as an event log (with the standard header when the input has
/// none): every row is decoded — timestamps, amounts, sentiment — and the
/// features at a cutoff are built, or a located error is thrown; nothing
/// may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  var bytes = Data(bytes: data, count: size)
  let header = Data("customer_id,timestamp,event,channel,amount,sentiment,stage\n".utf8)
  if !bytes.starts(with: Data("customer_id".utf8)) { bytes = header + bytes }
  FileManager.default.createFile(atPath: FuzzInput.path, contents: bytes)
  guard var reader = try? EventLogReader(path: FuzzInput.path, schema: EventSchema(), chunkSize: 1 << 12, threads: 1)
  else { return 0 }
  var issues = IssueLog()
  let extractor = FeatureExtractor(
    cutoffs: [try! Cutoff(parsing: "2024-06-30")], horizon: try! Duration(parsing: "30d"), churnDefinition: .inactivity)
  if let features = try? extractor.extract(from: &reader, customers: nil, issues: &issues) {
    for row in features.rows.prefix(50) { _ = features.values(of: row) }
  }
  return 0
}
