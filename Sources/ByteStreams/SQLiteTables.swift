/// A SQLite table read as CSV text, a batch of rows at a time, so that it
/// goes through the same reader, types and checks as a CSV file: the
/// header is the table's column names; NULL is an empty field; integers and
/// reals are written in full (reals as the shortest text that reads back to
/// the same double); text is quoted when it holds a comma, a quote or a
/// line break. Row k of the table is line k + 1 in messages.
final class SQLiteTableSource {
  private let statement: SQLiteStatement
  private let database: SQLiteDatabase
  private var pending: [UInt8] = []
  private var offset = 0
  private var finished = false

  init(_ location: SQLiteLocation, shownAs name: String) throws(ByteStreamError) {
    do {
      database = try SQLiteDatabase(path: location.path, writable: false)
    } catch {
      throw .cannotOpen(path: name, reason: "\(error.reason) (is '\(location.path)' a SQLite file?)")
    }
    do {
      statement = try database.prepare("SELECT * FROM \(SQLiteDatabase.quoted(location.table))")
    } catch {
      throw .cannotOpen(path: name, reason: "\(database.message) (the table is named after 'table=')")
    }
    let header = (0..<statement.columnCount).map { SQLiteTableSource.field(.text(statement.columnName($0))) }
    pending = Array((header.joined(separator: ",") + "\n").utf8)
  }

  /// Fills `buffer[start...]`; 0 at the end of the table.
  func read(into buffer: inout [UInt8], from start: Int) throws(ByteStreamError) -> Int {
    while offset == pending.count && !finished {
      pending.removeAll(keepingCapacity: true)
      offset = 0
      for _ in 0..<4096 {
        guard try statement.step() else {
          finished = true
          break
        }
        let fields = (0..<statement.columnCount).map { SQLiteTableSource.field(statement.value($0)) }
        pending.append(contentsOf: (fields.joined(separator: ",") + "\n").utf8)
      }
    }
    let n = min(pending.count - offset, buffer.count - start)
    buffer.replaceSubrange(start..<(start + n), with: pending[offset..<(offset + n)])
    offset += n
    return n
  }

  static func field(_ value: SQLiteValue) -> String {
    switch value {
    case .null: return ""
    case .integer(let n): return String(n)
    case .real(let x): return x.isFinite ? "\(x)" : ""
    case .text(let s):
      guard s.utf8.contains(where: { $0 == 0x2C || $0 == 0x22 || $0 == 0x0A || $0 == 0x0D }) else { return s }
      return "\"" + doublingQuotes(s) + "\""
    }
  }
}

/// Scores written to a SQLite table as one transaction: all rows or none.
/// Takes the CSV bytes a command writes (as `AtomicFileWriter` does) and
/// inserts them at `commit()`, values bound, never spliced: a missing table
/// is created (`customer_id`, `as_of` and `cutoff` as TEXT; a column whose
/// every value is a whole number as INTEGER, a number as REAL; the others
/// TEXT), an existing one must
/// have the same columns and gets the rows appended. Any failure rolls
/// back and leaves the table as it was.
public final class SQLiteTableWriter: TableWriter {
  public let location: SQLiteLocation
  private var bytes: [UInt8] = []
  private let name: String

  public init(_ location: SQLiteLocation, shownAs name: String) {
    self.location = location
    self.name = name
  }

  public func write(_ chunk: [UInt8]) { bytes.append(contentsOf: chunk) }

  public func commit() throws(ByteStreamError) {
    let (header, rows, types) = try ScoreTable.shape(bytes, name: name)
    let db = try SQLiteDatabase(path: location.path, writable: true)
    try db.execute("BEGIN IMMEDIATE")
    do {
      try prepareTable(db, header: header, types: types)
      let columns = header.map(SQLiteDatabase.quoted).joined(separator: ", ")
      let placeholders = Array(repeating: "?", count: header.count).joined(separator: ", ")
      let insert = try db.prepare(
        "INSERT INTO \(SQLiteDatabase.quoted(location.table)) (\(columns)) VALUES (\(placeholders))")
      for row in rows {
        let values = header.indices.map { j -> SQLiteValue in
          let text = j < row.count ? row[j] : ""
          if text.isEmpty { return .null }
          switch types[j] {
          case .integer: return .integer(Int64(text)!)
          case .real: return .real(Double(text)!)
          case .text: return .text(text)
          }
        }
        try insert.bind(values)
        _ = try insert.step()
      }
      try db.execute("COMMIT")
    } catch {
      try? db.execute("ROLLBACK")
      throw .writeFailed(path: name, reason: "\(error) — nothing was written")
    }
  }

