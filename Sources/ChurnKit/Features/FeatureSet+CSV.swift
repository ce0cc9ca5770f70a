import ByteStreams

extension FeatureSet {
  /// Writes `customer_id,cutoff,<features…>,label` to `path` (`-` for
  /// standard output); the file appears only when complete. A censored
  /// label is an empty field.
  public func writeCSV(to path: String) throws(ByteStreamError) {
    let out = try AtomicFileWriter(path: path)
    try writeCSV { (text: String) throws(ByteStreamError) in try out.write(text) }
    try out.commit()
  }

  /// Hands the CSV text to `write`, a line at a time.
  public func writeCSV<E: Error>(_ write: (String) throws(E) -> Void) throws(E) {
    try write((["customer_id", "cutoff"] + featureNames + ["label"]).map(CSVFormatting.escape).joined(separator: ",") + "\n")
    var line = ""
    for row in rows {
      line.removeAll(keepingCapacity: true)
      line += CSVFormatting.escape(row.customerID)
      line += ","
      line += row.cutoff.description
      for v in values(of: row) {
        line += ","
        line += CSVFormatting.number(v)
      }
      switch row.label {
      case .churned: line += ",1\n"
      case .retained: line += ",0\n"
      case .censored: line += ",\n"
      }
      try write(line)
    }
  }
}
