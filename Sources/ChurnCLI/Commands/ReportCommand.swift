import ChurnArtifacts
import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// `churnkit report`: a saved model on labelled data, as one HTML page.
enum ReportCommand: Command {
  static let spec = CommandSpec(
    name: "report",
    abstract: "Write a model report: ROC, calibration, gains, drivers and drift on one HTML page.",
    discussion: """
      Scores labelled data with a saved model — an event log at a cutoff \
      whose horizon is observed, or a feature file with a label column — \
      and writes one self-contained HTML page (no script, no external \
      request): ROC and precision–recall curves with the AUC's 95% interval \
      (DeLong), calibration by decile, cumulative gains, the scores of \
      churners and stayers, thresholds and risk bands, the odds ratios per \
      standard deviation with their intervals, and feature drift since \
      training, each with a sentence in plain words. --contact-cost and \
      --saved-value add the threshold that returns the most.
      """,
    options: [
      .init(name: "model", valueName: "file", help: "A model saved by churnkit train.", isRequired: true)
    ] + LabelledDataOptions.options + [
      .init(name: "out", valueName: "file", help: "The HTML page, or - for standard output.", isRequired: true),
      .init(name: "title", valueName: "text", help: "The page's title.", defaultValue: "Churn model report"),
      .init(name: "contact-cost", valueName: "amount", help: "What contacting one customer costs."),
      .init(name: "saved-value", valueName: "amount", help: "What keeping one churner is worth."),
      .init(name: "json", valueName: nil, help: "Print the report's figures and sentences as JSON on standard output."),
      ObservationOption.option,
      IgnoreColumnsOption.option,
    ] + MappingOptions.options,
    exclusiveGroups: [["events", "features"]],
    examples: [
      "churnkit report --model models/churn-model.json --events training-data/events.csv --customers training-data/customers.csv --cutoff 2025-09-30 --out report.html"
    ])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let model = try ChurnModel.load(path: arguments.value("model")!)
    let (scores, data) = try LabelledDataOptions.scores(model, arguments)
    var report = try ModelReport(model: model, scores: scores, data: data, title: arguments.value("title")!)
    report.contactCost = try arguments.nonNegativeNumber("contact-cost")
    report.savedValue = try arguments.nonNegativeNumber("saved-value")
    if (report.contactCost == nil) != (report.savedValue == nil) {
      throw CLIError.missingOption(report.contactCost == nil ? "contact-cost" : "saved-value")
    }
    if arguments.flag("json") && arguments.value("out") == "-" { throw CLIError.sharedStandardOutput("out", "json") }
    let outputs = PendingOutputs(console: console)
    try outputs.add(report.html(), to: arguments.value("out")!)
    if arguments.flag("json") { try outputs.add(try JSONOutput.text(Figures(report)), to: "-") }
    try outputs.commit()
    let text = report.sentences.map { "  " + $0 }.joined(separator: "\n") + "\n"
    if arguments.flag("json") || arguments.value("out") == "-" { console.err(text) } else { console.report(text) }
    return ExitStatus.success
  }

  /// What `--json` prints: the figures behind the sentences.
  struct Figures: Encodable {
    let count: Int
    let positives: Int
    let rocAUC: Double
    let aucStandardError: Double
    let aucLower95: Double
    let aucUpper95: Double
    let averagePrecision: Double
    let gainTop10: Double
    let gainTop30: Double
    let expectedCalibrationError: Double
    let bestThreshold: Double?
    let bestFlagged: Int?
    let bestValue: Double?
    let sentences: [String]

    init(_ r: ModelReport) {
      count = r.curves.count
      positives = r.curves.positives
      rocAUC = r.curves.rocAUC
      aucStandardError = r.curves.aucStandardError
      (aucLower95, aucUpper95) = r.curves.aucInterval
      averagePrecision = r.metrics.averagePrecision
      gainTop10 = r.curves.gain(atShare: 0.1)
      gainTop30 = r.curves.gain(atShare: 0.3)
      expectedCalibrationError = r.curves.expectedCalibrationError
      let best = r.contactCost.flatMap { c in
        r.savedValue.flatMap { r.curves.bestThreshold(contactCost: c, savedValue: $0) }
      }
      bestThreshold = best?.point.threshold
      bestFlagged = best?.point.flagged
      bestValue = best?.value
      sentences = r.sentences
    }
  }
}
