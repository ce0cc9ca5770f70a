import CLibPQ

#if canImport(Glibc)
  import Glibc
#endif

/// `postgres://…?table=NAME` (or `postgresql://`): a table in a PostgreSQL
/// database, where ChurnKit reads events and customers and writes scores.
/// The rest of the URI is libpq's own; credentials come from it, the
/// environment (`PGPASSWORD`, `PGSERVICE`) or `~/.pgpass` as libpq finds
/// them, and are never printed: `shown` is the URI without its password.
public struct PostgresLocation: Equatable, Sendable {
  /// The URI libpq connects with (without `table=`).
  public let connection: String
  public let table: String
  /// For messages: the location as given, any password replaced by `***`.
  public let shown: String

  public init?(_ text: String) throws(ByteStreamError) {
    guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else { return nil }
    shown = PostgresLocation.hidingPassword(text)
    let parts = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    let query = parts.count > 1 ? parts[1].split(separator: "&").map(String.init) : []
    guard let item = query.first(where: { $0.hasPrefix("table=") }), item.count > "table=".count else {
      throw .cannotOpen(
        path: shown,
        reason:
          "name the table: postgres://HOST/DATABASE?table=NAME (or schema.name), e.g. postgres://localhost/shop?table=events"
      )
    }
    table = String(item.dropFirst("table=".count))
    let rest = query.filter { !$0.hasPrefix("table=") }
    connection = String(parts[0]) + (rest.isEmpty ? "" : "?" + rest.joined(separator: "&"))
  }

  /// A connection URI without a table (a session's, not a table's location).
  public init(connecting text: String) {
    connection = text
    table = ""
    shown = PostgresLocation.hidingPassword(text)
  }

  /// `"name"`, or `"schema"."name"` for `schema.name`.
  var quotedTable: String {
    table.split(separator: ".", maxSplits: 1).map { "\"" + doublingQuotes(String($0)) + "\"" }.joined(separator: ".")
  }

  /// The schema and the name (nil: the search path's first schema).
  var schemaAndName: (schema: String?, name: String) {
    let parts = table.split(separator: ".", maxSplits: 1).map(String.init)
    return parts.count == 2 ? (parts[0], parts[1]) : (nil, table)
  }

  static func hidingPassword(_ text: String) -> String {
    let parts = text.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).map(String.init)
    var head = parts[0]
    // user:password@ in the authority
    let afterScheme = head.utf8.firstIndex(of: UInt8(ascii: "/")).map { head.index($0, offsetBy: 2) }
    if let start = afterScheme, start <= head.endIndex {
      let authorityEnd = head[start...].firstIndex(of: "/") ?? head.endIndex
      let authority = head[start..<authorityEnd]
      if let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") {
        head.replaceSubrange(head.index(after: colon)..<at, with: "***")
      }
    }
    guard parts.count > 1 else { return head }
    // password=… among the parameters
    let items = parts[1].split(separator: "&").map { $0.hasPrefix("password=") ? "password=***" : String($0) }
    return head + "?" + items.joined(separator: "&")
  }
}

/// A connection through libpq: statements with bound parameters, COPY in
/// and out.
@safe public final class PostgresConnection {
  private let handle: OpaquePointer
  public let shown: String

  init(_ location: PostgresLocation) throws(ByteStreamError) {
    shown = location.shown
    guard let connection = unsafe PQconnectdb(location.connection) else {
      throw .cannotOpen(path: location.shown, reason: "out of memory")
    }
    unsafe handle = connection
    guard unsafe PQstatus(connection) == CONNECTION_OK else {
      throw .cannotOpen(path: location.shown, reason: message)
    }
  }

  deinit { unsafe PQfinish(handle) }

  /// The last error's text, on one line.
  var message: String {
    let text = unsafe String(cString: PQerrorMessage(handle))
    return text.split(whereSeparator: \.isNewline).joined(separator: " ")
  }

