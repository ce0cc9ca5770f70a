import ChurnData
import ChurnIO
import ChurnModels
import ChurnSimulation
import Foundation

/// `churnkit features`: point-in-time features and churn labels.
enum FeaturesCommand: Command {
  static let spec = CommandSpec(
    name: "features",
    abstract: "Build point-in-time features and churn labels at one or more cutoffs.",
    discussion: """
      For every customer with history at the cutoff T (and not already \
      churned), computes features from events at or before T only, and the \
      label over the horizon (T, T+H]. Writes customer_id, cutoff, the \
      features and label as CSV; a label the data cannot decide yet is left \
      empty and counted. See docs/features.md for every feature.
      """,
    options: [
      .init(
        name: "events", valueName: "file",
        help:
          "Event log: a CSV file, - for standard input, or a table: sqlite:PATH?table=NAME, postgres://…?table=NAME.",
        isRequired: true),
      .init(name: "customers", valueName: "file", help: "Customers table for static attributes."),
      .init(name: "cutoff", valueName: "date", help: "Cutoff: a date (end of that day, UTC) or date-time."),
      .init(name: "cutoffs", valueName: "list", help: "Several cutoffs, comma-separated."),
      .init(name: "every", valueName: "duration", help: "Cutoffs this far apart, with --from and --to."),
      .init(name: "from", valueName: "date", help: "First cutoff of --every."),
      .init(name: "to", valueName: "date", help: "Last cutoff of --every (inclusive)."),
      .init(
        name: "horizon", valueName: "duration", help: "Label horizon: 90d, 12w or 3m (30-day months).", isRequired: true
      ),
      .init(
        name: "churn-definition", valueName: "definition",
        help: "event:NAME (an explicit cancel event) or inactivity.", defaultValue: "inactivity"),
      .init(name: "spec", valueName: "file", help: "Feature spec as JSON (see docs/features.md)."),
      .init(
        name: "spec-out", valueName: "file",
        help:
          "Write the resolved spec (every vocabulary and imputation value fixed) as JSON, to rebuild the same columns later with --spec."
      ),
      .init(name: "out", valueName: "file", help: "Output CSV, or - for standard output.", isRequired: true),
      .init(name: "json", valueName: nil, help: "Print the run summary as JSON on standard output (with --out FILE)."),
      InterventionsOption.option,
      ObservationOption.option,
      ActiveWithinOption.option,
    ] + MappingOptions.options,
    exclusiveGroups: [["cutoff", "cutoffs", "every"]],
    examples: [
      "churnkit features --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --out features.csv"
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let events = arguments.value("events")!
    let out = arguments.value("out")!
    let horizonText = arguments.value("horizon")!
    if out == "-" && arguments.flag("json") {
      throw CLIError.invalidValue(
        option: "json", value: "", reason: "the features go to standard output; write them to a file with --out FILE")
    }
    let cutoffs = try CutoffOptions.cutoffs(from: arguments)
    let horizon = try Duration(parsing: horizonText)
    let definition = try ChurnDefinition(parsing: arguments.value("churn-definition")!)
    let spec = try arguments.value("spec").map(FeatureSpec.load(path:)) ?? FeatureSpec()
    var issues = IssueLog(limit: 20)
    let source = try InterventionsOption.events(events, arguments)
    defer { source.merged?.remove() }
    var reader = try EventLogReader(path: source.path, schema: try MappingOptions.schema(from: arguments))
    let table = try arguments.value("customers").map { path in
      try CustomerTable(path: path, idColumn: reader.schema.customerID, issues: &issues)
    }
    var extractor = FeatureExtractor(spec: spec, cutoffs: cutoffs, horizon: horizon, churnDefinition: definition)
    extractor.useFeatureModels()
    extractor.observedUntil = try ObservationOption.value(arguments)
    extractor.activeWithin = try ActiveWithinOption.value(arguments, churn: definition)
    let progress = ProgressLine("reading events", console: console)
    extractor.progress = progress.callback
    let features = try extractor.extract(from: &reader, customers: table, issues: &issues)
    progress.finish()
    // Both files or neither: a bad --spec-out leaves the old --out as it was.
    let outputs = PendingOutputs(console: console)
    if let specOut = arguments.value("spec-out") { try outputs.add(try features.spec.jsonText(), to: specOut) }
    if out == "-" {
      try outputs.commit()
      features.writeCSV { console.out(String(decoding: $0, as: UTF8.self)) }
    } else {
      try outputs.add(to: out) { write in try features.writeCSV(write) }
      try outputs.commit()
    }
    let summary = FeatureRunSummary(features, issues: issues, rowsRead: reader.rowsRead)
    console.err(summary.text)
    for issue in issues.kept.prefix(5) { console.err("  \(issue)\n") }
    if arguments.flag("json") { console.out(try summary.json()) }
    return ExitStatus.success
  }
}

/// Cutoffs from --cutoff, --cutoffs or --every/--from/--to.
enum CutoffOptions {
  static func cutoffs(from arguments: ParsedArguments) throws -> [Cutoff] {
    guard ["cutoff", "cutoffs", "every"].contains(where: arguments.isGiven) else {
      throw CLIError.missingOneOf(["cutoff", "cutoffs", "every"])
    }
    if let one = arguments.value("cutoff") { return [try Cutoff(parsing: one)] }
    if let list = arguments.value("cutoffs") {
      return try list.split(separator: ",").map { try Cutoff(parsing: String($0)) }
    }
    guard let from = arguments.value("from"), let to = arguments.value("to") else {
      throw CLIError.missingOption(arguments.isGiven("from") ? "to" : "from")
    }
    return try Cutoff.series(
      from: Cutoff(parsing: from), to: Cutoff(parsing: to), every: Duration(parsing: arguments.value("every")!))
  }
}

/// What a features run produced, for people (text) and machines (JSON).
struct FeatureRunSummary: Encodable {
  struct PerCutoff: Encodable {
    let cutoff: String
    let rows: Int
    let churned: Int
    let retained: Int
    let censored: Int
  }
  let eventsRead: Int
  let features: Int
  let rows: Int
  let cutoffs: [PerCutoff]
  let horizonDays: Int
  let churnDefinition: String
  let churnEventHint: String?
  /// Event types and channels pooled or left without columns of their own.
  let vocabularyNotes: [String]
  /// Until when the data is taken to be complete, the last event, and the
  /// latest cutoff whose labels the data can decide.
  let observedUntil: String
  let lastEvent: String
  let latestLabelledCutoff: String
  let observation: String
  let errors: Int
  let warnings: Int
  /// `IssueLog.summaryLine`.
  let inputProblems: String?

