import ByteStreams
import ChurnTestSupport
import Foundation
import Testing

/// What `train --engine` relies on of a session: numbers come back as text
/// that parses to the same double, NULL as nil, and values written into a
/// temporary table come back unchanged, whatever characters they hold.
struct SQLSessionTests {
  @Test func sqliteRowsAndTemporaryTables() throws {
    let directory = try TemporaryDirectory()
    defer { directory.remove() }
    let path = directory.path + "/session.db"
    try SQLiteDatabase(path: path, writable: true).execute("CREATE TABLE t (x REAL)")
    let session = try openSQLSession(engine: "sqlite", connection: path)
    let row = try session.rows("SELECT 0.1 + 0.2, NULL, 3, 'a,b'")[0]
    #expect(row[0].flatMap(Double.init) == 0.1 + 0.2)
    #expect(row[1] == nil && row[2] == "3" && row[3] == "a,b")
    let awkward = ["plain", "with \"quotes\"", "comma, inside", "line\nbreak", "", "ünïcode"]
    // The file is opened read-only: a temporary table is still allowed.
    try session.createTemporaryTable("held", column: "customer_id", values: awkward)
    #expect(try session.rows("SELECT customer_id FROM held ORDER BY rowid").map { $0[0] } == awkward)
    #expect(throws: ByteStreamError.self) { try session.execute("INSERT INTO t VALUES (1)") }
  }

  /// The DuckDB shell's CSV lines: quoted fields with commas and doubled
  /// quotes; an open quote asks for the next line.
  @Test func duckDBShellRecords() {
    #expect(DuckDBSession.fields(of: "1.5,\\N,\"he,llo\",") == ["1.5", "\\N", "he,llo", ""])
    #expect(DuckDBSession.fields(of: "\"say \"\"hi\"\"\",2") == ["say \"hi\"", "2"])
    #expect(DuckDBSession.fields(of: "\"line") == nil)
    #expect(DuckDBSession.fields(of: "\"line\nbreak\",3") == ["line\nbreak", "3"])
  }

  @Test func unknownEngineAndMissingDuckDBFile() {
    #expect(throws: ByteStreamError.self) { try openSQLSession(engine: "oracle", connection: "x") }
    #expect(throws: ByteStreamError.self) {
      try openSQLSession(engine: "duckdb", connection: "/nonexistent/shop.duckdb")
    }
  }
}
