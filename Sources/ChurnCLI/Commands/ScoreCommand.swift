import ByteStreams
import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnSimulation
import Foundation

/// `churnkit score`: churn probabilities, risk bands and reasons.
enum ScoreCommand: Command {
  static let spec = CommandSpec(
    name: "score",
    abstract: "Score every eligible customer with a saved model.",
    discussion: """
      Builds the model's features from the events at the as-of time (which \
      may be after the last event) and writes one row per eligible customer: \
      churn probability, risk band (deciles of the training scores; 10 is \
      the riskiest), the three features that raise the risk most against the \
      training mean (with a plain-language sentence) and the current stage. \
      The file appears only when complete. The run summary (score \
      distribution, drift of the score and of every feature by population \
      stability index, unseen categories and imputed values) goes to \
      standard error, or as JSON to standard output with --json.
      """,
    options: [
      .init(name: "model", valueName: "file", help: "A model saved by churnkit train.", isRequired: true),
      .init(
        name: "events", valueName: "file",
        help:
          "Event log: a CSV file, - for standard input, or a table: sqlite:PATH?table=NAME, postgres://…?table=NAME."),
      .init(
        name: "features", valueName: "file",
        help: "Or: a feature file (as churnkit features writes), scored as it streams."),
      .init(
        name: "customers", valueName: "file",
        help: "Customers table (when the model uses it): a CSV file, sqlite:PATH?table=NAME or postgres://…?table=NAME."
      ),
      .init(
        name: "as-of", valueName: "date",
        help: "Score as of this date (end of day, UTC) or date-time. Required with --events."),
      .init(
        name: "out", valueName: "file",
        help:
          "Output file, - for standard output, or a database table as sqlite:PATH?table=NAME or postgres://…?table=NAME (created, or appended to in one transaction).",
        isRequired: true),
      .init(name: "format", valueName: "format", help: "csv or jsonl.", defaultValue: "csv"),
      .init(name: "json", valueName: nil, help: "Print the run summary as JSON on standard output (with --out FILE)."),
      InterventionsOption.option,
      IgnoreColumnsOption.option,
      .init(
        name: "no-formula-escape", valueName: nil,
        help:
          "Write text fields as they are. By default a CSV text field that starts with =, +, -, @, tab or CR gets a leading ' so that a spreadsheet shows it instead of running it as a formula."
      ),
      .init(
        name: "survival-model", valueName: "file",
        help:
          "Also add a saved survival model's figures (churnkit survival): churn within each --within horizon and the expected active days."
      ),
      .init(
        name: "within", valueName: "list", help: "With --survival-model: horizons, e.g. 30d,90d.",
        defaultDescription: "the survival model's horizon"),
    ] + MappingOptions.options,
    exclusiveGroups: [["events", "features"], ["features", "survival-model"]],
    examples: [
      "churnkit score --model models/churn-model.json --events training-data/events.csv --customers training-data/customers.csv --as-of 2025-12-30 --out scores.csv"
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let modelPath = arguments.value("model")!
    let out = arguments.value("out")!
    if out == "-" && arguments.flag("json") {
      throw CLIError.invalidValue(
        option: "json", value: "", reason: "the scores go to standard output; write them to a file with --out FILE")
    }
    let format = try arguments.choice("format") as ScoreFormat
    try ScoreDestination.check(out, format: format)
    let model = try ChurnModel.load(path: modelPath)
    if let features = arguments.value("features") {
      return try scoreFeatureFile(features, model: model, format: format, out: out, arguments, console)
    }
    guard let events = arguments.value("events") else { throw CLIError.missingOneOf(["events", "features"]) }
    guard let asOf = arguments.value("as-of") else { throw CLIError.missingOption("as-of") }
    let (run, _, issues) = try scoreEvents(events, asOf: asOf, model: model, arguments, console)
    let extra = try survivalColumns(events: events, asOf: asOf, arguments, console)
    let tally: ScoreTally
    if out == "-" {
      let neutralising = !arguments.flag("no-formula-escape")
      tally = run.write(format: format, neutralisingFormulas: neutralising, extra: extra) {
        console.out(String(decoding: $0, as: UTF8.self))
      }
    } else {
      let writer = try ScoreDestination(out, format: format)
      let neutralising = !arguments.flag("no-formula-escape") && !writer.isTable
      tally = try run.write(format: format, neutralisingFormulas: neutralising, extra: extra) {
        (bytes: [UInt8]) throws(ByteStreamError) in try writer.write(bytes)
      }
      try writer.commit()
    }
    let summary = ScoreSummary(tally, asOf: run.asOf.description, staticCounts: run.features.staticInputCounts())
    if let line = issues.summaryLine { console.err("  " + line + "\n") }
    return try finish(summary, arguments, console)
  }

  /// `--survival-model`: its figures for every customer at the as-of date,
  /// from a second read of the events (so not from standard input).
  static func survivalColumns(
    events: String, asOf: String, _ arguments: ParsedArguments, _ console: Console
  ) throws -> ExtraScoreColumns? {
    guard let path = arguments.value("survival-model") else {
      if arguments.isGiven("within") { throw CLIError.missingOption("survival-model") }
      return nil
    }
    guard events != "-" else {
      throw CLIError.invalidValue(
        option: "survival-model", value: path,
        reason: "it reads the events a second time: give them as a file, not standard input")
    }
    var issues = IssueLog(limit: 0)  // the scoring pass reported them
    let predictions = try SurvivalCommand.predictions(
      try SurvivalModel.load(path: path), events: events, cutoff: asOf, arguments, issues: &issues, console: console)
    return predictions.scoreColumns
  }

  /// Reads the events (and customers table) and scores every eligible
  /// customer at `asOf`, with progress on a terminal.
  static func scoreEvents(
    _ events: String, asOf: String, model: ChurnModel, _ arguments: ParsedArguments, _ console: Console
  ) throws -> (run: ChurnScorer.Run, customers: CustomerTable?, issues: IssueLog) {
    var issues = IssueLog(limit: 20)
    let source = try InterventionsOption.events(events, arguments)
    defer { source.merged?.remove() }
    var reader = try EventLogReader(path: source.path, schema: try MappingOptions.schema(from: arguments))
    let table = try arguments.value("customers").map {
      try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
    }
    let progress = ProgressLine("reading events", console: console)
    let run = try ChurnScorer(model: model).score(
      events: &reader, customers: table, asOf: try Cutoff(parsing: asOf), issues: &issues, progress: progress.callback)
    progress.finish()
    return (run, table, issues)
  }

  private static func scoreFeatureFile(
    _ path: String, model: ChurnModel, format: ScoreFormat, out: String, _ arguments: ParsedArguments,
    _ console: Console
  ) throws -> Int32 {
    var scorer = FeatureFileScorer(model: model)
    scorer.ignoredColumns = IgnoreColumnsOption.value(arguments)
    scorer.neutralisesFormulas = !arguments.flag("no-formula-escape")
    let asOf = arguments.value("as-of") ?? "(from the file)"
    if out == "-" {
      let tally = try scorer.score(path: path, format: format) { console.out(String(decoding: $0, as: UTF8.self)) }
      return try finish(ScoreSummary(tally, asOf: asOf), arguments, console)
    }
    let writer = try ScoreDestination(out, format: format)
    if writer.isTable { scorer.neutralisesFormulas = false }
    let tally = try scorer.score(path: path, format: format) { try writer.write($0) }
    return try finish(ScoreSummary(tally, asOf: asOf, beside: { try writer.commit() }), arguments, console)
  }

  private static func finish(_ summary: ScoreSummary, _ arguments: ParsedArguments, _ console: Console) throws -> Int32
  {
    console.err(summary.renderText())
    if arguments.flag("json") {
      console.out(try JSONOutput.text(summary))
    }
    return ExitStatus.success
  }
}

/// Where `score` writes: a file (a temporary file renamed into place) or a
/// database table (`sqlite:PATH?table=NAME`, `postgres://…?table=NAME`:
/// one transaction, all rows or none; no formula escaping, which is for
/// spreadsheets).
struct ScoreDestination {
  private let file: AtomicFileWriter?
  private let table: (any TableWriter)?

  init(_ out: String, format: ScoreFormat) throws {
    try Self.check(out, format: format)
    self.table =
      if let location = try SQLiteLocation(out) {
        SQLiteTableWriter(location, shownAs: out)
      } else if let location = try PostgresLocation(out) {
        PostgresTableWriter(location)
      } else { nil }
    file = table == nil ? try AtomicFileWriter(path: out) : nil
  }

  var isTable: Bool { table != nil }

  /// Before any work: a table location is well formed and takes CSV.
  static func check(_ out: String, format: ScoreFormat) throws {
    let isTable = try SQLiteLocation(out) != nil || PostgresLocation(out) != nil
    if isTable && format != .csv {
      throw CLIError.invalidValue(
        option: "format", value: format.rawValue, reason: "a database table takes the CSV columns: drop --format")
    }
  }

  func write(_ bytes: [UInt8]) throws(ByteStreamError) {
    if let file { try file.write(bytes) } else { table!.write(bytes) }
  }

  func commit() throws(ByteStreamError) {
    if let file { try file.commit() } else { try table!.commit() }
  }
}