  /// Runs one statement with text parameters ($1, $2, …) bound, never
  /// spliced; returns the rows of its result as text (nil for NULL).
  @discardableResult
  func run(_ sql: String, _ parameters: [String?] = []) throws(ByteStreamError) -> [[String?]] {
    let result = unsafe withTextPointers(parameters) { pointers in
      unsafe PQexecParams(handle, sql, Int32(parameters.count), nil, pointers, nil, nil, 0)
    }
    defer { unsafe PQclear(result) }
    let status = unsafe PQresultStatus(result)
    guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else {
      throw .writeFailed(path: shown, reason: message)
    }
    let (rows, columns) = unsafe (PQntuples(result), PQnfields(result))
    return (0..<rows).map { i in
      (0..<columns).map { j in
        unsafe PQgetisnull(result, i, j) == 1 ? nil : unsafe String(cString: PQgetvalue(result, i, j))
      }
    }
  }

  /// Starts `COPY … TO STDOUT`; then `nextCopyRow()` until nil.
  func startCopyOut(_ sql: String) throws(ByteStreamError) {
    let result = unsafe PQexec(handle, sql)
    defer { unsafe PQclear(result) }
    guard unsafe PQresultStatus(result) == PGRES_COPY_OUT else { throw .cannotOpen(path: shown, reason: message) }
  }

  /// The next row of a COPY out, as its bytes; nil at the end.
  func nextCopyRow() throws(ByteStreamError) -> [UInt8]? {
    var buffer: UnsafeMutablePointer<CChar>? = nil
    let n = unsafe PQgetCopyData(handle, &buffer, 0)
    if n > 0, let buffer = unsafe buffer {
      defer { unsafe PQfreemem(buffer) }
      return unsafe buffer.withMemoryRebound(to: UInt8.self, capacity: Int(n)) {
        unsafe Array(UnsafeBufferPointer(start: $0, count: Int(n)))
      }
    }
    guard n == -1 else { throw .readFailed(path: shown, reason: message) }
    let result = unsafe PQgetResult(handle)
    defer { unsafe PQclear(result) }
    guard unsafe PQresultStatus(result) == PGRES_COMMAND_OK else { throw .readFailed(path: shown, reason: message) }
    while let more = unsafe PQgetResult(handle) { unsafe PQclear(more) }
    return nil
  }

  /// `COPY … FROM STDIN` with `bytes` as its data.
  func copyIn(_ sql: String, _ bytes: [UInt8]) throws(ByteStreamError) {
    let result = unsafe PQexec(handle, sql)
    let started = unsafe PQresultStatus(result) == PGRES_COPY_IN
    unsafe PQclear(result)
    guard started else { throw .writeFailed(path: shown, reason: message) }
    var offset = 0
    while offset < bytes.count {
      let n = min(1 << 20, bytes.count - offset)
      let sent = unsafe bytes.withUnsafeBufferPointer { all in
        unsafe all.baseAddress!.advanced(by: offset).withMemoryRebound(to: CChar.self, capacity: n) {
          unsafe PQputCopyData(handle, $0, Int32(n))
        }
      }
      guard sent == 1 else { throw .writeFailed(path: shown, reason: message) }
      offset += n
    }
    guard unsafe PQputCopyEnd(handle, nil) == 1 else { throw .writeFailed(path: shown, reason: message) }
    let end = unsafe PQgetResult(handle)
    let ok = unsafe PQresultStatus(end) == PGRES_COMMAND_OK
    unsafe PQclear(end)
    while let more = unsafe PQgetResult(handle) { unsafe PQclear(more) }
    guard ok else { throw .writeFailed(path: shown, reason: message) }
  }

