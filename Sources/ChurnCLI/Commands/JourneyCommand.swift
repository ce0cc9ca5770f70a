import ByteStreams
import ChurnKit
import Foundation

/// `churnkit journey`: the stage-transition model and the journey map.
enum JourneyCommand: Command {
  static let spec = CommandSpec(
    name: "journey",
    abstract: "Estimate how customers move between lifecycle stages.",
    discussion: """
      From the stage of each event: the daily transition matrix fitted by \
      maximum likelihood over the unseen days between events, with 95% \
      bootstrap intervals over customers (or, for longer --period, \
      Dirichlet-smoothed counts); the continuous-time generator and e^(Qt); \
      the absorbing chain (expected time to churn, churn within 30/90/365 \
      days, advocacy before churn); Kaplan–Meier retention by quarter of \
      first event; and pain points (stage removal effects, touchpoints that \
      were the last touch before churn). --out writes the journey map, one \
      self-contained HTML page; --json the whole model.
      """,
    options: [
      .init(name: "events", valueName: "file", help: "Event log with a stage column. Required."),
      .init(name: "churn-event", valueName: "name", help: "Event type that means the customer churned."),
      .init(name: "inactivity", valueName: "duration", help: "No event for this long counts as churn, e.g. 90d."),
      .init(name: "period", valueName: "duration", help: "Period of the discrete-time matrix.", defaultValue: "1d"),
      .init(name: "bootstrap", valueName: "n", help: "Bootstrap replicates over customers for the intervals of the daily matrix (0: none).", defaultValue: "100"),
      .init(name: "seed", valueName: "n", help: "Seed of the bootstrap draws.", defaultValue: "1"),
      .init(name: "out", valueName: "file", help: "Write the journey map, one self-contained HTML page (or - for standard output)."),
      .init(name: "title", valueName: "text", help: "Heading of the journey map.", defaultValue: "Customer journey"),
      .init(name: "json", valueName: "file", help: "Write the model as JSON (or - for standard output)."),
    ] + MappingOptions.options,
    examples: ["churnkit journey --events training-data/events.csv --churn-event cancel --out journey.html --json journey.json"])

  /// What --json writes: the model and e^(Qt) at the horizons.
  struct Document: Encodable {
    let model: StageTransitionModel
    /// e^(Q·t) for t in days, keyed by t.
    let continuousTimeTransition: [String: [[Double]]]
  }

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    guard let events = arguments.value("events") else { throw CLIError.missingValue(option: "events", valueName: "file") }
    var estimator = StageModelEstimator(
      churnEvent: arguments.value("churn-event"), inactivityDays: try arguments.value("inactivity").map { try Duration(parsing: $0).days })
    estimator.periodDays = try Duration(parsing: arguments.value("period") ?? "1d").days
    estimator.bootstrapReplicates = try arguments.integer("bootstrap", default: 100, in: 0...10_000)
    estimator.seed = UInt64(try arguments.integer("seed", default: 1, in: 0...Int.max))
    var issues = IssueLog(limit: 20)
    var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
    let model = try estimator.estimate(from: &reader, issues: &issues)
    var expm: [String: [[Double]]] = [:]
    for t in [1, 30, 90, 365] { expm[String(t)] = try model.continuousTimeTransition(days: Double(t)) }
    let toStdout = arguments.value("out") == "-" || arguments.value("json") == "-"
    if toStdout { console.err(render(model)) } else { console.out(render(model)) }
    if let path = arguments.value("out") {
      let title = arguments.value("title") ?? "Customer journey"
      try TextOutput.write(JourneyReport(model: model, title: title).html(), to: path, console: console)
    }
    if let path = arguments.value("json") {
      try TextOutput.write(try JSONOutput.text(Document(model: model, continuousTimeTransition: expm)), to: path, console: console)
    }
    return ExitStatus.success
  }


  static func render(_ m: StageTransitionModel) -> String {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    var out = "Stage model from \(m.customers) customers (period \(m.periodDays)d)\n\n"
    out += pad("from \\ to", 15) + m.stages.map { pad(String($0.prefix(10)), 11) }.joined() + "\n"
    for (i, row) in m.transitionMatrix.enumerated() {
      out += pad(m.stages[i], 15) + row.map { pad(String(format: "%.4f", $0), 11) }.joined() + "\n"
    }
    out += "\n" + pad("stage", 15) + "periods to churn  churn ≤30  churn ≤90  churn ≤365  advocacy first\n"
    let a = m.absorption
    for (i, name) in a.transientStages.enumerated() {
      var line = pad(name, 15) + pad(String(format: "%.1f", a.expectedPeriodsToChurn[i]), 17)
      for h in a.churnWithin.keys.sorted() { line += pad(String(format: "%.4f", a.churnWithin[h]![i]), 11) }
      if let adv = a.advocacyBeforeChurn { line += String(format: "%.4f", adv[i]) }
      out += line + "\n"
    }
    return out
  }
}
