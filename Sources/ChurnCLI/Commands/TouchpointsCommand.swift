import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// `churnkit touchpoints`: the transition graph between event types within
/// sessions — where customers go next, how long it takes, where they loop
/// and where they drop.
enum TouchpointsCommand: Command {
  static let spec = CommandSpec(
    name: "touchpoints",
    abstract: "Transitions between touchpoints in sessions, and where they end.",
    discussion: """
      Cuts each customer's events into sessions (a new session after a \
      silence longer than --session-gap) and counts every transition from \
      one event type to the next within a session, from the session's \
      start and to its end: per transition, how many, their share of all \
      transitions out of the first event type, the customers who made one, \
      the median time between the two events, and the loops (A to B and \
      back to A). \
      The summary lists the strongest transitions and the event types \
      where sessions most often end; --out writes every transition as CSV \
      and --json the graph. --funnel counts ordered funnels. --changes \
      finds what changed, when and for whom: every transition share and \
      funnel step, week by week against the weeks around it (and, with \
      --segment, within and against each segment), the false discovery \
      rate held across all tests. Needs no stage column. \
      docs/touchpoints.md explains each figure.
      """,
    options: [
      .init(
        name: "events", valueName: "file",
        help:
          "Event log: a CSV file, - for standard input, or a table: sqlite:PATH?table=NAME, postgres://…?table=NAME.",
        isRequired: true)
    ] + sessionOptions + funnelOptions + [
      .init(name: "top", valueName: "n", help: "Transitions listed in the summary.", defaultValue: "15"),
      .init(
        name: "step-matrix", valueName: "steps",
        help:
          "The step matrix over this many steps: at each step, the share of sessions (or customers) at each event type."
      ),
      .init(
        name: "step-matrix-unit", valueName: "unit", help: "sessions or customers (whole histories).",
        defaultValue: "sessions"),
      .init(
        name: "centre-on", valueName: "event",
        help: "With --step-matrix: count steps from each path's first occurrence of this event (negative before)."),
      .init(
        name: "changes", valueName: nil,
        help:
          "Find what changed and when: every transition share and funnel step, week by week against the weeks around it (and, with --segment, each segment against the rest), the false discovery rate controlled across all tests."
      ),
      .init(
        name: "fdr", valueName: "rate", help: "With --changes or --compare: the false discovery rate.",
        defaultValue: "0.05"),
      .init(
        name: "changes-out", valueName: "file",
        help: "With --changes: every test made as CSV (share, baseline, trials, z, p, q), or - for standard output."),
      .init(
        name: "compare", valueName: "column=value",
        help:
          "Compare one segment's sessions (a customers-table column's value) with the rest's: both graphs and every transition tested."
      ),
      .init(
        name: "compare-periods", valueName: "dates",
        help:
          "Compare the sessions of one period with another's or the rest's: 2020-02-01..2020-02-29 or 2020-02-01..2020-02-29,2020-03-01..2020-03-31."
      ),
      .init(name: "customers", valueName: "file", help: "Customers table, for --segment and --compare."),
      .init(
        name: "segment", valueName: "column",
        help:
          "With --changes: also test within each value of this customers-table column, and each against the rest; with --funnel: count funnels per value."
      ),
      .init(name: "out", valueName: "file", help: "Every transition as CSV, or - for standard output."),
      .init(
        name: "report", valueName: "file",
        help: "Also write the touchpoint page: the graph drawn, every transition, where sessions end."),
      .init(name: "title", valueName: "text", help: "Heading of the page.", defaultValue: "Touchpoint journeys"),
      .init(name: "json", valueName: nil, help: "Print the graph as JSON on standard output."),
      .init(
        name: "no-formula-escape", valueName: nil,
        help:
          "Write event names as they are in the CSV. By default one that starts with =, +, -, @, tab or CR gets a leading ' so that a spreadsheet shows it instead of running it as a formula."
      ),
    ] + MappingOptions.options,
    examples: [
      "churnkit touchpoints --events training-data/events.csv --session-gap 1d --out transitions.csv",
      "churnkit touchpoints --events clicks.csv --id-column user_id --session-gap 30min --report touchpoints.html",
      "churnkit touchpoints --events training-data/events.csv --changes --customers training-data/customers.csv --segment plan",
    ])

  /// How sessions are cut; `journey --touchpoints` takes them too.
  static let sessionOptions: [CommandSpec.Option] = [
    .init(
      name: "session-gap", valueName: "time",
      help: "A longer silence starts a new session: seconds, or with s, min, h or d (e.g. 30min, 2h).",
      defaultValue: "30min"),
    .init(
      name: "session-column", valueName: "name",
      help: "Sessions from this column of the log (a session id) instead of silences; the log must be a file."),
  ]

