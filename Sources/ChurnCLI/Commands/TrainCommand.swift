import ChurnArtifacts
import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels
import ChurnSimulation
import Foundation

/// What `train --json` prints.
struct TrainReport: Encodable {
  let fit: LogisticRegressionFit
  let training: BinaryMetrics
  let holdout: BinaryMetrics?
  let crossValidation: [CrossValidation.Point]?
}

/// `churnkit train`: fits the churn model, from an event log (features,
/// labels, holdout, fit, evaluation, saved model) or from a feature matrix
/// the user brings.
enum TrainCommand: Command {
  static let spec = CommandSpec(
    name: "train",
    abstract: "Fit the logistic churn model; report coefficients and inference.",
    discussion: """
      From an event log (--events, --cutoff, --horizon): builds the features \
      and labels at the cutoff, holds out customers (--holdout) or a later \
      cutoff (--holdout-cutoff), fits logistic regression by Newton's method \
      with Cholesky solves (system BLAS/LAPACK), evaluates it, and saves the \
      model (--out). From a matrix (--features FILE --label COLUMN): fits and \
      evaluates it. Either way prints the coefficient table (original scale: \
      standard errors, z, p-values, 95% intervals, odds ratios) and the \
      metrics. Rows with an empty (censored) label are skipped and counted. \
      With --actions CATALOG it also learns what each action does to churn \
      (next best action, docs/actions.md) from the treatments in the log, \
      and saves that in the model.
      """,
    options: [
      .init(
        name: "events", valueName: "file",
        help: "Event log to train from (a CSV file, or a table: sqlite:PATH?table=NAME, postgres://…?table=NAME)."),
      .init(name: "customers", valueName: "file", help: "Customers table for static attributes."),
      .init(
        name: "engine", valueName: "name",
        help:
          "Or train inside a database: sqlite, postgres or duckdb (its shell `duckdb` on PATH). Features, labels and every Newton step's sums are computed there; only sums, counts and the rows' fitted probabilities come back (docs/warehouse.md)."
      ),
      .init(
        name: "connection", valueName: "target",
        help:
          "With --engine: the SQLite file, or the PostgreSQL URI (postgres://HOST/DATABASE; credentials as libpq finds them)."
      ),
      .init(
        name: "table", valueName: "name",
        help: "With --engine: the events table (customer_id, timestamp, event, channel, amount, sentiment, stage).",
        defaultValue: "events"),
      .init(name: "cutoff", valueName: "date", help: "Training cutoff (with --events)."),
      .init(
        name: "cutoffs", valueName: "list",
        help: "Or several training cutoffs, comma-separated: snapshots stacked, the holdout split by customer."),
      .init(name: "every", valueName: "duration", help: "Or training cutoffs this far apart, with --from and --to."),
      .init(name: "from", valueName: "date", help: "First cutoff of --every."),
      .init(name: "to", valueName: "date", help: "Last cutoff of --every (inclusive)."),
      .init(name: "horizon", valueName: "duration", help: "Label horizon, e.g. 90d (with --events)."),
      .init(
        name: "churn-definition", valueName: "definition", help: "event:NAME or inactivity.", defaultValue: "inactivity"
      ),
      .init(name: "spec", valueName: "file", help: "Feature spec as JSON."),
      .init(
        name: "out", valueName: "file",
        help:
          "Where to save the model (with --features: it then scores, evaluates and exports feature tables with the same columns)."
      ),
      .init(
        name: "report", valueName: "file",
        help: "Also write the model report page (churnkit report) on the holdout, beside the training rows."),
      .init(name: "features", valueName: "file", help: "Or: a feature CSV with a 0/1 label column."),
      .init(name: "label", valueName: "column", help: "The label column (with --features).", defaultValue: "label"),
      .init(name: "weight-column", valueName: "column", help: "Per-row sample weights (with --features)."),
      .init(
        name: "exclude", valueName: "columns", help: "Key columns that are not features (with --features).",
        defaultValue: "customer_id,cutoff"),
      .init(
        name: "l2", valueName: "lambda", help: "L2 penalty (λ/2)‖β‖² (not the intercept).",
        defaultDescription:
          "0, or chosen by 5-fold cross-validation when there are fewer than 10 events of the rarer outcome per feature"
      ),
      .init(name: "l1", valueName: "a", help: "L1 penalty a‖β‖₁: elastic net with --l2.", defaultValue: "0"),
      .init(
        name: "no-standardize", valueName: nil, help: "Fit the raw columns (the penalty then applies on their scale)."),
      .init(
        name: "class-weight", valueName: "kind", help: "none, or balanced (each class weighs half).",
        defaultValue: "none"),
      .init(name: "max-iterations", valueName: "n", help: "Newton iteration limit.", defaultValue: "100"),
      .init(
        name: "allow-unconverged", valueName: nil,
        help: "Save a fit that did not converge (otherwise: exit 1, nothing saved)."),
      .init(
        name: "cv", valueName: "k",
        help: "Choose --l2 by k-fold cross-validation (folds of whole customers, stratified) on log loss."),
      .init(
        name: "holdout", valueName: "fraction",
        help: "Share of customers held out for evaluation (split by customer id)."),
      .init(name: "holdout-cutoff", valueName: "date", help: "Evaluate at this later cutoff instead (with --events)."),
      .init(name: "seed", valueName: "s", help: "Seed of the holdout split.", defaultValue: "42"),
      .init(
        name: "predictions-out", valueName: "file",
        help: "Write every row's set, probability and label (with --features)."),
      .init(
        name: "actions", valueName: "file", help: "Action catalog (JSON): also learn uplift per action (with --events)."
      ),
      .init(
        name: "assignment", valueName: "kind",
        help: "How treatments were given: random, or observational (inverse propensity weights).",
        defaultValue: "random"),
      .init(
        name: "learner", valueName: "kind",
        help:
          "Uplift learner: s (treatment × effect-modifier interactions), t (a model per action and one for untreated), hazard (churn per period with each action's exposure; uses when churn happened and how long actions work; assumes random assignment) or dr (doubly robust: cross-fitted outcome and propensity models, the AIPW pseudo-outcome regressed on the features).",
        defaultDescription: "hazard; s with --assignment observational or --churn-definition inactivity"),
      .init(
        name: "uplift-holdout-out", valueName: "file",
        help: "Write the uplift holdout rows: action given, churn, each action's predicted uplift."),
      .init(
        name: "pseudo-outcomes-out", valueName: "file",
        help:
          "With --learner dr: write every training row's cross-fitted nuisance figures (churn without and with the action, propensity), its AIPW pseudo-outcome and its features, to audit the fit."
      ),
      .init(
        name: "value-feature", valueName: "name",
        help:
          "Customer value from this feature (default: the 'clv' feature of a repeat_purchase spec, else revenue rate × expected lifetime)."
      ),
      .init(
        name: "discount-rate", valueName: "rate",
        help: "Monthly discount rate of the customer value (revenue × expected lifetime).", defaultValue: "0.01"),
      .init(
        name: "uplift-l2", valueName: "lambda", help: "L2 penalty of the uplift and propensity models.",
        defaultValue: "10"),
      .init(
        name: "uplift-window", valueName: "duration", help: "Snapshot spacing and treatment window for uplift.",
        defaultValue: "14d"),
      .init(
        name: "uplift-max-rows", valueName: "n",
        help:
          "Snapshot rows (customers × snapshot dates) built at once for uplift: memory, not which customers are used.",
        defaultValue: "400000"),
      .init(name: "json", valueName: nil, help: "Print the fit and metrics as JSON on standard output."),
      InterventionsOption.option,
      ObservationOption.option,
      ActiveWithinOption.option,
    ] + MappingOptions.options,
    exclusiveGroups: [
      ["events", "features", "engine"], ["cv", "l2"], ["holdout", "holdout-cutoff"], ["cutoff", "cutoffs", "every"],
    ],
    examples: [
      "churnkit train --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --l2 1 --holdout 0.3 --out my-model.json",
      "churnkit train --features features.csv --label label --out my-model.json",
      "churnkit train --engine sqlite --connection shop.db --table events --cutoff 2025-06-30 --horizon 90d --churn-definition event:cancel --l2 1 --holdout 0.3 --out my-model.json",
    ])

