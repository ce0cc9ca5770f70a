import ByteStreams
import ChurnArtifacts
import ChurnData
import ChurnModels

extension TrainCommand {
  /// Options of an event log read in memory that `--engine` cannot honour.
  static let inMemoryOnly = [
    "customers", "actions", "report", "cv", "interventions", "predictions-out", "weight-column",
  ]

  /// Refuses what `--engine` would ignore: options of a log read in memory,
  /// a column mapping (the table's columns have fixed names), and
  /// `--connection` or `--table` without `--engine`.
  static func checkEngineOptions(_ arguments: ParsedArguments) throws {
    let engineOnly = ["connection", "table"]
    guard arguments.value("engine") != nil else {
      if let given = engineOnly.first(where: arguments.isGiven) {
        throw CLIError.invalidValue(
          option: given, value: arguments.value(given) ?? "", reason: "it names the database of --engine: add --engine")
      }
      return
    }
    if let given = inMemoryOnly.first(where: arguments.isGiven) {
      throw CLIError.invalidValue(
        option: given, value: arguments.value(given) ?? "",
        reason: "it needs the events in memory: train without --engine to use it")
    }
    if let given = MappingOptions.options.map(\.name).first(where: arguments.isGiven) {
      throw CLIError.invalidValue(
        option: given, value: arguments.value(given) ?? "",
        reason:
          "the table's columns are read by their names (customer_id, timestamp, event, channel, amount, sentiment, stage): rename them in a view"
      )
    }
  }

  /// `train --engine`: the same model as from the events in memory, built
  /// inside the database (`EngineTrainer`).
  static func fromEngine(
    _ arguments: ParsedArguments, estimator: LogisticRegression, holdoutFraction: Double?, seed: UInt64,
    console: Console
  ) throws -> Int32 {
    let engine = arguments.value("engine")!
    guard let dialect = ModelExport.Dialect(rawValue: engine), dialect != .spark else {
      throw CLIError.invalidValue(
        option: "engine", value: engine,
        reason:
          "train runs inside sqlite, postgres or duckdb; for Spark, run `churnkit export --format sql-features` there and train on its output with --features (docs/warehouse.md)"
      )
    }
    guard let connection = arguments.value("connection") else { throw CLIError.missingOption("connection") }
    guard let out = arguments.value("out") else { throw CLIError.missingOption("out") }
    let extractor = try ExtractorOptions.extractor(arguments)
    var holdout = ChurnModelTrainer.Holdout.none
    if let f = holdoutFraction { holdout = .customers(fraction: f, seed: seed) }
    if let later = arguments.value("holdout-cutoff") { holdout = .cutoff(try Cutoff(parsing: later)) }
    let session = try openSQLSession(engine: engine, connection: connection)
    let table = arguments.value("table")!
    // As --events would name the same table.
    let shown =
      dialect == .postgres
      ? session.shown + (session.shown.contains("?") ? "&" : "?") + "table=\(table)"
      : "\(engine):\(session.shown)?table=\(table)"
    var trainer = EngineTrainer(
      session: session, dialect: dialect, table: table, shown: shown,
      spec: extractor.spec, cutoffs: extractor.cutoffs, horizon: extractor.horizon,
      churnDefinition: extractor.churnDefinition, estimator: estimator, holdout: holdout)
    trainer.activeWithin = extractor.activeWithin
    trainer.observedUntil = extractor.observedUntil
    trainer.choosesPenaltyWhenFewEvents = !arguments.isGiven("l2") && !arguments.isGiven("l1")
    let progress = ProgressLine("training in \(engine)", console: console)
    trainer.progress = progress.phaseCallback
    let outcome = try trainer.train()
    progress.finish()
    let model = outcome.model
    try requireConvergence(model.fit, arguments, console)
    let outputs = PendingOutputs(console: console)
    try outputs.add(try model.fileBytes(), to: out)
    try outputs.commit()
    try report(
      fit: model.fit, training: model.training.metrics, holdout: model.training.holdoutMetrics, path: nil, arguments,
      console)
    if outcome.censoredRows > 0 {
      console.err("skipped \(outcome.censoredRows) rows whose label is not yet observable\n")
    }
    for line in [outcome.observation] + outcome.vocabularyNotes { console.err(line + "\n") }
    console.err("saved \(out)\n")
    return ExitStatus.success
  }
}
