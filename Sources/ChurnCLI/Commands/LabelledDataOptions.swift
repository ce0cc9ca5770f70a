import ChurnArtifacts
import ChurnData
import ChurnIO
import Foundation

/// The labelled data `evaluate` and `report` score a saved model on: an
/// event log at a cutoff whose horizon is observed, or a feature table with
/// a label column.
enum LabelledDataOptions {
  static let options: [CommandSpec.Option] = [
    .init(name: "events", valueName: "file", help: "Event log to build features from."),
    .init(name: "customers", valueName: "file", help: "Customers table (when the model uses it)."),
    .init(name: "cutoff", valueName: "date", help: "Cutoff (with --events)."),
    .init(name: "features", valueName: "file", help: "Or: a feature CSV with a 0/1 label column."),
    .init(name: "label", valueName: "column", help: "The label column (with --features).", defaultValue: "label"),
  ]

  /// The model's probabilities on the labelled rows, and a phrase saying
  /// which data they are. `--horizon` and `--churn-definition` override the
  /// model's where the command has them.
  static func scores(_ model: ChurnModel, _ arguments: ParsedArguments) throws -> (LabelledScores, String) {
    if let events = arguments.value("events") {
      guard let cutoff = arguments.value("cutoff") else { throw CLIError.missingOption("cutoff") }
      var issues = IssueLog(limit: 20)
      var reader = try EventLogReader(path: events, schema: try MappingOptions.schema(from: arguments))
      let table = try arguments.value("customers").map {
        try CustomerTable(path: $0, idColumn: reader.schema.customerID, issues: &issues)
      }
      let scores = try LabelledScores(
        model, events: &reader, customers: table, cutoff: try Cutoff(parsing: cutoff),
        horizon: try arguments.value("horizon").map(Duration.init(parsing:)),
        churnDefinition: try arguments.value("churn-definition").map(ChurnDefinition.init(parsing:)),
        observedUntil: try ObservationOption.value(arguments), issues: &issues)
      return (scores, "\((events as NSString).lastPathComponent) at cutoff \(cutoff)")
    }
    guard let features = arguments.value("features") else { throw CLIError.missingOneOf(["events", "features"]) }
    let scores = try LabelledScores(
      model, featureTable: features, label: arguments.value("label")!, ignoring: IgnoreColumnsOption.value(arguments))
    return (scores, (features as NSString).lastPathComponent)
  }
}
