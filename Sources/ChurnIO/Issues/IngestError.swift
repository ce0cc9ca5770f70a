/// Why an input file cannot be used at all. Problems with single rows are not
/// errors but `ValidationIssue`s, so one bad row never aborts a run.
public enum IngestError: Error, Equatable, CustomStringConvertible {
  /// The file could not be opened or read (the reason names the file).
  case unreadable(String)
  /// The file has no header line.
  case emptyFile(path: String)
  /// The data ends inside a quoted field that opened on this line.
  case unterminatedQuote(path: String, line: Int)
  /// A required column is not in the header.
  case missingColumn(path: String, role: String, expected: String, available: [String])
  /// The same column name appears twice in the header, at these 0-based
  /// positions.
  case duplicateColumn(path: String, name: String, first: Int, second: Int)
  /// A schema or option is invalid.
  case invalidSchema(String)
  /// A field (or a row, without a column) that makes the file unusable:
  /// where it is (1-based) and what is wrong.
  case badField(path: String, line: Int, column: Int?, problem: String)
  /// The file is not delimited text (Parquet, Excel, …): what it looks like
  /// and how to convert it.
  case notText(path: String, kind: String, fix: String)

  public var description: String {
    switch self {
    case .unreadable(let reason):
      return reason
    case .emptyFile(let path):
      return "\(path): the file is empty (expected a header line)"
    case .unterminatedQuote(let path, let line):
      return "\(path):\(line): a quoted field opened here is never closed"
    case .missingColumn(let path, let role, let expected, let available):
      let suggestion = closestMatch(to: expected, in: available).map { " Did you mean '\($0)'?" } ?? ""
      return
        "\(path): no \(role) column '\(expected)' in the header (columns: \(available.joined(separator: ", "))).\(suggestion)"
    case .duplicateColumn(let path, let name, let first, let second):
      return
        "\(path):1:\(second + 1): column '\(name)' appears twice in the header (also column \(first + 1)): rename one"
    case .notText(let path, let kind, let fix):
      return "\(path) looks like \(kind), not CSV text: \(fix)"
    case .invalidSchema(let message):
      return message
    case .badField(let path, let line, let column, let problem):
      return "\(path):\(line)\(column.map { ":\($0)" } ?? ""): \(problem)"
    }
  }
}

/// The candidate closest to `word` by edit distance, if it is close enough to
/// be a likely typo (distance below 4, case-insensitive).
public func closestMatch(to word: String, in candidates: [String]) -> String? {
  let target = Array(word.lowercased())
  var best: (String, Int)?
  for candidate in candidates {
    let d = editDistance(target, Array(candidate.lowercased()))
    if d < 4 && d < max(target.count, 1) && (best == nil || d < best!.1) { best = (candidate, d) }
  }
  return best?.0
}

/// Levenshtein distance between two character arrays.
func editDistance(_ a: [Character], _ b: [Character]) -> Int {
  if a.isEmpty { return b.count }
  if b.isEmpty { return a.count }
  var previous = Array(0...b.count)
  var current = [Int](repeating: 0, count: b.count + 1)
  for i in 1...a.count {
    current[0] = i
    for j in 1...b.count {
      current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
    }
    swap(&previous, &current)
  }
  return previous[b.count]
}

extension IngestError {
  /// Refuses a header that names a column twice (which copy is meant would
  /// be a guess), at the second copy's position.
  public static func requireDistinctColumns(_ header: [String], path: String) throws(IngestError) {
    var position: [String: Int] = [:]
    for (i, name) in header.enumerated() {
      if let first = position[name] { throw .duplicateColumn(path: path, name: name, first: first, second: i) }
      position[name] = i
    }
  }
}
