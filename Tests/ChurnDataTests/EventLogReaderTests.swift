import ChurnData
import ChurnIO
import ChurnSimulation
import ChurnTestSupport
import Foundation
import Testing

struct EventLogReaderTests {
  func readAll(_ text: String, schema: EventSchema = EventSchema()) throws -> (EventBatch, EventLogReader, IssueLog) {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var reader = try EventLogReader(path: dir.write("e.csv", text), schema: schema, chunkSize: 32)
    reader.countsEmptyValues = true
    var all = EventBatch()
    var batch = EventBatch()
    var issues = IssueLog()
    while try reader.nextBatch(into: &batch, issues: &issues) {
      all.customer += batch.customer
      all.time += batch.time
      all.event += batch.event
      all.channel += batch.channel
      all.amount += batch.amount
      all.sentiment += batch.sentiment
      all.stage += batch.stage
      all.line += batch.line
    }
    return (all, reader, issues)
  }

  @Test func readsTypedColumns() throws {
    let (batch, reader, issues) = try readAll(
      """
      customer_id,timestamp,event,channel,amount,sentiment,stage,extra
      A,2024-01-01T00:00:00Z,visit,web,,,awareness,x
      B,2024-01-02,purchase,,19.99,-0.5,purchase,y
      A,2024-01-03T12:00:00+01:00,purchase,app,5,,,z

      """)
    #expect(issues.totalCount == 0)
    #expect(batch.customer == [0, 1, 0])
    #expect(reader.customers.strings == ["A", "B"])
    #expect(batch.time == [1_704_067_200_000_000, 1_704_153_600_000_000, 1_704_279_600_000_000])
    #expect(reader.eventTypes.strings == ["visit", "purchase"])
    #expect(batch.event == [0, 1, 1])
    #expect(batch.channel == [0, -1, 1])
    #expect(batch.amount[1] == 19.99 && batch.amount[2] == 5 && batch.amount[0].isNaN)
    #expect(batch.sentiment[1] == -0.5)
    #expect(batch.stage == [0, 1, -1])
    #expect(batch.line == [2, 3, 4])
    #expect(reader.columns.extraColumns == ["extra"])
    #expect(reader.emptyValues == [0, 0, 0, 1, 1, 2, 1, 0])
  }

  /// Names alike in length, first and last byte share a slot of the
  /// decoder's "recent" table; each must still get its own id.
  @Test func namesSharingARecentSlotKeepTheirIds() throws {
    let names = ["axc", "abc", "axc", "a-c", "abc", "abc", "axc"]
    let rows = names.enumerated().map { "C\($0.offset),2024-01-0\($0.offset + 1),\($0.element),\($0.element)" }
    let (batch, reader, issues) = try readAll(
      "customer_id,timestamp,event,channel\n" + rows.joined(separator: "\n") + "\n")
    #expect(issues.totalCount == 0)
    #expect(reader.eventTypes.strings == ["axc", "abc", "a-c"])
    #expect(batch.event.map { reader.eventTypes.string($0) } == names)
    #expect(batch.channel.map { reader.channels.string($0) } == names)
  }

  @Test func mapsColumnsAndConstantEvent() throws {
    var schema = EventSchema()
    schema.customerID = "CustomerID"
    schema.timestamp = "date"
    schema.amount = "dollars"
    schema.eventName = "purchase"
    schema.timeFormat = .yyyyMMdd
    let (batch, reader, issues) = try readAll(
      "CustomerID,date,qty,dollars\n4,19970101,2,29.33\n4,19970118,1,9.5\n", schema: schema)
    #expect(issues.totalCount == 0)
    #expect(batch.amount == [29.33, 9.5])
    #expect(reader.eventTypes.strings == ["purchase"])
    #expect(batch.event == [0, 0])
    #expect(batch.time[1] - batch.time[0] == 17 * 86_400_000_000)
  }