  /// Options that only mean something when uplift is learned.
  static let upliftOptions = [
    "assignment", "learner", "uplift-holdout-out", "pseudo-outcomes-out", "value-feature", "discount-rate",
    "uplift-l2", "uplift-window", "uplift-max-rows",
  ]

  /// Refuses uplift options that would be ignored: without --actions, or
  /// --actions with a feature table (uplift is learned from the log).
  static func checkUpliftOptions(_ arguments: ParsedArguments) throws {
    if let actions = arguments.value("actions"), arguments.value("events") == nil {
      throw CLIError.invalidValue(
        option: "actions", value: actions,
        reason: "uplift is learned from the treatments in the event log: give the log with --events, not --features")
    }
    if arguments.value("actions") == nil, let given = upliftOptions.first(where: arguments.isGiven) {
      throw CLIError.invalidValue(
        option: given, value: arguments.value(given) ?? "",
        reason:
          "it is for learning uplift, which needs an action catalog: add --actions FILE (e.g. models/actions.json)")
    }
  }

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    try checkUpliftOptions(arguments)
    try checkEngineOptions(arguments)
    let l2 = try arguments.nonNegativeNumber("l2") ?? 0
    let l1 = try arguments.nonNegativeNumber("l1")!
    var estimator = LogisticRegression(
      l2: l2, standardize: !arguments.flag("no-standardize"),
      maxIterations: try arguments.integer("max-iterations", in: 1...10_000))
    estimator.classWeight = try arguments.choice("class-weight") as LogisticRegression.ClassWeight
    estimator.l1 = l1
    var crossValidation: CrossValidation?
    if arguments.isGiven("cv") {
      crossValidation = CrossValidation(folds: try arguments.integer("cv", default: 5, in: 2...100))
    }
    let seed = try HoldoutOption.seed(arguments)
    let holdoutFraction = try HoldoutOption.fraction(arguments)
    if arguments.value("engine") != nil {
      return try fromEngine(
        arguments, estimator: estimator, holdoutFraction: holdoutFraction, seed: seed, console: console)
    }
    if arguments.value("events") != nil {
      return try fromEvents(
        arguments, estimator: estimator, crossValidation: crossValidation, holdoutFraction: holdoutFraction, seed: seed,
        console: console)
    }
    guard let path = arguments.value("features") else {
      throw CLIError.missingOneOf(["events", "features", "engine"])
    }
    return try fromMatrix(
      path, arguments, estimator: estimator, crossValidation: crossValidation, holdoutFraction: holdoutFraction,
      seed: seed, console: console)
  }

  private static func fromEvents(
    _ arguments: ParsedArguments, estimator: LogisticRegression, crossValidation: CrossValidation?,
    holdoutFraction: Double?, seed: UInt64, console: Console
  ) throws -> Int32 {
    guard let out = arguments.value("out") else { throw CLIError.missingOption("out") }
    var holdout = ChurnModelTrainer.Holdout.none
    if let f = holdoutFraction { holdout = .customers(fraction: f, seed: seed) }
    if let later = arguments.value("holdout-cutoff") { holdout = .cutoff(try Cutoff(parsing: later)) }
    var extractor = try ExtractorOptions.extractor(arguments)
    let progress = ProgressLine("reading events", console: console)
    extractor.progress = progress.callback
    var issues = IssueLog(limit: 20)
    let source = try InterventionsOption.events(arguments.value("events")!, arguments)
    defer { source.merged?.remove() }
    var reader = try EventLogReader(path: source.path, schema: try MappingOptions.schema(from: arguments))
    let table = try arguments.value("customers").map {
      try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
    }
    // The uplift settings are checked before the churn model is trained.
    let uplift = try upliftTrainer(arguments, churn: extractor.churnDefinition, seed: seed)
    var trainer = ChurnModelTrainer(extractor: extractor, estimator: estimator, holdout: holdout)
    trainer.crossValidation = crossValidation
    trainer.choosesPenaltyWhenFewEvents = !arguments.isGiven("l2") && !arguments.isGiven("l1")
    // Only what later steps need is kept of the outcome: the rows' scores
    // and features only for a report page, so that uplift training does
    // not carry them.
    let (trained, reportScores, noteLines) = try { () throws -> (ChurnModel, ReportScores?, [String]) in
      let outcome = try trainer.train(from: &reader, customers: table, issues: &issues)
      let scores = arguments.isGiven("report") ? ReportScores(outcome.trainingScores, outcome.holdoutScores) : nil
      return (outcome.model, scores, notes(outcome))
    }()
    progress.finish()
    var model = trained
    // The model and the uplift holdout rows are saved together, or neither.
    let outputs = PendingOutputs(console: console)
    if var uplift {
      console.err("learning uplift from the treatments in \(reader.path)\n")
      let phases = ProgressLine("uplift", console: console)
      uplift.progress = phases.phaseCallback
      defer { phases.finish() }
      if extractor.churnDefinition == .inactivity {
        console.err(
          "churn by inactivity: the outcome is no activity within the horizon after a treatment; the effects can be far off, e.g. if treatments reached only customers known to be still active (docs/actions.md, Churn by inactivity)\n"
        )
      }
      let learned = try uplift.trainWithHoldout(
        events: reader.path, schema: reader.schema, customers: table,
        baseline: try model.baseline(for: "next best action"))
      model.uplift = learned.model
      if let path = arguments.value("uplift-holdout-out") { try outputs.add(learned.holdout.csvText(), to: path) }
      if let path = arguments.value("pseudo-outcomes-out") {
        try outputs.add(
          PseudoOutcome.csvText(
            learned.model.learner.pseudoOutcomes, actions: learned.model.catalog.actions.map(\.id),
            features: model.features), to: path)
      }
    }
    if let file = arguments.value("interventions") { model.training.events = "\(arguments.value("events")!) + \(file)" }
    try requireConvergence(model.fit, arguments, console)
    if let page = arguments.value("report"), let reportScores {
      try outputs.add(
        try reportPage(
          model, training: reportScores.training, holdout: reportScores.holdout,
          source: (arguments.value("events")! as NSString).lastPathComponent), to: page)
    }
    try outputs.add(try model.fileBytes(), to: out)
    try outputs.commit()
    try report(
      fit: model.fit, training: model.training.metrics, holdout: model.training.holdoutMetrics,
      path: model.training.crossValidationPath, arguments, console)
    if let uplift = model.uplift, !arguments.flag("json") { console.report("\n" + UpliftText.render(uplift)) }
    for line in noteLines { console.err(line + "\n") }
    if let line = issues.summaryLine { console.err(line + "\n") }
    console.err("saved \(out)\n")
    return ExitStatus.success
  }

  private static func upliftTrainer(
    _ arguments: ParsedArguments, churn: ChurnDefinition, seed: UInt64
  ) throws -> UpliftTrainer? {
    guard let catalogPath = arguments.value("actions") else { return nil }
    var trainer = UpliftTrainer(catalog: try ActionCatalog.load(path: catalogPath))
    trainer.assignment = try arguments.choice("assignment") as UpliftModel.Assignment
    trainer.learner = try arguments.choice(
      "learner", default: UpliftTrainer.defaultLearner(assignment: trainer.assignment, churn: churn))
    try trainer.checkLearner(churn: churn)
    if arguments.isGiven("pseudo-outcomes-out") && trainer.learner != .dr {
      throw CLIError.invalidValue(
        option: "pseudo-outcomes-out", value: arguments.value("pseudo-outcomes-out")!,
        reason: "only the dr learner has pseudo-outcomes; add --learner dr")
    }
    trainer.valueFeature = arguments.value("value-feature")
    trainer.windowDays = try Duration(parsing: arguments.value("uplift-window")!).days
    trainer.l2 = try arguments.nonNegativeNumber("uplift-l2")!
    trainer.monthlyDiscountRate = try arguments.nonNegativeNumber("discount-rate", below: 1)!
    trainer.maxSnapshotRows = try arguments.integer("uplift-max-rows", in: 1...Int.max)
    trainer.seed = seed
    return trainer
  }

  /// The rows' scores and features behind a report page.
  private struct ReportScores {
    let training: LabelledScores
    let holdout: LabelledScores?
    init(_ training: LabelledScores, _ holdout: LabelledScores?) {
      self.training = training
      self.holdout = holdout
    }
  }

  /// What the user should know about the rows behind the fit.
  private static func notes(_ outcome: ChurnModelTrainer.Outcome) -> [String] {
    var lines: [String] = []
    if outcome.censoredRows > 0 {
      lines.append("skipped \(outcome.censoredRows) rows whose label is not yet observable")
    }
    lines.append(outcome.observation)
    if let hint = outcome.churnEventHint { lines.append(hint) }
    lines += outcome.vocabularyNotes
    if let note = outcome.penaltyNote { lines.append(note) }
    return lines
  }

  private static func fromMatrix(
    _ path: String, _ arguments: ParsedArguments, estimator: LogisticRegression, crossValidation: CrossValidation?,
    holdoutFraction: Double?, seed: UInt64, console: Console
  ) throws -> Int32 {
    let exclude = arguments.value("exclude")!.split(separator: ",").map(String.init)
    // The report is of the model: without one to save there is none.
    if arguments.isGiven("report") && !arguments.isGiven("out") { throw CLIError.missingOption("out") }
    let data = try LabelledFeatures(
      path: path, label: arguments.value("label")!, exclude: exclude,
      weightColumn: arguments.value("weight-column"))
    var trainer = MatrixTrainer(
      estimator: estimator, crossValidation: crossValidation, holdout: holdoutFraction.map { ($0, seed) })
    trainer.choosesPenaltyWhenFewEvents = !arguments.isGiven("l2") && !arguments.isGiven("l1")
    let outcome = try trainer.train(data)
    // The predictions and the model are saved together, or neither.
    let outputs = PendingOutputs(console: console)
    if let out = arguments.value("predictions-out") {
      try outputs.add(MatrixTrainer.predictionsText(outcome, data: data), to: out)
    }
    try report(
      fit: outcome.fit, training: outcome.trainingMetrics, holdout: outcome.holdoutMetrics, path: outcome.path,
      arguments, console)
    if data.unlabelledRows > 0 { console.err("skipped \(data.unlabelledRows) rows with an empty (censored) label\n") }
    if let note = outcome.penaltyNote { console.err(note + "\n") }
    try requireConvergence(outcome.fit, arguments, console)
    if let out = arguments.value("out") {
      let others = exclude + [arguments.value("weight-column")].compactMap { $0 }
      let model = trainer.model(
        outcome, data: data, path: path, labelColumn: arguments.value("label")!, otherColumns: others)
      try outputs.add(try model.fileBytes(), to: out)
      if let page = arguments.value("report") {
        func scores(_ rows: [Int], _ p: [Double]) -> LabelledScores {
          let subset = data.subset(rows)
          return LabelledScores(probabilities: p, labels: subset.y, features: subset.x)
        }
        try outputs.add(
          try reportPage(
            model, training: scores(outcome.trainingRows, outcome.trainingPredictions),
            holdout: outcome.holdoutRows.isEmpty ? nil : scores(outcome.holdoutRows, outcome.holdoutPredictions),
            source: (path as NSString).lastPathComponent), to: page)
      }
    }
    try outputs.commit()
    if let out = arguments.value("out") { console.err("saved \(out)\n") }
    return ExitStatus.success
  }

  /// The report page of a model just trained: on the holdout, with the
  /// training rows drawn beside, or on the training rows when there is no
  /// holdout (and it says so).
  static func reportPage(
    _ model: ChurnModel, training: LabelledScores, holdout: LabelledScores?, source: String
  ) throws -> String {
    guard let holdout else {
      var report = try ModelReport(model: model, scores: training, data: "\(source), training rows")
      report.isTrainingData = true
      report.dataName = "training"
      return report.html()
    }
    var report = try ModelReport(model: model, scores: holdout, data: "\(source), holdout rows")
    report.dataName = "holdout"
    report.comparisons = [.init(name: "training", scores: training)]
    return report.html()
  }

  /// A fit that did not converge is an error unless the user accepts it:
  /// the table is printed for diagnosis, nothing is saved.
  static func requireConvergence(
    _ fit: LogisticRegressionFit, _ arguments: ParsedArguments, _ console: Console
  ) throws {
    guard !fit.converged, !arguments.flag("allow-unconverged") else { return }
    console.report(fit.summaryTable())
    throw ModelError.notConverged(iterations: fit.iterations)
  }

  static func report(
    fit: LogisticRegressionFit, training: BinaryMetrics, holdout: BinaryMetrics?, path: [CrossValidation.Point]?,
    _ arguments: ParsedArguments, _ console: Console
  ) throws {
    if arguments.flag("json") {
      console.out(
        try JSONOutput.text(TrainReport(fit: fit, training: training, holdout: holdout, crossValidation: path)))
    } else {
      if let path {
        var text = "Cross-validation (mean held-out log loss ± standard error):\n"
        for point in path {
          let chosen = point.l2 == fit.l2 ? "  ← chosen" : ""
          let failed = point.failedFolds > 0 ? "  (\(point.failedFolds) folds could not be fitted)" : ""
          text +=
            String(format: "  l2 %-10.4g %.6f ± %.6f", point.l2, point.meanLogLoss, point.standardError) + chosen
            + failed + "\n"
        }
        console.report(text + "\n")
      }
      console.report(fit.summaryTable() + "\n" + training.renderText(title: "Training"))
      if let holdout { console.report(holdout.renderText(title: "Holdout")) }
    }
    for warning in fit.warnings { console.err("warning: \(warning)\n") }
  }
}
