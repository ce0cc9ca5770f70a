import ChurnData
import ChurnIO
import ChurnTestSupport
import Testing

struct EventLogValidatorTests {
  let events = """
    customer_id,timestamp,event,channel,amount
    A,2024-01-02,visit,web,
    B,2024-01-01,purchase,app,10
    A,2024-01-01,visit,web,
    A,2024-01-03,purchase,web,30
    A,2024-01-03,purchase,web,30
    C,bad,visit,web,

    """

  /// Row problems before a quote that is never closed are all reported,
  /// then the structural error, each with its place.
  @Test func rowProblemsBeforeAFatalErrorAreAllReported() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let text =
      "customer_id,timestamp,event\nA,2024-01-01,visit\nB,2024-01-02,visit\nC,not-a-date,visit\nD,2024-01-03,\"unterminated\nE,2024-01-04,visit\n"
    let path = try dir.write("bad.csv", text)
    let s = try EventLogValidator().validate(eventsPath: path)
    #expect(s.validRows == 2 && s.errors == 1)
    #expect(s.issues.map(\.description).first?.hasPrefix("\(path):4:2: error: not a recognised timestamp") == true)
    #expect(s.problems == ["\(path):5: a quoted field opened here is never closed (the rows after it were not read)"])
    #expect(!s.usable)
  }

  @Test func summarisesTheLog() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let customers = try dir.write("c.csv", "customer_id,plan\nA,basic\nZ,premium\nA,gold\n")
    let s = try EventLogValidator(maxIssues: 1).validate(eventsPath: path, customersPath: customers)
    #expect(s.rows == 6 && s.validRows == 5 && s.skippedRows == 1)
    #expect(s.customers == 2)
    #expect(s.firstEvent == "2024-01-01T00:00:00Z" && s.lastEvent == "2024-01-03T00:00:00Z")
    #expect(s.eventTypes == [.init(name: "purchase", count: 3), .init(name: "visit", count: 2)])
    #expect(s.channels == [.init(name: "web", count: 4), .init(name: "app", count: 1)])
    #expect(s.duplicateRows == 1)
    #expect(s.rowsOutOfTimeOrder == 1)
    #expect(!s.sortedByTime)
    #expect(s.amount?.count == 3 && s.amount?.sum == 70)
    #expect(s.sentiment == nil)
    #expect(s.columns.map(\.empty) == [0, 0, 0, 0, 3])
    #expect(s.errors == 2 && s.issues.count == 1)  // bad timestamp + repeated customer id
    let table = try #require(s.customerTable)
    #expect(table.customers == 2 && table.rows == 3)
    #expect(table.customersWithoutAttributes == 1)  // B
    #expect(table.customersWithoutEvents == 1)  // Z
    #expect(s.usable)
  }

  @Test func headerOnlyFileIsNotUsable() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let s = try EventLogValidator().validate(eventsPath: dir.write("e.csv", "customer_id,timestamp,event\n"))
    #expect(!s.usable)
    #expect(s.problems == ["the file has a header but no data rows"])
  }

  @Test func renderedTextNamesProblemsWithLocation() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", events)
    let text = try EventLogValidator().validate(eventsPath: path).renderText()
    #expect(
      text.contains(
        "\(path):7:2: error: \(TimestampError.unrecognised.description) (column \"timestamp\", value \"bad\")"))
    #expect(text.contains("\n  duplicate rows        1\n"))
  }
}
