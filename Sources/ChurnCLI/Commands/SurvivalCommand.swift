import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// `churnkit survival`: when customers will leave — Cox's proportional
/// hazards on the features at a cutoff and each customer's days to churn
/// after it, or on a table the user brings.
enum SurvivalCommand: Command {
  static let spec = CommandSpec(
    name: "survival",
    abstract: "Fit a time-to-churn model (Cox); report hazard ratios and concordance.",
    discussion: """
      From an event log (--events, --cutoff, --horizon): builds the features \
      at the cutoff, as train does, and follows each customer from the \
      cutoff to churn or to the end of the data (censored). With \
      --churn-definition event:NAME churn is the first such event; with \
      inactivity it is the first silence longer than the horizon, dated the \
      day the silence reaches it. From a table (--features FILE \
      --duration-column D --churned-column C): one row per customer, the \
      duration, a 0/1 churn flag and numeric covariates. Fits Cox's model \
      (Efron ties, Newton with Cholesky solves on LAPACK) and prints the \
      coefficients with classical and robust (sandwich) standard errors, \
      hazard ratios, the likelihood-ratio test and Harrell's concordance, \
      also on held-out customers (--holdout). Constant and aliased \
      features are set aside and listed. docs/survival.md explains each \
      figure. With --model SAVED --events E --cutoff T --predict-out FILE it \
      predicts instead: per customer at the cutoff the partial hazard, the \
      probability of churning within each --within horizon and the expected \
      active days within the span the model saw.
      """,
    options: [
      .init(name: "events", valueName: "file", help: "Event log (a file: it is read twice)."),
      .init(name: "customers", valueName: "file", help: "Customers table for static attributes."),
      .init(name: "cutoff", valueName: "date", help: "Where the features end and the follow-up starts."),
      .init(name: "horizon", valueName: "duration", help: "Silence that counts as churn, or the label horizon."),
      .init(
        name: "churn-definition", valueName: "definition", help: "event:NAME or inactivity.", defaultValue: "inactivity"
      ),
      .init(name: "spec", valueName: "file", help: "Feature spec as JSON."),
      .init(name: "features", valueName: "file", help: "Or: a table with a duration and a churn column."),
      .init(
        name: "duration-column", valueName: "column", help: "Days followed (with --features).",
        defaultValue: "duration"),
      .init(
        name: "churned-column", valueName: "column",
        help: "1 when the follow-up ended in churn, 0 when censored (with --features).",
        defaultValue: "churned"),
      .init(
        name: "exclude", valueName: "columns", help: "Key columns that are not covariates (with --features).",
        defaultValue: "customer_id,cutoff,set"),
      .init(name: "holdout", valueName: "fraction", help: "Share of customers held out (split by customer id)."),
      .init(name: "seed", valueName: "s", help: "Seed of the holdout split.", defaultValue: "42"),
      .init(
        name: "by", valueName: "covariate",
        help:
          "Kaplan–Meier and Nelson–Aalen curves per value of this covariate (quartile groups past 20 values), or per category of a one-hot column such as plan or stage, with the log-rank test."
      ),
      .init(
        name: "report", valueName: "file",
        help: "Also write the survival report page: Kaplan–Meier curves by group and three Cox profiles."),
      .init(
        name: "curves-out", valueName: "file",
        help: "Write the curves: group, day, at risk, churned, survival and cumulative hazard with intervals."),
      .init(name: "robust", valueName: nil, help: "z, p and intervals from the robust standard errors."),
      .init(
        name: "l2", valueName: "lambda",
        help: "Ridge penalty (λ/2)‖β‖² on the standardised coefficients (lifelines' penalizer is λ / rows).",
        defaultValue: "0"),
      .init(name: "max-iterations", valueName: "n", help: "Newton iteration limit.", defaultValue: "100"),
      .init(name: "out", valueName: "file", help: "Where to save the model (JSON), or - for standard output."),
      .init(
        name: "table-out", valueName: "file",
        help: "Write the fitted table: customer_id, duration, churned and the features."),
      .init(name: "json", valueName: nil, help: "Print the model as JSON on standard output."),
      .init(name: "model", valueName: "file", help: "Or: predict with a model saved by churnkit survival --out."),
      .init(name: "predict-out", valueName: "file", help: "Per-customer predictions (with --model), or -."),
      .init(
        name: "within", valueName: "durations", help: "Horizons of churn_within_{h}d (with --model), e.g. 30d,90d.",
        defaultDescription: "the model's horizon"),
      ObservationOption.option,
      ActiveWithinOption.option,
    ] + MappingOptions.options,
    exclusiveGroups: [["events", "features"], ["model", "features"], ["model", "out"], ["model", "holdout"]],
    examples: [
      "churnkit survival --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-03-31 --horizon 90d --churn-definition event:cancel --holdout 0.3 --out survival.json",
      "churnkit survival --model survival.json --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-09-30 --within 30d,90d --predict-out survival-scores.csv",
      "churnkit survival --features rossi.csv --duration-column week --churned-column arrest --out -",
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    if let path = arguments.value("model") { return try predict(with: path, arguments, console: console) }
    var fitter = SurvivalFitter()
    fitter.estimator.robustInference = arguments.flag("robust")
    fitter.estimator.maxIterations = try arguments.integer("max-iterations", in: 1...10_000)
    fitter.estimator.l2 = try arguments.nonNegativeNumber("l2")!
    let seed = try HoldoutOption.seed(arguments)
    if let fraction = try HoldoutOption.fraction(arguments) { fitter.holdout = (fraction, seed) }
    if arguments.flag("json") && arguments.value("out") == "-" { throw CLIError.sharedStandardOutput("out", "json") }
    var issues = IssueLog(limit: 20)
    let fitted: Fitted
    if let events = arguments.value("events") {
      fitted = try fromEvents(events, arguments, fitter: fitter, issues: &issues, console: console)
    } else if let path = arguments.value("features") {
      fitted = try fromTable(path, arguments, fitter: fitter)
    } else {
      throw CLIError.missingOneOf(["events", "features"])
    }
    var model = fitted.model
    (model.curves, model.logRank) = try SurvivalFitter.curves(of: fitted.table, by: arguments.value("by"))
    model.groupedBy = arguments.value("by")
    let outputs = PendingOutputs(console: console)
    if let out = arguments.value("out") { try outputs.add(try model.fileBytes(), to: out) }
    if let path = arguments.value("table-out") {
      let held = fitter.holdout == nil ? nil : Set(fitter.split(fitted.ids).holdout)
      try outputs.add(to: path) { try fitted.writeTable($0, heldOut: held) }
    }
    if let path = arguments.value("curves-out") { try outputs.add(curvesCSV(model.curves), to: path) }
    if let page = arguments.value("report") {
      try outputs.add(SurvivalReport(model: model, table: fitted.table).html(), to: page)
    }
    if arguments.flag("json") { try outputs.add(try model.fileBytes(), to: "-") }
    try outputs.commit()
    let text = summary(model)
    let dataOnStandardOutput =
      arguments.flag("json")
      || ["out", "table-out", "curves-out"].contains { arguments.value($0) == "-" }
    if dataOnStandardOutput { console.err(text) } else { console.report(text) }
    for note in fitted.notes { console.err(note + "\n") }
    if let line = issues.summaryLine { console.err(line + "\n") }
    if !model.fit.converged {
      console.err("warning: Newton's method did not converge in \(model.fit.iterations) iterations\n")
    }
    return ExitStatus.success
  }

  /// A saved survival model's figures for every customer of `events` at
  /// `cutoff`, over the horizons of `--within` (default: the model's); a
  /// horizon past what the model saw is refused.
  static func predictions(
    _ model: SurvivalModel, events: String, cutoff cutoffText: String, _ arguments: ParsedArguments,
    issues: inout IssueLog, console: Console
  ) throws -> SurvivalPredictions {
    guard let spec = model.featureSpec, let definition = model.training.churnDefinition,
      let horizonDays = model.training.horizonDays
    else {
      throw ModelUseError.trainedOnFeatureTable(events: model.training.source, use: "predict from an event log")
    }
    let within =
      try arguments.value("within").map {
        try $0.split(separator: ",").map { try Duration(parsing: String($0)).days }
      } ?? [horizonDays]
    let span = model.fit.longestFollowUp.rounded(.down)
    if let beyond = within.first(where: { Double($0) > span }) {
      throw CLIError.invalidValue(
        option: "within", value: "\(beyond)d",
        reason: "the model saw customers followed for \(CSVFormatting.number(span)) days at most; it cannot say beyond")
    }
    var extractor = FeatureExtractor(
      spec: spec, cutoffs: [try Cutoff(parsing: cutoffText)], horizon: try Duration(parsing: "\(horizonDays)d"),
      churnDefinition: try ChurnDefinition(parsing: definition))
    extractor.useFeatureModels()
    extractor.requiresKnownNames = false
    extractor.allowsCutoffAfterData = true
    let progress = ProgressLine("reading events for the survival model", console: console)
    extractor.progress = progress.callback
    var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
    let customers = try arguments.value("customers").map {
      try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
    }
    let set = try extractor.extract(from: &reader, customers: customers, issues: &issues)
    progress.finish()
    return try SurvivalPredictions(model: model, set: set, withinDays: within)
  }

  /// A fitted model with the table behind it.
  struct Fitted {
    let model: SurvivalModel
    let table: SurvivalTable
    let ids: [String]
    let notes: [String]

    /// With a holdout, a `set` column says which rows were held out.
    func writeTable(_ write: ([UInt8]) throws -> Void, heldOut: Set<Int>?) throws {
      var header = ["customer_id"] + (heldOut == nil ? [] : ["set"]) + ["duration", "churned"] + table.names
      header = header.map { CSVFormatting.escape($0) }
      try write(Array((header.joined(separator: ",") + "\n").utf8))
      var text = ""
      for i in 0..<table.rows {
        text += CSVFormatting.escape(ids[i]) + ","
        if let heldOut { text += heldOut.contains(i) ? "holdout," : "training," }
        text += CSVFormatting.number(table.durations[i])
        text += table.churned[i] ? ",1" : ",0"
        for j in 0..<table.names.count { text += "," + CSVFormatting.number(table.covariates[i, j]) }
        text += "\n"
        if text.utf8.count > 1 << 20 {
          try write(Array(text.utf8))
          text = ""
        }
      }
      try write(Array(text.utf8))
    }
  }

  private static func fromEvents(
    _ events: String, _ arguments: ParsedArguments, fitter: SurvivalFitter, issues: inout IssueLog, console: Console
  ) throws -> Fitted {
    guard arguments.value("cutoff") != nil else { throw CLIError.missingOption("cutoff") }
    guard events != "-" else {
      throw FeatureError.missingInput("survival reads the event log twice: give it as a file, not standard input")
    }
    var extractor = try ExtractorOptions.extractor(arguments)
    let progress = ProgressLine("reading events", console: console)
    extractor.progress = progress.callback
    var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
    let customers = try arguments.value("customers").map {
      try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
    }
    var trainer = SurvivalTrainer(extractor: extractor)
    trainer.fitter = fitter
    let outcome = try trainer.train(from: &reader, customers: customers, issues: &issues)
    progress.finish()
    var notes = outcome.vocabularyNotes
    if outcome.model.training.skippedRows > 0 {
      notes.append(
        "\(outcome.model.training.skippedRows) customers in the sample had already been silent for the horizon at the cutoff: not followed"
      )
    }
    return Fitted(model: outcome.model, table: outcome.table, ids: outcome.customerIDs, notes: notes)
  }

  private static func fromTable(_ path: String, _ arguments: ParsedArguments, fitter: SurvivalFitter) throws -> Fitted {
    let durationColumn = arguments.value("duration-column")!
    let exclude = arguments.value("exclude")!.split(separator: ",").map(String.init)
    let data = try LabelledFeatures(path: path, label: arguments.value("churned-column")!, exclude: exclude)
    guard let d = data.featureNames.firstIndex(of: durationColumn) else {
      throw IngestError.missingColumn(
        path: path, role: "duration", expected: durationColumn, available: data.featureNames)
    }
    guard data.unlabelledRows == 0 else { throw try emptyFlag(in: path, column: arguments.value("churned-column")!) }
    let durations = data.x.column(d)
    if let bad = durations.firstIndex(where: { !($0 >= 0 && $0.isFinite) }) {
      throw IngestError.badField(
        path: path, line: bad + 2, column: nil,
        problem: "duration '\(durations[bad])' is not a number ≥ 0")
    }
    let covariates = data.featureNames.indices.filter { $0 != d }
    let table = SurvivalTable(
      names: covariates.map { data.featureNames[$0] }, durations: durations, churned: data.y.map { $0 == 1 },
      covariates: data.x.selectingColumns(covariates))
    let ids = data.keys ?? table.durations.indices.map { String($0 + 1) }
    var training = SurvivalModel.Training(source: path, rows: 0, churns: 0, skippedRows: 0)
    let fit = try fitter.fit(table, ids: ids, recording: &training)
    return Fitted(
      model: SurvivalModel(featureSpec: nil, fit: fit, training: training), table: table, ids: ids, notes: [])
  }

  /// `--model`: the saved model's figures for every customer at the cutoff.
  private static func predict(with path: String, _ arguments: ParsedArguments, console: Console) throws -> Int32 {
    guard let events = arguments.value("events") else { throw CLIError.missingOption("events") }
    guard let cutoffText = arguments.value("cutoff") else { throw CLIError.missingOption("cutoff") }
    guard let out = arguments.value("predict-out") else { throw CLIError.missingOption("predict-out") }
    let model = try SurvivalModel.load(path: path)
    var issues = IssueLog(limit: 20)
    let predictions = try predictions(
      model, events: events, cutoff: cutoffText, arguments, issues: &issues, console: console)
    let outputs = PendingOutputs(console: console)
    try outputs.add(predictions.csvText(), to: out)
    try outputs.commit()
    console.err(
      "predicted \(predictions.customerIDs.count) customers at \(cutoffText) with \(path) (fitted at cutoff \(model.training.cutoff ?? "?"), \(model.fit.terms.count) features)\n"
    )
    if let line = issues.summaryLine { console.err(line + "\n") }
    return ExitStatus.success
  }

  /// The error for the first row whose churn flag is empty (every row of a
  /// survival table needs one; a training table's empty label means censored).
  private static func emptyFlag(in path: String, column: String) throws -> IngestError {
    var csv = try CSVReader(path: path)
    let header = try csv.readHeader()
    let c = header.firstIndex(of: column)!
    while try csv.nextChunk() {
      let chunk = csv.chunk
      for r in 0..<chunk.recordCount
      where chunk.string(record: r, field: c).trimmingCharacters(in: .whitespaces).isEmpty {
        return .badField(
          path: path, line: chunk.line(record: r), column: c + 1,
          problem: "the churn flag '\(column)' is empty: every row of a survival table needs 0 or 1 (0: censored)")
      }
    }
    return .badField(path: path, line: 1, column: c + 1, problem: "an empty churn flag")
  }

  /// Each curve's size, churns and median, and the log-rank test.
  static func curvesText(_ model: SurvivalModel) -> String {
    guard let by = model.groupedBy else {
      let all = model.curves[0].curve
      return
        "\nKaplan–Meier: median days to churn \(all.medianDays.map(CSVFormatting.number) ?? "not reached in the follow-up")\n"
    }
    var out = "\nKaplan–Meier by \(by):\n"
    let width = max(8, model.curves.map(\.group.count).max() ?? 0)
    out += "  " + "group".padding(toLength: width, withPad: " ", startingAt: 0) + "  customers   churned  median days\n"
    for named in model.curves {
      let c = named.curve
      let median = c.medianDays.map(CSVFormatting.number) ?? "not reached"
      out += "  " + named.group.padding(toLength: width, withPad: " ", startingAt: 0)
      out += String(format: " %10d %9d  %@\n", c.customers, c.churned.reduce(0, +), median)
    }
    if let test = model.logRank {
      out += String(
        format: "Log-rank test: chi-square %.4f on %d df, p = %.4g\n", test.statistic, test.degreesOfFreedom,
        test.pValue)
    } else {
      out += "Log-rank test: not computed (one group, or no churn)\n"
    }
    return out
  }

  /// One row per group and churn day.
  static func curvesCSV(_ curves: [SurvivalModel.NamedCurve]) -> String {
    var out =
      "group,day,at_risk,churned,survival,survival_lower,survival_upper,cumulative_hazard,hazard_lower,hazard_upper\n"
    for named in curves {
      let c = named.curve
      let group = CSVFormatting.escape(named.group, neutralisingFormula: true)
      for k in c.days.indices {
        let numbers = [
          c.days[k], c.survival[k], c.lower[k], c.upper[k], c.cumulativeHazard[k], c.hazardLower[k], c.hazardUpper[k],
        ].map(CSVFormatting.number)
        out +=
          "\(group),\(numbers[0]),\(c.atRisk[k]),\(c.churned[k])," + numbers.dropFirst().joined(separator: ",") + "\n"
      }
    }
    return out
  }

  /// The coefficient table and where the model stands.
  static func summary(_ model: SurvivalModel) -> String {
    let t = model.training
    var out = ""
    if let cutoff = t.cutoff, let definition = t.churnDefinition, let until = t.observedUntil {
      out += "Followed from cutoff \(cutoff) to churn (\(definition), horizon \(t.horizonDays ?? 0)d) or to \(until)\n"
    }
    out += model.fit.summaryTable()
    if let c = t.holdoutConcordance, let n = t.holdoutRows, let k = t.holdoutChurns {
      out += String(format: "\nHoldout (%@): concordance %.4f on %d customers, %d churned\n", t.holdout ?? "", c, n, k)
      if let days = t.brierDays, let score = t.holdoutIntegratedBrierScore, let reference = t.holdoutBrierReference {
        out += String(
          format: "  integrated Brier score over days 1–%d: %.5f (Kaplan–Meier without features: %.5f)\n", days, score,
          reference)
      }
    } else if let n = t.holdoutRows {
      out += "\nHoldout (\(t.holdout ?? "")): \(n) customers, no comparable pair (no churn): no concordance\n"
    }
    out += curvesText(model)
    return out
  }
}
