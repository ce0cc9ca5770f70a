/// A connection to a SQL database in which ChurnKit runs its queries where
/// the data lives (`train --engine`): statements, result rows as text, and
/// a list of values written into a temporary table. SQLite, PostgreSQL and
/// DuckDB (through its shell) conform; what a session creates is temporary and ends with it, so a
/// failure leaves nothing behind in the database.
public protocol SQLSession: AnyObject {
  /// The database, for messages (never a password).
  var shown: String { get }
  /// Runs statements without results.
  func execute(_ sql: String) throws(ByteStreamError)
  /// The rows of a query, each value as text (a number in its shortest
  /// round-trip form), nil for NULL.
  func rows(_ sql: String) throws(ByteStreamError) -> [[String?]]
  /// A new temporary table `name(column TEXT)` holding `values`, written
  /// as data (bound or copied), never spliced into SQL.
  func createTemporaryTable(_ name: String, column: String, values: [String]) throws(ByteStreamError)
}

/// Opens a session: a SQLite or DuckDB file (read-only apart from
/// temporary tables) or a PostgreSQL connection URI (`postgres://…`, credentials as libpq
/// finds them).
public func openSQLSession(engine: String, connection: String) throws(ByteStreamError) -> any SQLSession {
  switch engine {
  case "sqlite": return try SQLiteDatabase(path: connection, writable: false)
  case "postgres": return try PostgresConnection(PostgresLocation(connecting: connection))
  case "duckdb": return try DuckDBSession(path: connection)
  default: throw .cannotOpen(path: connection, reason: "unknown engine '\(engine)': use sqlite, postgres or duckdb")
  }
}

extension SQLiteDatabase: SQLSession {
  public var shown: String { path }

  public func rows(_ sql: String) throws(ByteStreamError) -> [[String?]] {
    let statement = try prepare(sql)
    var rows: [[String?]] = []
    while try statement.step() {
      rows.append(
        (0..<statement.columnCount).map { i in
          switch statement.value(i) {
          case .null: return nil
          case .integer(let n): return String(n)
          case .real(let x): return "\(x)"
          case .text(let s): return s
          }
        })
    }
    return rows
  }

  public func createTemporaryTable(_ name: String, column: String, values: [String]) throws(ByteStreamError) {
    try execute("CREATE TEMP TABLE \(Self.quoted(name)) (\(Self.quoted(column)) TEXT)")
    try execute("BEGIN")
    do {
      let insert = try prepare("INSERT INTO \(Self.quoted(name)) VALUES (?)")
      for value in values {
        try insert.bind([.text(value)])
        _ = try insert.step()
      }
      try execute("COMMIT")
    } catch {
      try? execute("ROLLBACK")
      throw error
    }
  }
}

extension PostgresConnection: SQLSession {
  public func execute(_ sql: String) throws(ByteStreamError) { try run(sql) }

  public func rows(_ sql: String) throws(ByteStreamError) -> [[String?]] { try run(sql) }

  public func createTemporaryTable(_ name: String, column: String, values: [String]) throws(ByteStreamError) {
    let quoted = { (s: String) in "\"" + doublingQuotes(s) + "\"" }
    try run("CREATE TEMP TABLE \(quoted(name)) (\(quoted(column)) TEXT)")
    var bytes: [UInt8] = []
    for value in values {
      bytes.append(0x22)
      bytes.append(contentsOf: doublingQuotes(value).utf8)
      bytes.append(contentsOf: "\"\n".utf8)
    }
    try copyIn("COPY \(quoted(name)) FROM STDIN WITH (FORMAT csv)", bytes)
  }
}