  @Test func missingRequiredColumnSuggestsTheClosestName() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let path = try dir.write("e.csv", "customer,timestamp,event\n")
    #expect(throws: IngestError.self) { try EventLogReader(path: path, schema: EventSchema()) }
    do {
      _ = try EventLogReader(path: path, schema: EventSchema())
    } catch {
      #expect(
        error.description
          == "\(path): no customer id column 'customer_id' in the header (columns: customer, timestamp, event). Did you mean 'customer'?"
      )
    }
  }

  @Test func explicitOptionalColumnMustExist() throws {
    var schema = EventSchema()
    schema.amount = "price"
    schema.explicitColumns = ["amount"]
    #expect(throws: IngestError.self) { try readAll("customer_id,timestamp,event\n", schema: schema) }
  }

  @Test func schemaFileIsReadAndValidated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let good = try dir.write(
      "s.json", #"{"customer_id": "user", "timestamp": "ts", "time_format": "epoch-millis", "event_name": "order"}"#)
    let schema = try EventSchema.load(path: good)
    #expect(schema.customerID == "user" && schema.timestamp == "ts" && schema.timeFormat == .epochMilliseconds)
    #expect(schema.eventName == "order")
    #expect(schema.explicitColumns == ["customer_id", "timestamp"])
    let bad = try dir.write("bad.json", #"{"time_format": "weekly"}"#)
    #expect(throws: IngestError.self) { try EventSchema.load(path: bad) }
    let broken = try dir.write("broken.json", "{ not json")
    #expect(throws: IngestError.self) { try EventSchema.load(path: broken) }
    // A misspelt key is named, not ignored.
    let misspelt = try dir.write("misspelt.json", #"{"customer_id": "user", "timestmap": "ts"}"#)
    #expect(
      throws: IngestError.invalidSchema(
        "\(misspelt): unknown key 'timestmap' (expected customer_id, timestamp, event, event_name, channel, amount, sentiment, stage, time_format, delimiter); did you mean 'timestamp'?"
      )
    ) { try EventSchema.load(path: misspelt) }
  }

  /// Ids that are not UTF-8 (a Latin-1 file) are row errors: read as text,
  /// "A\u{E9}" and "A\u{E8}" would both become "A\u{FFFD}", one customer.
  @Test func idsThatAreNotUTF8AreRowErrors() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var bytes = Array("customer_id,timestamp,event\n".utf8)
    bytes += Array("A".utf8) + [0xE9] + Array(",2024-01-01,visit\n".utf8)
    bytes += Array("A".utf8) + [0xE8] + Array(",2024-01-02,visit\n".utf8)
    bytes += Array("B\u{E9},2024-01-03,visit\n".utf8)
    bytes += Array("C".utf8) + [0] + Array(",2024-01-04,visit\n".utf8)
    let path = "\(dir.path)/latin1.csv"
    FileManager.default.createFile(atPath: path, contents: Data(bytes))
    // A NUL byte in the first block marks the whole file as binary; later
    // on, it is the row's problem.
    var reader = try EventLogReader(path: path, schema: EventSchema(), chunkSize: 64)
    var batch = EventBatch()
    var issues = IssueLog()
    var rows = 0
    while try reader.nextBatch(into: &batch, issues: &issues) { rows += batch.count }
    #expect(rows == 1)
    #expect(reader.customers.string(0) == "B\u{E9}")
    #expect(issues.errorCount == 3)
    #expect(issues.kept.map(\.line) == [2, 3, 5])
    #expect(issues.kept.prefix(2).allSatisfy { $0.message.hasPrefix("customer id is not valid UTF-8") })
    #expect(issues.kept[2].message.hasPrefix("customer id holds a NUL byte"))
  }

  /// Values no log means are stopped at the door: a year outside
  /// 1900–2200 (a placeholder, or milliseconds read as seconds) is a row
  /// error; an amount or sentiment of 10¹⁵ or more a warning, kept as missing.
  @Test func implausibleValuesAreStoppedAtTheDoor() throws {
    let (batch, _, issues) = try readAll(
      """
      customer_id,timestamp,event,amount,sentiment
      A,2024-01-01,visit,1e300,
      B,1800-01-01,visit,,
      C,9999-12-31,visit,,
      D,2024-01-02,visit,12.5,-1e16
      """)
    #expect(batch.count == 2)
    #expect(batch.amount[0].isNaN && batch.amount[1] == 12.5 && batch.sentiment[1].isNaN)
    #expect(issues.errorCount == 2 && issues.warningCount == 2)
    #expect(issues.kept.map(\.line) == [2, 3, 4, 5])
    #expect(issues.kept[1].message.hasPrefix("year outside 1900–2200"))
    #expect(issues.kept[0].message == "beyond ±10¹⁵; treated as missing")
    var schema = EventSchema()
    schema.timeFormat = .epochSeconds
    let (_, _, unitMixUp) = try readAll("customer_id,timestamp,event\nA,1700000000000,visit\n", schema: schema)
    #expect(unitMixUp.errorCount == 1 && unitMixUp.kept[0].message.contains("milliseconds read as seconds"))
  }

  @Test func rowProblemsAreLocatedAndRowsSkipped() throws {
    let (batch, _, issues) = try readAll(
      """
      customer_id,timestamp,event,amount,sentiment
      A,2024-01-01,visit,,
      ,2024-01-01,visit,,
      B,not-a-date,visit,,
      C,2024-01-01,,,
      D,2024-01-01,visit,12,3
      E,2024-01-01,visit,ten,
      F,2024-01-01

      """)
    #expect(batch.line == [2, 6, 7])
    #expect(issues.errorCount == 4)
    #expect(issues.warningCount == 2)
    #expect(
      issues.kept.map(\.description).map {
        $0.replacingOccurrences(of: #"^.*/e\.csv"#, with: "e.csv", options: .regularExpression)
      } == [
        #"e.csv:3:1: error: customer id is empty (column "customer_id", value "")"#,
        #"e.csv:4:2: error: \#(TimestampError.unrecognised.description) (column "timestamp", value "not-a-date")"#,
        #"e.csv:5:3: error: event type is empty (column "event", value "")"#,
        #"e.csv:6:5: warning: sentiment outside −1…1; kept, but check its scale (column "sentiment", value "3")"#,
        #"e.csv:7:4: warning: not a number; treated as missing (column "amount", value "ten")"#,
        "e.csv:8: error: row has 2 fields, the header has 5",
      ])
  }
}

