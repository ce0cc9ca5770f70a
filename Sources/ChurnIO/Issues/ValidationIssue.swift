/// A problem with one value or row of an input file, located precisely enough
/// to fix: file, line, column and the offending value.
public struct ValidationIssue: Sendable, Equatable, CustomStringConvertible, Codable {
  public enum Severity: String, Sendable, Codable {
    /// The row cannot be used and is skipped.
    case error
    /// The row is used, but something about it is suspicious.
    case warning
  }

  public let severity: Severity
  public let file: String
  public let line: Int
  /// 1-based column number, or nil for row-level problems.
  public let column: Int?
  public let columnName: String?
  public let value: String?
  public let message: String

  public init(
    severity: Severity, file: String, line: Int, column: Int? = nil, columnName: String? = nil,
    value: String? = nil, message: String
  ) {
    self.severity = severity
    self.file = file
    self.line = line
    self.column = column
    self.columnName = columnName
    self.value = value
    self.message = message
  }

  /// `file:line:column: error: message (column "name", value "…")`.
  public var description: String {
    var location = "\(file):\(line)"
    if let column { location += ":\(column)" }
    var detail: [String] = []
    if let columnName { detail.append("column \(quoted(columnName))") }
    if let value { detail.append("value \(quoted(value))") }
    let suffix = detail.isEmpty ? "" : " (\(detail.joined(separator: ", ")))"
    return "\(location): \(severity.rawValue): \(message)\(suffix)"
  }

  /// A value shown in a message: quoted, control characters escaped, and cut
  /// at 60 characters so a binary file cannot flood the terminal.
  private func quoted(_ text: String) -> String {
    var shown = ""
    for scalar in text.unicodeScalars.prefix(60) {
      switch scalar {
      case "\"": shown += "\\\""
      case "\\": shown += "\\\\"
      case "\n": shown += "\\n"
      case "\r": shown += "\\r"
      case "\t": shown += "\\t"
      default:
        if scalar.value < 0x20 || scalar.value == 0x7F {
          shown += "\\u{\(String(scalar.value, radix: 16))}"
        } else {
          shown.unicodeScalars.append(scalar)
        }
      }
    }
    if text.unicodeScalars.count > 60 { shown += "…" }
    return "\"\(shown)\""
  }
}

/// Collects issues: counts every one, keeps the first `limit` to show.
public struct IssueLog: Sendable {
  public let limit: Int
  public private(set) var kept: [ValidationIssue] = []
  public private(set) var errorCount = 0
  public private(set) var warningCount = 0
  /// Number of issues per message, to summarise thousands of the same kind.
  public private(set) var countsByMessage: [String: Int] = [:]

  public init(limit: Int = 100) { self.limit = limit }

  public mutating func record(_ issue: ValidationIssue) {
    if issue.severity == .error { errorCount += 1 } else { warningCount += 1 }
    countsByMessage[issue.message, default: 0] += 1
    if kept.count < limit { kept.append(issue) }
  }

  /// Total issues recorded, kept or not.
  public var totalCount: Int { errorCount + warningCount }

  /// The line a command prints after a run that met bad rows: the counts
  /// and the first problem (nil when there was none).
  public var summaryLine: String? {
    guard totalCount > 0 else { return nil }
    var line = "input problems: \(errorCount) errors (rows skipped), \(warningCount) warnings"
    if let first = kept.first { line += "; the first: \(first) (churnkit validate lists them)" }
    return line
  }
}
