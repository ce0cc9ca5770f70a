import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnSimulation
import Foundation

/// `churnkit evaluate`: a saved model on newly labelled data.
enum EvaluateCommand: Command {
  static let spec = CommandSpec(
    name: "evaluate",
    abstract: "Evaluate a saved model on newly labelled data, with calibration drift.",
    discussion: """
      Builds the model's features (its vocabularies, horizon and churn \
      definition) from an event log at a cutoff whose horizon is already \
      observed, or reads a feature file with a label column, scores every \
      row, and reports ROC AUC, PR AUC, log loss, Brier, calibration by \
      decile, lift and the change in calibration since training.
      """,
    options: [
      .init(name: "model", valueName: "file", help: "A model saved by churnkit train.", isRequired: true),
      .init(name: "events", valueName: "file", help: "Event log to build features from."),
      .init(name: "customers", valueName: "file", help: "Customers table (when the model uses it)."),
      .init(name: "cutoff", valueName: "date", help: "Cutoff (with --events)."),
      .init(name: "horizon", valueName: "duration", help: "Label horizon.", defaultDescription: "the model's"),
      .init(
        name: "churn-definition", valueName: "definition", help: "event:NAME or inactivity.",
        defaultDescription: "the model's"),
      .init(name: "features", valueName: "file", help: "Or: a feature CSV with a 0/1 label column."),
      .init(name: "label", valueName: "column", help: "The label column (with --features).", defaultValue: "label"),
      .init(name: "json", valueName: nil, help: "Print the evaluation as JSON on standard output."),
      ObservationOption.option,
      IgnoreColumnsOption.option,
    ] + MappingOptions.options,
    exclusiveGroups: [["events", "features"]],
    examples: [
      "churnkit evaluate --model models/churn-model.json --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-09-30"
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let modelPath = arguments.value("model")!
    let model = try ChurnModel.load(path: modelPath)
    let evaluation: ModelEvaluation
    if let events = arguments.value("events") {
      guard let cutoff = arguments.value("cutoff") else { throw CLIError.missingOption("cutoff") }
      var issues = IssueLog(limit: 20)
      var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
      let table = try arguments.value("customers").map {
        try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
      }
      evaluation = try ModelEvaluation.evaluate(
        model, events: &reader, customers: table, cutoff: try Cutoff(parsing: cutoff),
        horizon: try arguments.value("horizon").map(Duration.init(parsing:)),
        churnDefinition: try arguments.value("churn-definition").map(ChurnDefinition.init(parsing:)),
        observedUntil: try ObservationOption.value(arguments), issues: &issues)
    } else if let features = arguments.value("features") {
      evaluation = try ModelEvaluation.evaluate(
        model, featureTable: features, label: arguments.value("label")!,
        ignoring: IgnoreColumnsOption.value(arguments))
    } else {
      throw CLIError.missingOneOf(["events", "features"])
    }
    if arguments.flag("json") {
      console.out(try JSONOutput.text(evaluation))
    } else {
      console.report(evaluation.renderText())
    }
    return ExitStatus.success
  }
}