/// The pipelined, multi-threaded reader must give exactly what a single
/// thread gives, whatever the chunk size.
struct EventLogReaderDeterminismTests {
  struct Everything: Equatable {
    var batch = EventBatch.Columns()
    var customers: [String] = []
    var events: [String] = []
    var channels: [String] = []
    var stages: [String] = []
    var issues: [String] = []
    var empty: [Int] = []
  }

  func read(_ path: String, threads: Int, chunkSize: Int) throws -> Everything {
    var reader = try EventLogReader(path: path, schema: EventSchema(), chunkSize: chunkSize, threads: threads)
    reader.computesFingerprints = true
    reader.countsEmptyValues = true
    var batch = EventBatch()
    var issues = IssueLog(limit: 1000)
    var all = Everything()
    while try reader.nextBatch(into: &batch, issues: &issues) { all.batch.append(batch) }
    all.customers = reader.customers.strings
    all.events = reader.eventTypes.strings
    all.channels = reader.channels.strings
    all.stages = reader.stages.strings
    all.issues = issues.kept.map(\.description)
    all.empty = reader.emptyValues
    return all
  }

  @Test func aBrokenQuoteLateInTheFileStopsTheReadWithItsLine() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    var text = "customer_id,timestamp,event\n"
    for i in 0..<20_000 { text += "C\(i % 97),2024-01-01T00:00:00Z,visit\n" }
    text += "X,2024-01-02T00:00:00Z,\"never closed\n"
    let path = try dir.write("e.csv", text)
    var reader = try EventLogReader(path: path, schema: EventSchema(), chunkSize: 4096, threads: 2)
    var batch = EventBatch()
    var issues = IssueLog()
    var rows = 0
    #expect(throws: IngestError.unterminatedQuote(path: path, line: 20_002)) {
      while try reader.nextBatch(into: &batch, issues: &issues) { rows += batch.count }
    }
    #expect(rows == 20_000)
  }

  @Test func threadsAndChunkSizesDoNotChangeResults() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    _ = try LifecycleGenerator(customers: 1500, seed: 11, days: 200).write(to: dir.path)
    // Add rows with quoted ids and categories, doubled quotes and errors.
    var text = try dir.read("events.csv")
    text += "\"C,\"\"odd\"\" id\",2024-05-01T00:00:00Z,\"visit\",\"we\"\"b\",,,awareness\n"
    text += "C0000001,not a time,visit,web,,,awareness\n"
    text += "C0000002,2024-05-02T00:00:00Z,\"new \"\"event\"\"\",store,1.5,,retention\n"
    let path = try dir.write("mixed.csv", text)
    let reference = try read(path, threads: 1, chunkSize: 1 << 22)
    #expect(reference.batch.time.count > 20_000)
    #expect(reference.customers.contains("C,\"odd\" id"))
    #expect(reference.events.contains("new \"event\""))
    #expect(reference.channels.contains("we\"b"))
    #expect(reference.issues.count == 1)
    for (threads, chunkSize) in [(2, 1 << 22), (2, 1 << 16), (3, 100_000), (1, 4096)] {
      let other = try read(path, threads: threads, chunkSize: chunkSize)
      #expect(other == reference, "threads \(threads), chunk \(chunkSize)")
    }
  }
}

extension EventBatch {
  /// All columns of many batches, for comparisons in tests.
  struct Columns: Equatable {
    var customer: [Int32] = []
    var time: [Int64] = []
    var event: [Int32] = []
    var channel: [Int32] = []
    var amountBits: [UInt64] = []
    var sentimentBits: [UInt64] = []
    var stage: [Int32] = []
    var line: [Int] = []
    var fingerprint: [UInt64] = []

    mutating func append(_ b: EventBatch) {
      customer += b.customer
      time += b.time
      event += b.event
      channel += b.channel
      amountBits += b.amount.map(\.bitPattern)
      sentimentBits += b.sentiment.map(\.bitPattern)
      stage += b.stage
      line += b.line
      fingerprint += b.fingerprint
    }
  }
}

/// A header that names a column twice is refused where the second copy is,
/// in an event log and a customers table alike.
struct RepeatedColumnTests {
  @Test func theSecondCopyIsLocated() throws {
    let dir = try TemporaryDirectory()
    defer { dir.remove() }
    let events = try dir.write("e.csv", "customer_id,timestamp,event,event\nA,2024-01-01,visit,visit\n")
    #expect(throws: IngestError.duplicateColumn(path: events, name: "event", first: 2, second: 3)) {
      try EventLogReader(path: events, schema: EventSchema())
    }
    let customers = try dir.write("c.csv", "customer_id,plan,plan\nA,basic,basic\n")
    var issues = IssueLog()
    #expect {
      try CustomerTable(path: customers, issues: &issues)
    } throws: {
      "\($0)" == "\(customers):1:3: column 'plan' appears twice in the header (also column 2): rename one"
    }
  }
}
