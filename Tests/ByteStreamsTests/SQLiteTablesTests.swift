import ByteStreams
import ChurnIO
import ChurnTestSupport
import Testing

/// SQLite tables in and out: text that needs CSV quoting survives the trip
/// through `ByteReader` and the CSV reader, and a table written by
/// `SQLiteTableWriter` holds the CSV's values with their types.
struct SQLiteTablesTests {
  static let awkward = ["plain", "with, comma", "with \"quotes\"", "two\nlines", "", "ünïcode ✓", "'=1+1"]

  @Test func textComesBackAsItWasStored() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/t.db"
    let db = try SQLiteDatabase(path: path, writable: true)
    try db.execute(#"CREATE TABLE "odd ""name""" (id TEXT, amount REAL, n INTEGER, note TEXT)"#)
    let insert = try db.prepare(#"INSERT INTO "odd ""name""" VALUES (?, ?, ?, ?)"#)
    for (k, text) in Self.awkward.enumerated() {
      try insert.bind([.text("c\(k)"), k == 0 ? .null : .real(0.1 * Double(k)), .integer(Int64(k) - 3), .text(text)])
      _ = try insert.step()
    }
    var reader = try CSVReader(path: #"sqlite:\#(path)?table=odd "name""#)
    #expect(try reader.readHeader() == ["id", "amount", "n", "note"])
    var rows: [[String]] = []
    while try reader.nextChunk() {
      for r in 0..<reader.chunk.recordCount {
        rows.append((0..<reader.chunk.fieldCount(record: r)).map { reader.chunk.string(record: r, field: $0) })
      }
    }
    #expect(rows.map { $0[3] } == Self.awkward)
    #expect(rows.map { $0[1] } == ["", "0.1", "0.2", "0.30000000000000004", "0.4", "0.5", "0.6000000000000001"])
    #expect(rows.map { $0[2] } == ["-3", "-2", "-1", "0", "1", "2", "3"])
  }

  @Test func aWrittenTableHoldsTheCSVValues() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = dir.path + "/out.db"
    let location = try #require(try SQLiteLocation("sqlite:\(path)?table=scores"))
    let writer = SQLiteTableWriter(location, shownAs: "sqlite:\(path)?table=scores")
    writer.write(Array("customer_id,risk_band,p,note\n007,3,0.25,\"a, \"\"b\"\"\"\n".utf8))
    writer.write(Array("008,,1e-3,\"two\nlines\"\n".utf8))
    try writer.commit()
    let db = try SQLiteDatabase(path: path, writable: false)
    let select = try db.prepare("SELECT customer_id, risk_band, p, note, typeof(risk_band) FROM scores")
    var rows: [[SQLiteValue]] = []
    while try select.step() { rows.append((0..<5).map { select.value($0) }) }
    #expect(
      rows == [
        [.text("007"), .integer(3), .real(0.25), .text("a, \"b\""), .text("integer")],
        [.text("008"), .null, .real(0.001), .text("two\nlines"), .text("null")],
      ])
  }

  @Test func locationsNameAFileAndATable() throws {
    #expect(try SQLiteLocation("events.csv") == nil)
    let location = try #require(try SQLiteLocation("sqlite:/data/a?b.db?table=events"))
    #expect(location.path == "/data/a?b.db" && location.table == "events")
    #expect(throws: ByteStreamError.self) { try SQLiteLocation("sqlite:shop.db") }
    #expect(throws: ByteStreamError.self) { try SQLiteLocation("sqlite:?table=events") }
  }
}

/// PostgreSQL locations: the table taken out of the URI libpq sees, the
/// password never in what is shown.
struct PostgresLocationTests {
  @Test func theTableIsTakenOutAndThePasswordHidden() throws {
    let location = try #require(
      try PostgresLocation("postgres://ana:p%40ss@db.example:5432/shop?sslmode=require&table=sales.events&password=x"))
    #expect(location.connection == "postgres://ana:p%40ss@db.example:5432/shop?sslmode=require&password=x")
    #expect(location.table == "sales.events")
    #expect(location.shown == "postgres://ana:***@db.example:5432/shop?sslmode=require&table=sales.events&password=***")
    #expect(try PostgresLocation("events.csv") == nil)
    #expect(throws: ByteStreamError.self) { try PostgresLocation("postgresql://localhost/shop") }
    let plain = try #require(try PostgresLocation("postgresql:///shop?table=events"))
    #expect(plain.connection == "postgresql:///shop" && plain.shown == "postgresql:///shop?table=events")
  }
}
