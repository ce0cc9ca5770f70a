import ChurnIO

/// The optional customers table: one row per customer with static
/// attributes (plan, region, signup date, acquisition channel), joined to
/// events by customer id. Read whole: it has one row per customer, not per event.
public struct CustomerTable: Sendable {
  public let path: String
  /// The id column's name.
  public let idColumn: String
  /// Attribute column names, in file order (the id column excluded).
  public let attributeNames: [String]
  /// Customer ids in file order (first occurrence wins).
  public private(set) var ids: [String] = []
  /// `values[a][k]` is attribute `a` of customer `ids[k]`; "" when empty.
  public private(set) var values: [[String]]
  public private(set) var indexByID: [String: Int] = [:]
  /// Rows in the file, including rejected ones.
  public private(set) var rowsRead = 0

  /// Reads `path`, recording rows without an id or with a repeated id.
  public init(path: String, idColumn: String = "customer_id", issues: inout IssueLog) throws(IngestError) {
    self.path = path
    self.idColumn = idColumn
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    guard let idIndex = header.firstIndex(of: idColumn) else {
      throw .missingColumn(path: path, role: "customer id", expected: idColumn, available: header)
    }
    try IngestError.requireDistinctColumns(header, path: path)
    let attributeIndexes = header.indices.filter { $0 != idIndex }
    attributeNames = attributeIndexes.map { header[$0] }
    values = Array(repeating: [], count: attributeIndexes.count)
    while try csv.nextChunk() {
      let chunk = csv.chunk
      rowsRead += chunk.recordCount
      for r in 0..<chunk.recordCount {
        let line = chunk.line(record: r)
        guard chunk.fieldCount(record: r) == header.count, chunk.malformed[r] == nil else {
          let message =
            chunk.malformed[r]
            ?? "row has \(chunk.fieldCount(record: r)) fields, the header has \(header.count)"
          issues.record(ValidationIssue(severity: .error, file: path, line: line, message: message))
          continue
        }
        let id = chunk.string(record: r, field: idIndex).trimmingCharacters(in: " ")
        func issue(_ message: String) {
          issues.record(
            ValidationIssue(
              severity: .error, file: path, line: line, column: idIndex + 1, columnName: idColumn,
              value: id, message: message))
        }
        if id.isEmpty {
          issue("customer id is empty")
          continue
        }
        if indexByID[id] != nil {
          issue("customer id appears more than once; the first row is used")
          continue
        }
        indexByID[id] = ids.count
        ids.append(id)
        for (a, f) in attributeIndexes.enumerated() { values[a].append(chunk.string(record: r, field: f)) }
      }
    }
  }

  /// Number of customers in the table.
  public var count: Int { ids.count }
}

extension String {
  /// The string without leading and trailing occurrences of `character`.
  func trimmingCharacters(in character: Character) -> String {
    var s = Substring(self)
    while s.first == character { s = s.dropFirst() }
    while s.last == character { s = s.dropLast() }
    return String(s)
  }
}
