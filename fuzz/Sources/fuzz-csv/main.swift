import ChurnIO
import Foundation

/// Any bytes as a CSV file: the header and every record are read, each
/// field as text and as a number, or a located error is thrown; nothing
/// may trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
  guard var reader = try? CSVReader(path: FuzzInput.write(data, size), chunkSize: 1 << 10) else { return 0 }
  reader.maxRecordBytes = 1 << 16
  guard (try? reader.readHeader()) != nil else { return 0 }
  while (try? reader.nextChunk()) == true {
    let chunk = reader.chunk
    for r in 0..<chunk.recordCount {
      for f in 0..<chunk.fieldCount(record: r) {
        _ = chunk.string(record: r, field: f)
        _ = parseDecimal(chunk.bytes, chunk.fieldRange(record: r, field: f))
      }
    }
  }
  return 0
}