  /// The funnels over touchpoints; `journey --touchpoints` takes them too.
  static let funnelOptions: [CommandSpec.Option] = [
    .init(
      name: "funnel", valueName: "steps",
      help: "A funnel of event types in order, comma-separated (e.g. catalog,cart,payment_done); repeatable.",
      repeatable: true),
    .init(
      name: "funnels", valueName: "file",
      help: #"Named funnels from a JSON file: {"funnels": [{"name": "checkout", "steps": ["cart", "purchase"]}]}."#),
    .init(
      name: "funnel-window", valueName: "time",
      help: "Count funnels per customer within this time of their first step (e.g. 7d) instead of per session."),
    .init(
      name: "funnel-period", valueName: "period", help: "Count funnels by week or by day of entry.",
      defaultValue: "week"),
  ]

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    if arguments.flag("json") && arguments.value("out") == "-" { throw CLIError.sharedStandardOutput("out", "json") }
    let gap = try sessionGap(arguments.value("session-gap")!)
    let top = try arguments.integer("top", in: 0...100_000)
    var issues = IssueLog(limit: 20)
    var reader = try EventLogReader(
      path: arguments.value("events")!, schema: try MappingOptions.schema(from: arguments))
    let log = try SessionLog(
      reader: &reader, issues: &issues, sessionGapSeconds: gap,
      sessionColumn: try sessionColumn(arguments, schema: reader.schema))
    let graph = TouchpointGraph(log)
    let segments = try arguments.value("segment").map {
      try self.segments(column: $0, option: "segment", arguments, log: log, schema: reader.schema, issues: &issues)
    }
    let funnels = try self.funnels(arguments, log: log, segments: segments)
    let changes = try self.changes(arguments, log: log, segments: segments, funnels: funnels)
    let stepMatrix = try self.stepMatrix(arguments, log: log)
    let comparison = try compare(arguments, log: log, schema: reader.schema, issues: &issues)
    let outputs = PendingOutputs(console: console)
    if let path = arguments.value("changes-out"), let changes {
      try outputs.add(
        TouchpointText.testRows(changes, neutralisingFormulas: !arguments.flag("no-formula-escape")), to: path)
    }
    if let path = arguments.value("out") {
      try outputs.add(TouchpointText.rows(graph, neutralisingFormulas: !arguments.flag("no-formula-escape")), to: path)
    }
    if let page = arguments.value("report") {
      var report = TouchpointReport(graph: graph, title: arguments.value("title")!)
      report.funnels = funnels
      report.changes = changes
      report.stepMatrix = stepMatrix
      report.comparison = comparison
      try outputs.add(report.html(), to: page)
    }
    if arguments.flag("json") {
      try outputs.add(
        try JSONOutput.text(
          Document(
            graph: graph, funnels: funnels, changes: changes, stepMatrix: stepMatrix, comparison: comparison)), to: "-"
      )
    }
    try outputs.commit()
    let text =
      TouchpointText.render(graph, top: top) + funnels.map(TouchpointText.render).joined()
      + (stepMatrix.map(TouchpointText.render) ?? "") + (comparison.map(TouchpointText.render) ?? "")
      + (changes.map(TouchpointText.render) ?? "")
    if arguments.flag("json") || [arguments.value("out"), arguments.value("changes-out")].contains("-") {
      console.err(text)
    } else {
      console.report(text)
    }
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// --session-column, read from the log (a file: it is read twice).
  static func sessionColumn(_ arguments: ParsedArguments, schema: EventSchema) throws -> SessionColumn? {
    guard let column = arguments.value("session-column") else { return nil }
    if arguments.isGiven("session-gap") {
      throw CLIError.invalidValue(
        option: "session-gap", value: arguments.value("session-gap")!,
        reason: "sessions come from --session-column; give one or the other")
    }
    let path = arguments.value("events")!
    guard path != "-" else {
      throw CLIError.invalidValue(
        option: "session-column", value: column, reason: "the log is read twice: give it as a file, not -")
    }
    return try SessionColumn(path: path, column: column, delimiter: schema.delimiter)
  }

  /// What --json prints.
  struct Document: Encodable {
    let graph: TouchpointGraph
    let funnels: [Funnel]
    let changes: ShareChanges?
    let stepMatrix: StepMatrix?
    let comparison: GraphComparison?
  }

  /// --fdr, for --changes and --compare.
  static func fdr(_ arguments: ParsedArguments) throws -> Double {
    let uses = ["changes", "compare", "compare-periods"].contains { arguments.isGiven($0) }
    guard uses || !arguments.isGiven("fdr") else {
      throw CLIError.invalidValue(
        option: "fdr", value: arguments.value("fdr")!, reason: "it only applies with --changes or --compare")
    }
    let rate = try arguments.nonNegativeNumber("fdr", below: 1)!
    guard rate > 0 else {
      throw CLIError.invalidValue(
        option: "fdr", value: arguments.value("fdr")!, reason: "expected a rate above 0 and below 1")
    }
    return rate
  }

  /// --compare COLUMN=VALUE or --compare-periods: two groups of sessions.
  static func compare(
    _ arguments: ParsedArguments, log: SessionLog, schema: EventSchema, issues: inout IssueLog
  ) throws -> GraphComparison? {
    let fdr = try fdr(arguments)
    if let text = arguments.value("compare") {
      if arguments.isGiven("compare-periods") {
        throw CLIError.invalidValue(
          option: "compare-periods", value: arguments.value("compare-periods")!,
          reason: "compare a segment or periods, not both")
      }
      let parts = text.split(separator: "=", maxSplits: 1).map(String.init)
      guard parts.count == 2, !parts[0].isEmpty else {
        throw CLIError.invalidValue(option: "compare", value: text, reason: "expected column=value, e.g. platform=ios")
      }
      let segments = try segments(
        column: parts[0], option: "compare", arguments, log: log, schema: schema, issues: &issues)
      guard let k = segments.names.firstIndex(of: parts[1]) else {
        let suggestion = closestMatch(to: parts[1], in: segments.names).map { " (did you mean '\($0)'?)" } ?? ""
        throw CLIError.invalidValue(
          option: "compare", value: text, reason: "no customer has \(parts[0]) '\(parts[1])'\(suggestion)")
      }
      return GraphComparison(log: log, a: text, b: "the rest", fdr: fdr) { customer, _ in
        segments.segment(of: customer) == k
      }
    }
    guard let text = arguments.value("compare-periods") else { return nil }
    let periods = try text.split(separator: ",").map { try period(String($0), option: "compare-periods") }
    guard periods.count == 1 || periods.count == 2 else {
      throw CLIError.invalidValue(
        option: "compare-periods", value: text, reason: "expected one period, or two separated by a comma")
    }
    let names = text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
    let a = periods[0]
    if periods.count == 1 {
      return GraphComparison(log: log, a: names[0], b: "the rest", fdr: fdr) { _, day in a.contains(day) }
    }
    let b = periods[1]
    guard !a.overlaps(b) else {
      throw CLIError.invalidValue(option: "compare-periods", value: text, reason: "the two periods overlap")
    }
    return GraphComparison(log: log, a: names[0], b: names[1], fdr: fdr) { _, day in
      a.contains(day) ? true : b.contains(day) ? false : nil
    }
  }

  /// "2020-02-01..2020-02-29" → its days since 1970-01-01, both ends in.
  static func period(_ text: String, option: String) throws(CLIError) -> ClosedRange<Int64> {
    let ends = text.trimmingCharacters(in: .whitespaces).components(separatedBy: "..")
    let days = ends.compactMap { end -> Int64? in
      let bytes = Array(end.utf8)
      guard bytes.count == 10, case .success(let t) = TimestampFormat.iso8601.parse(bytes[...]) else { return nil }
      return t / microsPerDay
    }
    guard ends.count == 2, days.count == 2, days[0] <= days[1] else {
      throw .invalidValue(
        option: option, value: text, reason: "expected a period as FIRST..LAST dates, e.g. 2020-02-01..2020-02-29")
    }
    return days[0]...days[1]
  }

  /// --step-matrix, per session or customer, from the start or centred.
  static func stepMatrix(_ arguments: ParsedArguments, log: SessionLog) throws -> StepMatrix? {
    guard arguments.isGiven("step-matrix") else {
      for name in ["step-matrix-unit", "centre-on"] where arguments.isGiven(name) {
        throw CLIError.invalidValue(
          option: name, value: arguments.value(name)!, reason: "it only applies with --step-matrix")
      }
      return nil
    }
    let steps = try arguments.integer("step-matrix", in: 1...100)
    let unit = arguments.value("step-matrix-unit")!
    guard ["sessions", "customers"].contains(unit) else {
      throw CLIError.invalidValue(option: "step-matrix-unit", value: unit, reason: "expected sessions or customers")
    }
    do {
      return try StepMatrix(log, steps: steps, byCustomer: unit == "customers", centre: arguments.value("centre-on"))
    } catch {
      throw CLIError.invalidValue(
        option: "centre-on", value: arguments.value("centre-on") ?? "", reason: error.description)
    }
  }

  /// With --changes: the scan over every transition and funnel step.
  static func changes(
    _ arguments: ParsedArguments, log: SessionLog, segments: CustomerSegments?, funnels: [Funnel]
  ) throws -> ShareChanges? {
    guard arguments.flag("changes") else {
      if arguments.isGiven("segment") && funnels.isEmpty {
        throw CLIError.invalidValue(
          option: "segment", value: arguments.value("segment")!, reason: "it only applies with --changes or --funnel")
      }
      for name in ["changes-out"] where arguments.isGiven(name) {
        throw CLIError.invalidValue(
          option: name, value: arguments.value(name)!, reason: "it only applies with --changes")
      }
      return nil
    }
    var scan = ShareChangeScan()
    scan.fdr = try fdr(arguments)
    scan.revenue = CustomerRevenue(log)
    return scan.scan(try ShareSeries.all(of: log, funnels: funnels), segments: segments)
  }

  /// A column of --customers, by customer (for --segment or --compare).
  static func segments(
    column: String, option: String, _ arguments: ParsedArguments, log: SessionLog, schema: EventSchema,
    issues: inout IssueLog
  ) throws -> CustomerSegments {
    guard let path = arguments.value("customers") else {
      throw CLIError.invalidValue(
        option: option, value: column, reason: "segments come from the customers table: add --customers FILE")
    }
    let table = try CustomerTable(path: path, idColumn: schema.customerID, issues: &issues)
    guard let a = table.attributeNames.firstIndex(of: column) else {
      throw CLIError.invalidValue(
        option: option, value: column,
        reason: "\(path) has no such column (columns: \(table.attributeNames.joined(separator: ", ")))")
    }
    return CustomerSegments(column: column, customerIDs: log.customerIDs) { id in
      table.indexByID[id].map { table.values[a][$0] }
    }
  }

  /// The --funnel options, counted per session or within --funnel-window.
  static func funnels(_ arguments: ParsedArguments, log: SessionLog, segments: CustomerSegments?) throws -> [Funnel] {
    let window = try arguments.value("funnel-window").map { try sessionGap($0, option: "funnel-window") }
    let period = arguments.value("funnel-period")!
    guard period == "week" || period == "day" else {
      throw CLIError.invalidValue(option: "funnel-period", value: period, reason: "expected week or day")
    }
    var definitions: [(name: String?, steps: [String], text: String)] = arguments.values("funnel").map { text in
      (nil, text.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }, text)
    }
    if let path = arguments.value("funnels") {
      definitions += try FunnelDefinitions.load(path: path).funnels.map {
        ($0.name, $0.steps, "\(path): \($0.name)")
      }
    }
    for name in ["funnel-window", "funnel-period"] where definitions.isEmpty && arguments.isGiven(name) {
      throw CLIError.invalidValue(
        option: name, value: arguments.value(name)!, reason: "it only applies with --funnel or --funnels")
    }
    return try definitions.map { d in
      do {
        var funnel = try Funnel(
          steps: d.steps, windowSeconds: window, log: log, daily: period == "day", segments: segments)
        funnel.name = d.name
        return funnel
      } catch let error as FunnelError {
        throw CLIError.invalidValue(
          option: d.name == nil ? "funnel" : "funnels", value: d.text, reason: error.description)
      }
    }
  }

  /// "1800", "90s", "30min", "2h", "1d" → seconds (> 0).
  static func sessionGap(_ text: String, option: String = "session-gap") throws(CLIError) -> Double {
    let units: [(String, Double)] = [("min", 60), ("s", 1), ("h", 3600), ("d", 86_400)]
    let trimmed = text.trimmingCharacters(in: .whitespaces)
    let (digits, scale) =
      units.first { trimmed.hasSuffix($0.0) }.map { (String(trimmed.dropLast($0.0.count)), $0.1) } ?? (trimmed, 1)
    guard let n = Double(digits), n > 0, n.isFinite else {
      throw .invalidValue(
        option: option, value: text, reason: "expected a positive time: seconds, or e.g. 90s, 30min, 2h, 1d")
    }
    return n * scale
  }

}
