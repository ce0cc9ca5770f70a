import ChurnIO

/// Reads an event log (and optionally a customers table) once, streaming,
/// and produces an `EventLogSummary`.
///
/// Memory grows with the number of customers and distinct rows (a 64-bit
/// fingerprint per row for duplicate detection), never with the raw bytes.
///
/// ```swift
/// let summary = try EventLogValidator(schema: EventSchema()).validate(eventsPath: "events.csv")
/// print(summary.validRows, summary.usable)
/// ```
public struct EventLogValidator {
  public var schema: EventSchema
  /// How many issues to keep for display (all are counted).
  public var maxIssues: Int
  /// Id column of the customers table.
  public var customerIDColumn: String

  public init(schema: EventSchema = EventSchema(), maxIssues: Int = 20, customerIDColumn: String? = nil) {
    self.schema = schema
    self.maxIssues = maxIssues
    self.customerIDColumn = customerIDColumn ?? schema.customerID
  }

  /// Validates `eventsPath` and, when given, `customersPath`.
  ///
  /// - Throws: `IngestError` when a file cannot be read at all (missing,
  ///   empty, no required column); row-level problems are in the summary.
  public func validate(eventsPath: String, customersPath: String? = nil) throws(IngestError) -> EventLogSummary {
    var issues = IssueLog(limit: maxIssues)
    var reader = try EventLogReader(path: eventsPath, schema: schema)
    reader.computesFingerprints = true
    reader.countsEmptyValues = true
    var batch = EventBatch()
    var tally = Tally()
    // A structural error part-way (a quote never closed) ends the reading:
    // the rows before it are still checked and reported, then the error.
    var fatal: IngestError?
    do {
      while try reader.nextBatch(into: &batch, issues: &issues) {
        tally.add(batch)
      }
    } catch {
      fatal = error
    }
    var tableSummary: EventLogSummary.CustomerTableSummary?
    if let customersPath {
      let t = try CustomerTable(path: customersPath, idColumn: customerIDColumn, issues: &issues)
      let eventIDs = reader.customers.strings
      let withoutAttributes = eventIDs.filter { t.indexByID[$0] == nil }.count
      let eventIDSet = Set(eventIDs)
      tableSummary = .init(
        file: customersPath, rows: t.rowsRead, customers: t.count, attributes: t.attributeNames,
        customersWithoutAttributes: withoutAttributes,
        customersWithoutEvents: t.ids.filter { !eventIDSet.contains($0) }.count)
    }
    return summarize(reader: reader, tally: tally, issues: issues, customerTable: tableSummary, fatal: fatal)
  }

  /// Running totals over the batches.
  struct Tally {
    var validRows = 0
    var eventCounts: [Int] = []
    var channelCounts: [Int] = []
    var stageCounts: [Int] = []
    var firstTime = Int64.max
    var lastTime = Int64.min
    var previousTime = Int64.min
    var sortedByTime = true
    var lastTimeByCustomer: [Int64] = []
    var outOfOrder = 0
    var fingerprints: Set<UInt64> = []
    var duplicates = 0
    var amount = EventLogSummary.NumericSummary()
    var sentiment = EventLogSummary.NumericSummary()

    mutating func add(_ batch: EventBatch) {
      validRows += batch.count
      for k in 0..<batch.count {
        let t = batch.time[k]
        firstTime = min(firstTime, t)
        lastTime = max(lastTime, t)
        if t < previousTime { sortedByTime = false }
        previousTime = t
        let c = Int(batch.customer[k])
        if c >= lastTimeByCustomer.count {
          lastTimeByCustomer.append(contentsOf: repeatElement(Int64.min, count: c + 1 - lastTimeByCustomer.count))
        }
        if t < lastTimeByCustomer[c] { outOfOrder += 1 } else { lastTimeByCustomer[c] = t }
        Tally.bump(&eventCounts, batch.event[k])
        Tally.bump(&channelCounts, batch.channel[k])
        Tally.bump(&stageCounts, batch.stage[k])
        amount.add(batch.amount[k])
        sentiment.add(batch.sentiment[k])
      }
      for f in batch.fingerprint where !fingerprints.insert(f).inserted { duplicates += 1 }
    }

    static func bump(_ counts: inout [Int], _ id: Int32) {
      guard id >= 0 else { return }
      let i = Int(id)
      if i >= counts.count { counts.append(contentsOf: repeatElement(0, count: i + 1 - counts.count)) }
      counts[i] += 1
    }
  }

  private func summarize(
    reader: EventLogReader, tally: Tally, issues: IssueLog,
    customerTable: EventLogSummary.CustomerTableSummary?, fatal: IngestError?
  ) -> EventLogSummary {
    func counts(_ values: [Int], _ names: Interner) -> [EventLogSummary.Count] {
      values.enumerated().map { EventLogSummary.Count(name: names.string(Int32($0.offset)), count: $0.element) }
        .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    }
    let c = reader.columns
    var roles: [Int: String] = [c.customerID: "customer id", c.timestamp: "timestamp"]
    if let i = c.event { roles[i] = "event" }
    if let i = c.channel { roles[i] = "channel" }
    if let i = c.amount { roles[i] = "amount" }
    if let i = c.sentiment { roles[i] = "sentiment" }
    if let i = c.stage { roles[i] = "stage" }
    let columns = c.header.enumerated().map {
      EventLogSummary.Column(name: $0.element, role: roles[$0.offset] ?? "extra", empty: reader.emptyValues[$0.offset])
    }
    var problems: [String] = []
    if let fatal { problems.append(fatal.description + " (the rows after it were not read)") }
    if tally.validRows == 0 && fatal == nil {
      problems.append(reader.rowsRead == 0 ? "the file has a header but no data rows" : "no row could be read")
    }
    let kinds = issues.countsByMessage.map { EventLogSummary.Count(name: $0.key, count: $0.value) }
      .sorted { ($0.count, $1.name) > ($1.count, $0.name) }
    let hasTime = tally.validRows > 0
    return EventLogSummary(
      file: reader.path, rows: reader.rowsRead, validRows: tally.validRows,
      skippedRows: reader.rowsRead - tally.validRows, customers: reader.customers.count,
      firstEvent: hasTime ? formatISO8601(tally.firstTime) : nil,
      lastEvent: hasTime ? formatISO8601(tally.lastTime) : nil,
      eventTypes: counts(tally.eventCounts, reader.eventTypes),
      channels: counts(tally.channelCounts, reader.channels),
      stages: counts(tally.stageCounts, reader.stages),
      columns: columns, extraColumns: c.extraColumns,
      duplicateRows: tally.duplicates, rowsOutOfTimeOrder: tally.outOfOrder,
      sortedByTime: tally.sortedByTime,
      amount: c.amount == nil ? nil : tally.amount,
      sentiment: c.sentiment == nil ? nil : tally.sentiment,
      customerTable: customerTable, errors: issues.errorCount, warnings: issues.warningCount,
      issues: issues.kept, issueKinds: kinds, usable: problems.isEmpty, problems: problems)
  }
}
