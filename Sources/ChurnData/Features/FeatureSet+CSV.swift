import ByteStreams
import ChurnIO

extension FeatureSet {
  /// Writes `customer_id,cutoff,<features…>,label` to `path` (`-` for
  /// standard output); the file appears only when complete. A censored
  /// label is an empty field.
  public func writeCSV(to path: String) throws(ByteStreamError) {
    let out = try AtomicFileWriter(path: path)
    try writeCSV { (bytes: [UInt8]) throws(ByteStreamError) in try out.write(bytes) }
    try out.commit()
  }

  /// Hands the CSV bytes to `write`, in order, a block of rows at a time.
  /// Blocks are formatted on all cores.
  public func writeCSV<E: Error>(_ write: ([UInt8]) throws(E) -> Void) throws(E) {
    let header =
      (["customer_id", "cutoff"] + featureNames + ["label"]).map(CSVFormatting.escape)
      .joined(separator: ",") + "\n"
    try write(Array(header.utf8))
    let blockSize = 2048
    let blocks = (rows.count + blockSize - 1) / blockSize
    let group = 8  // blocks formatted per round
    for first in stride(from: 0, to: blocks, by: group) {
      let count = min(group, blocks - first)
      let formatted = concurrentMap(count) { b in
        let start = (first + b) * blockSize
        return self.csvBytes(rows: start..<min(start + blockSize, self.rows.count))
      }
      for bytes in formatted { try write(bytes) }
    }
  }

  /// The CSV lines of some rows.
  func csvBytes(rows range: Range<Int>) -> [UInt8] {
    var bytes: [UInt8] = []
    bytes.reserveCapacity(range.count * (featureNames.count * 6 + 32))
    for r in range {
      let row = rows[r]
      bytes.append(contentsOf: CSVFormatting.escape(row.customerID).utf8)
      bytes.append(UInt8(ascii: ","))
      bytes.append(contentsOf: row.cutoff.description.utf8)
      for v in values(of: row) {
        bytes.append(UInt8(ascii: ","))
        CSVFormatting.appendNumber(v, to: &bytes)
      }
      switch row.label {
      case .churned: bytes.append(contentsOf: ",1\n".utf8)
      case .retained: bytes.append(contentsOf: ",0\n".utf8)
      case .censored: bytes.append(contentsOf: ",\n".utf8)
      }
    }
    return bytes
  }
}

#if canImport(Foundation)
  import Foundation
#endif
