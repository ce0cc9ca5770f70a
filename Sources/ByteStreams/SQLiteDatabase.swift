import CSQLite

/// A SQLite database file through Debian's libsqlite3: statements prepared
/// with their values bound (never spliced), identifiers quoted. The rest of
/// ChurnKit reads and writes tables through `SQLiteLocation`,
/// `ByteReader` and `SQLiteTableWriter`, never through this type's C.
@safe public final class SQLiteDatabase {
  public let path: String
  private let handle: OpaquePointer

  /// Opens `path`; read-only, or read-write and created when missing.
  public init(path: String, writable: Bool) throws(ByteStreamError) {
    self.path = path
    var db: OpaquePointer?
    let flags = writable ? (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE) : SQLITE_OPEN_READONLY
    let status = unsafe sqlite3_open_v2(path, &db, flags, nil)
    guard status == SQLITE_OK, let db = unsafe db else {
      let reason = unsafe db.map { unsafe String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
      if let db = unsafe db { unsafe sqlite3_close(db) }
      throw .cannotOpen(path: path, reason: reason)
    }
    unsafe handle = db
    unsafe sqlite3_busy_timeout(db, 5000)
  }

  deinit { unsafe sqlite3_close(handle) }

  /// Runs statements without results (BEGIN, COMMIT, CREATE TABLE …).
  public func execute(_ sql: String) throws(ByteStreamError) {
    let status = unsafe sqlite3_exec(handle, sql, nil, nil, nil)
    guard status == SQLITE_OK else { throw .writeFailed(path: path, reason: message) }
  }

  public func prepare(_ sql: String) throws(ByteStreamError) -> SQLiteStatement {
    var statement: OpaquePointer?
    let status = unsafe sqlite3_prepare_v2(handle, sql, -1, &statement, nil)
    guard status == SQLITE_OK, let statement = unsafe statement else { throw .cannotOpen(path: path, reason: message) }
    return unsafe SQLiteStatement(statement, database: self)
  }

  /// The last error's text.
  var message: String { unsafe String(cString: sqlite3_errmsg(handle)) }

  /// `"name"` with inner quotes doubled: any text is a safe identifier.
  public static func quoted(_ identifier: String) -> String {
    "\"" + doublingQuotes(identifier) + "\""
  }
}

/// A value read from or bound to a statement.
public enum SQLiteValue: Equatable, Sendable {
  case null
  case integer(Int64)
  case real(Double)
  case text(String)
}

/// One prepared statement: bind, step, read columns.
@safe public final class SQLiteStatement {
  private let handle: OpaquePointer
  private let database: SQLiteDatabase

  init(_ handle: OpaquePointer, database: SQLiteDatabase) {
    unsafe self.handle = handle
    self.database = database
  }

  deinit { unsafe sqlite3_finalize(handle) }

  public var columnCount: Int { Int(unsafe sqlite3_column_count(handle)) }

  public func columnName(_ i: Int) -> String {
    unsafe sqlite3_column_name(handle, Int32(i)).map { unsafe String(cString: $0) } ?? "column\(i + 1)"
  }

  /// Binds `values` to the placeholders 1…n, after a reset.
  public func bind(_ values: [SQLiteValue]) throws(ByteStreamError) {
    unsafe sqlite3_reset(handle)
    unsafe sqlite3_clear_bindings(handle)
    for (k, value) in values.enumerated() {
      let i = Int32(k + 1)
      let status: Int32
      switch value {
      case .null: status = unsafe sqlite3_bind_null(handle, i)
      case .integer(let n): status = unsafe sqlite3_bind_int64(handle, i, n)
      case .real(let x): status = unsafe sqlite3_bind_double(handle, i, x)
      case .text(let s): status = unsafe sqlite3_bind_text(handle, i, s, -1, churnkit_sqlite_transient())
      }
      guard status == SQLITE_OK else { throw .writeFailed(path: database.path, reason: database.message) }
    }
  }

  /// Advances to the next row: true at a row, false when done.
  public func step() throws(ByteStreamError) -> Bool {
    switch unsafe sqlite3_step(handle) {
    case SQLITE_ROW: return true
    case SQLITE_DONE: return false
    default: throw .readFailed(path: database.path, reason: database.message)
    }
  }

  /// The current row's value in column `i`.
  public func value(_ i: Int) -> SQLiteValue {
    let column = Int32(i)
    switch unsafe sqlite3_column_type(handle, column) {
    case SQLITE_NULL: return .null
    case SQLITE_INTEGER: return .integer(unsafe sqlite3_column_int64(handle, column))
    case SQLITE_FLOAT: return .real(unsafe sqlite3_column_double(handle, column))
    default:
      let count = Int(unsafe sqlite3_column_bytes(handle, column))
      guard let bytes = unsafe sqlite3_column_text(handle, column) else { return .text("") }
      return .text(unsafe String(decoding: UnsafeBufferPointer(start: bytes, count: count), as: UTF8.self))
    }
  }
}

/// `sqlite:PATH?table=NAME`: a table in a SQLite file, where ChurnKit
/// reads events and customers and writes scores.
public struct SQLiteLocation: Equatable, Sendable {
  public let path: String
  public let table: String

  public static let scheme = "sqlite:"

  /// nil when `text` does not start with `sqlite:`; throws when it does
  /// but names no file or table.
  public init?(_ text: String) throws(ByteStreamError) {
    guard text.hasPrefix(Self.scheme) else { return nil }
    let rest = text.dropFirst(Self.scheme.count)
    guard let mark = rest.lastIndex(of: "?"), rest[rest.index(after: mark)...].hasPrefix("table="),
      !rest[..<mark].isEmpty
    else {
      throw .cannotOpen(
        path: text, reason: "write a SQLite table as sqlite:PATH?table=NAME, e.g. sqlite:shop.db?table=events")
    }
    path = String(rest[..<mark])
    table = String(rest[rest.index(after: mark)...].dropFirst("table=".count))
    guard !table.isEmpty else { throw .cannotOpen(path: text, reason: "the table name after 'table=' is empty") }
  }
}

/// `text` with each `"` doubled, for a quoted SQL identifier or CSV field.
func doublingQuotes(_ text: String) -> String {
  guard text.utf8.contains(0x22) else { return text }
  var out = [UInt8]()
  for b in text.utf8 {
    out.append(b)
    if b == 0x22 { out.append(b) }
  }
  return String(decoding: out, as: UTF8.self)
}
