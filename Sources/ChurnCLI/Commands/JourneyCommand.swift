import ChurnArtifacts
import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels
import ChurnSimulation
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
      self-contained HTML page; --model-out the whole model as JSON, which \
      --json prints on standard output instead. Without a stage \
      column, stages come from event types (--stage-map; the default \
      mapping fits `churnkit generate`'s events, see docs/journey.md). \
      --segment fits one chain per value of a customers-table column and \
      tests whether they differ.
      """,
    options: [
      .init(
        name: "events", valueName: "file", help: "Event log (with a stage column, or see --stage-map).",
        isRequired: true),
      .init(name: "customers", valueName: "file", help: "Customers table, for --segment."),
      .init(
        name: "segment", valueName: "column",
        help: "Fit one chain per value of this customers-table column and compare them."),
      .init(
        name: "stage-map", valueName: "file",
        help: "Stages from event types: a JSON mapping, or 'default' (used when the log has no stage column)."),
      .init(
        name: "stages", valueName: "list",
        help:
          "Stage list in order, ending with churned (default: awareness, consideration, purchase, onboarding, retention, advocacy, churned)."
      ),
      .init(
        name: "churn-definition", valueName: "definition",
        help:
          "event:NAME (the event type that means the customer churned) or inactivity (with --inactivity), as for features and train."
      ),
      .init(
        name: "inactivity", valueName: "duration",
        help:
          "No event for this long counts as churn, e.g. 90d: alone, or beside --churn-definition event:NAME (whichever comes first)."
      ),
      .init(name: "period", valueName: "duration", help: "Period of the discrete-time matrix.", defaultValue: "1d"),
      .init(
        name: "bootstrap", valueName: "n",
        help: "Bootstrap replicates over customers for the intervals of the daily matrix (0: none).",
        defaultValue: "100"),
      .init(name: "seed", valueName: "n", help: "Seed of the bootstrap draws.", defaultValue: "1"),
      .init(
        name: "out", valueName: "file",
        help: "Write the journey map, one self-contained HTML page (or - for standard output)."),
      .init(name: "title", valueName: "text", help: "Heading of the journey map.", defaultValue: "Customer journey"),
      .init(name: "model-out", valueName: "file", help: "Write the model as JSON (or - for standard output)."),
      .init(
        name: "actions", valueName: "file",
        help: "An action catalog (as train --actions takes): name under each pain point the actions its stage allows."),
      .init(
        name: "touchpoints", valueName: nil,
        help:
          "Also draw the transitions between event types within sessions, what changed in them and the funnels below (as churnkit touchpoints; reads the log again)."
      ),
      .init(
        name: "json", valueName: nil,
        help: "Print the model as JSON on standard output (the summary table goes to standard error)."),
      ObservationOption.journeyOption,
    ] + TouchpointsCommand.sessionOptions + TouchpointsCommand.funnelOptions + MappingOptions.options,
    renamedOptions: ["churn-event": "--churn-definition event:NAME"],
    examples: [
      "churnkit journey --events training-data/events.csv --churn-definition event:cancel --out journey.html --model-out journey.json",
      "churnkit journey --events training-data/events.csv --customers training-data/customers.csv --segment plan --churn-definition event:cancel --out journey.html",
      "churnkit journey --events training-data/events.csv --churn-definition event:cancel --touchpoints --session-gap 1d --funnel visit,purchase --out journey.html",
    ])

  /// What --json writes: the model and e^(Qt) at the horizons.
  struct Document: Encodable {
    let model: StageTransitionModel
    /// e^(Q·t) for t in days, keyed by t.
    let continuousTimeTransition: [String: [[Double]]]
    /// With --segment: one chain per segment and the homogeneity test.
    let segments: StageSegmentComparison?
    /// How the stages were inferred, when the log has no stage column.
    let stageNote: String?
    /// Why the flow and the matrix seem to disagree, when they do.
    let flowNote: String?
    /// With --touchpoints: the transitions between event types, and what
    /// changed in their shares (by --segment too, when given).
    let touchpoints: TouchpointGraph?
    let touchpointChanges: ShareChanges?
    let funnels: [Funnel]
  }

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let events = arguments.value("events")!
    let toStdout = try standardOutputUser(arguments) != nil
    var estimator = try configuredEstimator(arguments)
    var issues = IssueLog(limit: 20)
    var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
    var stageNote: String?
    if let map = arguments.value("stage-map") {
      estimator.stageMapping = try StageMapping.load(path: map)
    } else if reader.columns.stage == nil {
      estimator.stageMapping = .default
      stageNote =
        "This log has no stage column: the stages were inferred from event types by ChurnKit's default mapping (docs/journey.md; give your own with --stage-map), and stages that no event maps to are left out."
      console.err(
        "journey: \(events) has no stage column; stages come from event types by the default mapping (see --stage-map)\n"
      )
    }
    let phases = ProgressLine("journey", console: console)
    phases.phaseCallback?(
      "journey: reading events, fitting the chain"
        + (estimator.bootstrapReplicates > 0 ? " and \(estimator.bootstrapReplicates) bootstrap resamples" : ""))
    defer { phases.finish() }
    let (model, comparison) = try fit(estimator, reader: &reader, issues: &issues, arguments)
    let (touchpoints, touchpointChanges, funnels) = try touchpointGraph(arguments, schema: reader.schema)
    let summary = render(model) + (comparison.map(render) ?? "")
    if toStdout { console.err(summary) } else { console.report(summary) }
    // Every file or none: a bad --model-out leaves the old --out as it was.
    let outputs = PendingOutputs(console: console)
    if let path = arguments.value("out") {
      var report = JourneyReport(model: model, title: arguments.value("title")!, segments: comparison)
      report.stageNote = stageNote
      report.touchpoints = touchpoints
      report.touchpointChanges = touchpointChanges
      report.funnels = funnels
      if let path = arguments.value("actions") {
        report.actionsByStage = try actionsByStage(path, stages: model.stages)
      }
      try outputs.add(report.html(), to: path)
    }
    let modelPaths = [arguments.value("model-out"), arguments.flag("json") ? "-" : nil].compactMap { $0 }
    if !modelPaths.isEmpty {
      var expm: [String: [[Double]]] = [:]
      for t in [1, 30, 90, 365] { expm[String(t)] = try model.continuousTimeTransition(days: Double(t)) }
      let document = Document(
        model: model, continuousTimeTransition: expm, segments: comparison, stageNote: stageNote,
        flowNote: JourneyReport(model: model).flowDisagreement(), touchpoints: touchpoints,
        touchpointChanges: touchpointChanges, funnels: funnels)
      let text = try JSONOutput.text(document)
      for path in modelPaths { try outputs.add(text, to: path) }
    }
    try outputs.commit()
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// With --touchpoints: the log read again into sessions, its graph, and
  /// what changed in its transitions (within --segment's values too).
  private static func touchpointGraph(
    _ arguments: ParsedArguments, schema: EventSchema
  ) throws -> (TouchpointGraph?, ShareChanges?, [Funnel]) {
    guard arguments.flag("touchpoints") else {
      for name in ["session-gap", "session-column", "funnel", "funnels", "funnel-window", "funnel-period"]
      where arguments.isGiven(name) {
        throw CLIError.invalidValue(
          option: name, value: arguments.value(name)!, reason: "it only applies with --touchpoints")
      }
      return (nil, nil, [])
    }
    let path = arguments.value("events")!
    guard path != "-" else {
      throw CLIError.invalidValue(
        option: "touchpoints", value: "", reason: "it reads the event log again: give the log as a file, not -")
    }
    let gap = try TouchpointsCommand.sessionGap(arguments.value("session-gap")!)
    var reader = try EventLogReader(path: path, schema: schema)
    var ignored = IssueLog(limit: 0)  // the first pass reported the rows
    let log = try SessionLog(
      reader: &reader, issues: &ignored, sessionGapSeconds: gap,
      sessionColumn: try TouchpointsCommand.sessionColumn(arguments, schema: schema))
    let segments = try arguments.value("segment").map {
      try TouchpointsCommand.segments(
        column: $0, option: "segment", arguments, log: log, schema: schema, issues: &ignored)
    }
    let funnels = try TouchpointsCommand.funnels(arguments, log: log, segments: segments)
    var scan = ShareChangeScan()
    scan.revenue = CustomerRevenue(log)
    let series = try ShareSeries.all(of: log, funnels: funnels)
    return (TouchpointGraph(log), scan.scan(series, segments: segments), funnels)
  }

  /// The estimator the options describe (the stage source aside).
  private static func configuredEstimator(_ arguments: ParsedArguments) throws -> StageModelEstimator {
    var estimator = try churnDefinition(arguments)
    estimator.periodDays = try Duration(parsing: arguments.value("period")!).days
    estimator.omitsUnobservedStages = true
    estimator.observedUntil = try ObservationOption.value(arguments)
    estimator.bootstrapReplicates = try arguments.integer("bootstrap", in: 0...10_000)
    estimator.seed = UInt64(try arguments.integer("seed", in: 0...Int.max))
    if let list = arguments.value("stages") {
      estimator.stages = list.split(separator: ",").map { String($0).trimmingCharacters(in: .whitespaces) }
    }
    return estimator
  }

  /// The chain of all customers and, with --segment, one per segment.
  private static func fit(
    _ estimator: StageModelEstimator, reader: inout EventLogReader, issues: inout IssueLog,
    _ arguments: ParsedArguments
  ) throws -> (StageTransitionModel, StageSegmentComparison?) {
    guard let column = arguments.value("segment") else {
      return (try estimator.estimate(from: &reader, issues: &issues), nil)
    }
    guard let path = arguments.value("customers") else {
      throw CLIError.invalidValue(
        option: "segment", value: column, reason: "segments come from the customers table: add --customers FILE")
    }
    let table = try CustomerTable(path: path, idColumn: reader.schema.customerID, issues: &issues)
    guard let a = table.attributeNames.firstIndex(of: column) else {
      throw CLIError.invalidValue(
        option: "segment", value: column,
        reason: "\(path) has no such column (columns: \(table.attributeNames.joined(separator: ", ")))")
    }
    let fitted = try estimator.estimateBySegment(from: &reader, issues: &issues) { id in
      table.indexByID[id].map { table.values[a][$0] }
    }
    return (fitted.all, StageSegmentComparison(column: column, pooled: fitted.all, segments: fitted.segments))
  }

  /// The estimator's churn: an event, inactivity for a duration, or both.
  static func churnDefinition(_ arguments: ParsedArguments) throws -> StageModelEstimator {
    let inactivity = try arguments.value("inactivity").map { try Duration(parsing: $0).days }
    guard let text = arguments.value("churn-definition") else {
      return StageModelEstimator(inactivityDays: inactivity)
    }
    switch try ChurnDefinition(parsing: text) {
    case .event(let name):
      return StageModelEstimator(churnEvent: name, inactivityDays: inactivity)
    case .inactivity:
      guard inactivity != nil else {
        throw CLIError.invalidValue(
          option: "churn-definition", value: text,
          reason: "say how long a silence counts as churn with --inactivity DURATION, e.g. --inactivity 90d")
      }
      return StageModelEstimator(inactivityDays: inactivity)
    }
  }

  /// Which output goes to standard output, if any: only one may.
  static func standardOutputUser(_ arguments: ParsedArguments) throws(CLIError) -> String? {
    var users: [String] = []
    if arguments.value("out") == "-" { users.append("out") }
    if arguments.value("model-out") == "-" { users.append("model-out") }
    if arguments.flag("json") { users.append("json") }
    if users.count > 1 { throw .sharedStandardOutput(users[0], users[1]) }
    return users.first
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
      let periods = a.expectedPeriodsToChurn[i].map { String(format: "%.1f", $0) } ?? "never certain"
      var line = pad(name, 15) + pad(periods, 17)
      for h in a.churnWithin.keys.sorted() { line += pad(String(format: "%.4f", a.churnWithin[h]![i]), 11) }
      if let adv = a.advocacyBeforeChurn { line += String(format: "%.4f", adv[i]) }
      out += line + "\n"
    }
    return out
  }

  static func render(_ c: StageSegmentComparison) -> String {
    func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
    guard let first = c.segments.first else { return "" }
    let horizon = first.model.absorption.churnWithin.keys.max() ?? 1
    let stages = first.model.absorption.transientStages
    var out = "\nChurn within \(horizon * first.model.periodDays) days by \(c.column)\n"
    out += pad(c.column, 15) + pad("customers", 11) + stages.map { pad(String($0.prefix(10)), 11) }.joined() + "\n"
    for s in c.segments {
      out += pad(s.name, 15) + pad(String(s.customers), 11)
      out += (s.model.absorption.churnWithin[horizon] ?? []).map { pad(String(format: "%.4f", $0), 11) }.joined() + "\n"
    }
    if let t = c.homogeneity {
      out += String(
        format: "Homogeneity (one chain vs one per segment): LR %.1f on %d df, p = %.3g\n", t.statistic,
        t.degreesOfFreedom, t.pValue)
    }
    return out
  }

  /// The catalog's action ids under each stage they may be given in.
  static func actionsByStage(_ path: String, stages: [String]) throws -> [String: [String]] {
    let catalog = try ActionCatalog.load(path: path)
    var byStage: [String: [String]] = [:]
    for stage in stages {
      byStage[stage] = catalog.actions.filter { $0.eligibleStages.isEmpty || $0.eligibleStages.contains(stage) }.map(
        \.id)
    }
    return byStage
  }
}
