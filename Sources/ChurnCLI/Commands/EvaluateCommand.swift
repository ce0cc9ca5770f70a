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
      .init(name: "model", valueName: "file", help: "A model saved by churnkit train.", isRequired: true)
    ] + LabelledDataOptions.options + [
      .init(name: "horizon", valueName: "duration", help: "Label horizon.", defaultDescription: "the model's"),
      .init(
        name: "churn-definition", valueName: "definition", help: "event:NAME or inactivity.",
        defaultDescription: "the model's"),
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
    let (scores, _) = try LabelledDataOptions.scores(model, arguments)
    let evaluation = try ModelEvaluation(
      model: model, probabilities: scores.probabilities, labels: scores.labels, censoredRows: scores.censoredRows)
    if arguments.flag("json") {
      console.out(try JSONOutput.text(evaluation))
    } else {
      console.report(evaluation.renderText())
    }
    return ExitStatus.success
  }
}