  /// C strings for the parameters, alive while `body` runs.
  private func withTextPointers<R>(
    _ values: [String?], _ body: (UnsafePointer<UnsafePointer<CChar>?>?) -> R
  ) -> R {
    let copies: [UnsafeMutablePointer<CChar>?] = unsafe values.map { value in
      unsafe value.map { text in unsafe strdup(text) }
    }
    defer { unsafe copies.forEach { unsafe free($0) } }
    let constant: [UnsafePointer<CChar>?] = unsafe copies.map { unsafe $0.map { unsafe UnsafePointer($0) } }
    return unsafe constant.withUnsafeBufferPointer { unsafe body($0.baseAddress) }
  }
}

/// A PostgreSQL table read as CSV text by `COPY (SELECT * FROM t) TO
/// STDOUT (FORMAT csv, HEADER true)`: the server writes the CSV, streamed
/// a row at a time into the same reader as a file.
final class PostgresTableSource {
  private let connection: PostgresConnection
  private var pending: [UInt8] = []
  private var offset = 0
  private var finished = false

  init(_ location: PostgresLocation) throws(ByteStreamError) {
    connection = try PostgresConnection(location)
    do {
      try connection.startCopyOut(
        "COPY (SELECT * FROM \(location.quotedTable)) TO STDOUT WITH (FORMAT csv, HEADER true)")
    } catch {
      throw .cannotOpen(path: location.shown, reason: "\(connection.message) (the table is named after 'table=')")
    }
  }

  func read(into buffer: inout [UInt8], from start: Int) throws(ByteStreamError) -> Int {
    while offset == pending.count && !finished {
      pending.removeAll(keepingCapacity: true)
      offset = 0
      while pending.count < 1 << 16 {
        guard let row = try connection.nextCopyRow() else {
          finished = true
          break
        }
        pending.append(contentsOf: row)
      }
    }
    let n = min(pending.count - offset, buffer.count - start)
    buffer.replaceSubrange(start..<(start + n), with: pending[offset..<(offset + n)])
    offset += n
    return n
  }
}

/// Scores written to a PostgreSQL table in one transaction: a missing
/// table is created (keys TEXT, whole numbers BIGINT, numbers DOUBLE
/// PRECISION, the rest TEXT), an existing one must have the same columns
/// and gets the rows appended; the rows go by COPY FROM STDIN (data, never
/// SQL), and any failure rolls back, leaving the table as it was.
public final class PostgresTableWriter: TableWriter {
  public let location: PostgresLocation
  private var bytes: [UInt8] = []

  public init(_ location: PostgresLocation) { self.location = location }

  public func write(_ chunk: [UInt8]) { bytes.append(contentsOf: chunk) }

  public func commit() throws(ByteStreamError) {
    let (header, _, types) = try ScoreTable.shape(bytes, name: location.shown)
    let db = try PostgresConnection(location)
    try db.run("BEGIN")
    do {
      try prepareTable(db, header: header, types: types)
      let columns = header.map { "\"" + doublingQuotes($0) + "\"" }.joined(separator: ", ")
      try db.copyIn(
        "COPY \(location.quotedTable) (\(columns)) FROM STDIN WITH (FORMAT csv, HEADER true)", bytes)
      try db.run("COMMIT")
    } catch {
      _ = try? db.run("ROLLBACK")
      throw .writeFailed(path: location.shown, reason: "\(error) — nothing was written")
    }
  }

  private func prepareTable(
    _ db: PostgresConnection, header: [String], types: [ScoreTable.ColumnType]
  ) throws(ByteStreamError) {
    let (schema, name) = location.schemaAndName
    let existing = try db.run(
      """
      SELECT column_name FROM information_schema.columns
      WHERE table_schema = COALESCE($1, current_schema()) AND table_name = $2 ORDER BY ordinal_position
      """, [schema, name]
    ).compactMap { $0[0] }
    let names: [ScoreTable.ColumnType: String] = [.integer: "BIGINT", .real: "DOUBLE PRECISION", .text: "TEXT"]
    if let create = try ScoreTable.creation(
      of: location.quotedTable, named: location.table, existing: existing, header: header, types: types,
      typeNames: names, shown: location.shown)
    {
      try db.run(create)
    }
  }
}
