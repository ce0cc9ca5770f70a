import ChurnIO

/// A log's session column (`touchpoints --session-column`), read apart
/// from the events, which do not carry it: each line's session, as a
/// number per distinct value. The events' line numbers join the two.
public struct SessionColumn: Sendable {
  public let column: String
  /// Session numbers by line; −1 for a line without a row (the header, a
  /// malformed row).
  private var byLine: [Int32] = []

  public init(path: String, column: String, delimiter: CSVDelimiter = .auto) throws(IngestError) {
    self.column = column
    var csv = try CSVReader(path: path, delimiter: delimiter)
    let header = try csv.readHeader()
    guard let index = header.firstIndex(of: column) else {
      throw .missingColumn(path: path, role: "session", expected: column, available: header)
    }
    var numbers: [String: Int32] = [:]
    while try csv.nextChunk() {
      let chunk = csv.chunk
      for r in 0..<chunk.recordCount where chunk.malformed[r] == nil && index < chunk.fieldCount(record: r) {
        let line = chunk.line(record: r)
        let value = chunk.string(record: r, field: index)
        let number = numbers[value] ?? Int32(numbers.count)
        numbers[value] = number
        if byLine.count <= line { byLine += [Int32](repeating: -1, count: line + 1 - byLine.count) }
        byLine[line] = number
      }
    }
  }

  /// The session of the event on `line` (−1: none).
  public func session(atLine line: Int) -> Int32 { line < byLine.count ? byLine[line] : -1 }
}
