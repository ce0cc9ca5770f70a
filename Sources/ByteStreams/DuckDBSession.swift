import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// A DuckDB database file through DuckDB's own shell, `duckdb` (on PATH, or
/// `CHURNKIT_DUCKDB`), as a child process: DuckDB has no C client among
/// Debian's packages. Each statement goes to the shell's standard input,
/// followed by a marker query; the rows come back as CSV until the marker.
/// The shell runs with `-bail`, so an error ends it and its message is
/// reported. The file is opened read-only; temporary tables live in memory.
public final class DuckDBSession: SQLSession {
  public let shown: String
  private let process = Process()
  private let input: FileHandle
  private let output: FileHandle
  private let errors: FileHandle
  private var pending: [UInt8] = []
  private static let marker = "<<churnkit-end>>"
  private static let null = "\\N"

  public init(path: String) throws(ByteStreamError) {
    shown = path
    guard FileManager.default.fileExists(atPath: path) else {
      throw .cannotOpen(path: path, reason: "no such DuckDB database file")
    }
    guard let shell = Self.shell() else {
      throw .cannotOpen(
        path: path,
        reason:
          "the DuckDB shell `duckdb` is not on PATH: install it (duckdb.org, or `pip install duckdb-cli`), or set CHURNKIT_DUCKDB to its path"
      )
    }
    // A shell that died must show up as an error, not end ChurnKit by SIGPIPE.
    signal(SIGPIPE, SIG_IGN)
    let (toShell, fromShell, shellErrors) = (Pipe(), Pipe(), Pipe())
    process.executableURL = URL(fileURLWithPath: shell)
    process.arguments = ["-csv", "-noheader", "-bail", "-readonly", "-nullvalue", Self.null, path]
    process.standardInput = toShell
    process.standardOutput = fromShell
    process.standardError = shellErrors
    do {
      try process.run()
    } catch {
      throw .cannotOpen(path: path, reason: "cannot start \(shell): \(error.localizedDescription)")
    }
    input = toShell.fileHandleForWriting
    output = fromShell.fileHandleForReading
    errors = shellErrors.fileHandleForReading
    _ = try rows("SELECT 1")
  }

  deinit {
    try? input.close()
    process.waitUntilExit()
  }

  /// The shell's path: `CHURNKIT_DUCKDB`, else `duckdb` on PATH.
  private static func shell() -> String? {
    let environment = ProcessInfo.processInfo.environment
    if let given = environment["CHURNKIT_DUCKDB"] { return given }
    for folder in (environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
      let candidate = "\(folder)/duckdb"
      if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
    }
    return nil
  }

  public func execute(_ sql: String) throws(ByteStreamError) { _ = try rows(sql) }

  public func rows(_ sql: String) throws(ByteStreamError) -> [[String?]] {
    do {
      try input.write(contentsOf: Data("\(sql);\nSELECT '\(Self.marker)';\n".utf8))
    } catch {
      throw failure()
    }
    var rows: [[String?]] = []
    var record = ""
    while let line = try nextLine() {
      if record.isEmpty && line == Self.marker { return rows }
      record += record.isEmpty ? line : "\n" + line
      guard let fields = Self.fields(of: record) else { continue }  // a quoted field goes on
      rows.append(fields.map { $0 == Self.null ? nil : $0 })
      record = ""
    }
    throw failure()
  }

  /// The values into a CSV file the shell reads: data, never SQL.
  public func createTemporaryTable(_ name: String, column: String, values: [String]) throws(ByteStreamError) {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent(
      "churnkit-\(ProcessInfo.processInfo.processIdentifier)-\(name).csv")
    var text = ""
    for value in values { text += "\"" + doublingQuotes(value) + "\"\n" }
    do {
      try Data(text.utf8).write(to: file)
    } catch {
      throw .writeFailed(path: file.path, reason: error.localizedDescription)
    }
    defer { try? FileManager.default.removeItem(at: file) }
    let quotedColumn = "'" + column.replacingOccurrences(of: "'", with: "''") + "'"
    try execute(
      """
      CREATE TEMP TABLE "\(doublingQuotes(name))" AS SELECT * FROM read_csv('\(file.path.replacingOccurrences(of: "'", with: "''"))',
        header = false, quote = '"', escape = '"', columns = {\(quotedColumn): 'VARCHAR'})
      """)
  }

  /// The next line of the shell's output; nil when it ended.
  private func nextLine() throws(ByteStreamError) -> String? {
    while true {
      if let end = pending.firstIndex(of: 0x0A) {
        let line = String(decoding: pending[..<end], as: UTF8.self)
        pending.removeSubrange(...end)
        return line
      }
      let data = output.availableData
      if data.isEmpty { return nil }
      pending.append(contentsOf: data)
    }
  }

  /// Why the shell stopped: what it printed on standard error.
  private func failure() -> ByteStreamError {
    try? input.close()
    process.waitUntilExit()
    let message = String(decoding: errors.readDataToEndOfFile(), as: UTF8.self)
      .split(whereSeparator: \.isNewline).prefix(3).joined(separator: " ")
    return .readFailed(path: shown, reason: message.isEmpty ? "the duckdb shell stopped" : message)
  }

  /// The fields of one CSV record (RFC 4180); nil when a quoted field is
  /// still open at the end (it goes on on the next line).
  package static func fields(of record: String) -> [String]? {
    var fields: [String] = []
    var field = ""
    var quoted = false
    var characters = record.makeIterator()
    var wasQuote = false
    while let c = characters.next() {
      if quoted {
        if c == "\"" { quoted = false; wasQuote = true } else { field.append(c) }
        continue
      }
      switch c {
      case "\"":
        if wasQuote { field.append("\"") }
        quoted = true
      case ",":
        fields.append(field)
        field = ""
      default: field.append(c)
      }
      wasQuote = false
    }
    if quoted { return nil }
    fields.append(field)
    return fields
  }
}