  /// Creates the table, or checks that the existing one has these columns.
  private func prepareTable(
    _ db: SQLiteDatabase, header: [String], types: [ScoreTable.ColumnType]
  ) throws(ByteStreamError) {
    let table = SQLiteDatabase.quoted(location.table)
    let info = try db.prepare("SELECT name FROM pragma_table_info(?)")
    try info.bind([.text(location.table)])
    var existing: [String] = []
    while try info.step() {
      if case .text(let column) = info.value(0) { existing.append(column) }
    }
    let names: [ScoreTable.ColumnType: String] = [.integer: "INTEGER", .real: "REAL", .text: "TEXT"]
    if let create = try ScoreTable.creation(
      of: table, named: location.table, existing: existing, header: header, types: types, typeNames: names, shown: name)
    {
      try db.execute(create)
    }
  }
}

/// What a table of scores holds, shared by the SQLite and PostgreSQL
/// writers: the CSV's records and each column's type.
public enum ScoreTable {
  public enum ColumnType: Sendable {
    case integer, real, text
  }

  /// Text for the keys (`customer_id`, `as_of`, `cutoff`), integer or real
  /// when every value is one, else text.
  public static func columnType(_ name: String, _ values: [String]) -> ColumnType {
    if ["customer_id", "as_of", "cutoff"].contains(name) { return .text }
    let present = values.filter { !$0.isEmpty }
    if present.allSatisfy({ Int64($0) != nil }) { return .integer }
    return present.allSatisfy { Double($0) != nil } ? .real : .text
  }

  /// The CREATE TABLE for a table that does not exist yet (`existing` is
  /// empty); nil for one that has the header's columns; an error naming
  /// the columns of one that has others.
  static func creation(
    of quotedTable: String, named table: String, existing: [String], header: [String], types: [ColumnType],
    typeNames: [ColumnType: String], shown: String
  ) throws(ByteStreamError) -> String? {
    guard existing.isEmpty else {
      guard existing.sorted() == header.sorted() else {
        throw .writeFailed(
          path: shown,
          reason:
            "the table '\(table)' exists with other columns (\(existing.joined(separator: ", "))); write to a new table or drop it first"
        )
      }
      return nil
    }
    let columns = zip(header, types).map { "\"\(doublingQuotes($0))\" \(typeNames[$1]!)" }
    return "CREATE TABLE \(quotedTable) (\(columns.joined(separator: ", ")))"
  }

  /// The header and the rows of CSV text, each column's type.
  static func shape(
    _ bytes: [UInt8], name: String
  ) throws(ByteStreamError) -> (
    header: [String], rows: ArraySlice<[String]>, types: [ColumnType]
  ) {
    let all = records(bytes)
    guard let header = all.first, !header.isEmpty else {
      throw .writeFailed(path: name, reason: "there is nothing to write")
    }
    let rows = all.dropFirst()
    let types = header.indices.map { j in columnType(header[j], rows.map { j < $0.count ? $0[j] : "" }) }
    return (header, rows, types)
  }

  /// The records of CSV text (RFC 4180: quoted fields may hold commas,
  /// doubled quotes and line breaks).
  static func records(_ bytes: [UInt8]) -> [[String]] {
    var records: [[String]] = []
    var record: [String] = []
    var field: [UInt8] = []
    var quoted = false
    var i = 0
    while i < bytes.count {
      let b = bytes[i]
      if quoted {
        if b == 0x22 {
          if i + 1 < bytes.count && bytes[i + 1] == 0x22 {
            field.append(0x22)
            i += 1
          } else {
            quoted = false
          }
        } else {
          field.append(b)
        }
      } else if b == 0x22 {
        quoted = true
      } else if b == 0x2C {
        record.append(String(decoding: field, as: UTF8.self))
        field.removeAll(keepingCapacity: true)
      } else if b == 0x0A {
        record.append(String(decoding: field, as: UTF8.self))
        records.append(record)
        record = []
        field.removeAll(keepingCapacity: true)
      } else if b != 0x0D {
        field.append(b)
      }
      i += 1
    }
    if !field.isEmpty || !record.isEmpty {
      record.append(String(decoding: field, as: UTF8.self))
      records.append(record)
    }
    return records
  }
}

/// Scores written to a database table: bytes of CSV in, all rows or none
/// at `commit()`.
public protocol TableWriter: AnyObject {
  func write(_ chunk: [UInt8])
  func commit() throws(ByteStreamError)
}