  init(_ set: FeatureSet, issues: IssueLog, rowsRead: Int) {
    eventsRead = rowsRead
    features = set.featureNames.count
    rows = set.rows.count
    var groups: [String: (Int, Int, Int, Int)] = [:]
    var order: [String] = []
    for row in set.rows {
      let key = row.cutoff.description
      if groups[key] == nil { order.append(key) }
      var g = groups[key] ?? (0, 0, 0, 0)
      g.0 += 1
      switch row.label {
      case .churned: g.1 += 1
      case .retained: g.2 += 1
      case .censored: g.3 += 1
      }
      groups[key] = g
    }
    cutoffs = order.map { k in
      let g = groups[k]!
      return PerCutoff(cutoff: k, rows: g.0, churned: g.1, retained: g.2, censored: g.3)
    }
    horizonDays = set.horizon.days
    churnDefinition = set.churnDefinition.description
    observedUntil = formatISO8601(set.observedUntil.micros)
    lastEvent = formatISO8601(set.lastEvent.micros)
    latestLabelledCutoff = set.latestLabelledCutoff.description
    observation = set.observationText
    churnEventHint = set.churnEventHint
    vocabularyNotes = set.vocabularyNotes
    errors = issues.errorCount
    warnings = issues.warningCount
    inputProblems = issues.summaryLine
  }

  var text: String {
    var out =
      "\(rows) rows × \(features) features from \(eventsRead) events (horizon \(horizonDays)d, churn = \(churnDefinition))\n"
    for c in cutoffs {
      let rate = c.churned + c.retained > 0 ? Double(c.churned) / Double(c.churned + c.retained) : 0
      out += "  cutoff \(c.cutoff): \(c.rows) customers, \(c.churned) churned, \(c.retained) retained"
      out += String(format: " (churn rate %.3f)", rate)
      if c.censored > 0 { out += ", \(c.censored) not yet observable (label left empty)" }
      out += "\n"
    }
    out += "  \(observation)\n"
    if let churnEventHint { out += "  \(churnEventHint)\n" }
    for note in vocabularyNotes { out += "  \(note)\n" }
    if let inputProblems { out += "  \(inputProblems)\n" }
    return out
  }

  func json() throws -> String {
    try JSONOutput.text(self)
  }
}
