import ByteStreams
import ChurnKit
import Foundation

/// What `train --json` prints.
struct TrainReport: Encodable {
  let fit: LogisticRegressionFit
  let training: BinaryMetrics
  let holdout: BinaryMetrics?
}

/// `churnkit train`: fits the churn model (so far: on a feature matrix the
/// user brings, with `--features`).
enum TrainCommand: Command {
  static let spec = CommandSpec(
    name: "train",
    abstract: "Fit the logistic churn model; report coefficients and inference.",
    discussion: """
      Fits logistic regression by Newton's method with Cholesky solves \
      (system BLAS/LAPACK): coefficients on the original scale of the \
      features, standard errors, z, p-values, 95% intervals and odds \
      ratios. Rows with an empty label (censored) are skipped and counted.
      """,
    options: [
      .init(name: "features", valueName: "file", help: "Feature CSV with a 0/1 label column (as churnkit features writes). Required."),
      .init(name: "label", valueName: "column", help: "The label column.", defaultValue: "label"),
      .init(name: "exclude", valueName: "columns", help: "Key columns that are not features, comma-separated.", defaultValue: "customer_id,cutoff"),
      .init(name: "l2", valueName: "lambda", help: "L2 penalty on the coefficients (not the intercept).", defaultValue: "0"),
      .init(name: "no-standardize", valueName: nil, help: "Fit the raw columns (the penalty then applies on their scale)."),
      .init(name: "max-iterations", valueName: "n", help: "Newton iteration limit.", defaultValue: "100"),
      .init(name: "holdout", valueName: "fraction", help: "Share of customers held out for evaluation (split by customer id)."),
      .init(name: "seed", valueName: "s", help: "Seed of the holdout split.", defaultValue: "42"),
      .init(name: "predictions-out", valueName: "file", help: "Write every row's set, probability and label as CSV."),
      .init(name: "json", valueName: nil, help: "Print the fit as JSON on standard output."),
    ],
    examples: ["churnkit train --features features.csv --label label --l2 1.0"])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    guard let path = arguments.value("features") else { throw CLIError.missingValue(option: "features", valueName: "file") }
    let l2Text = arguments.value("l2") ?? "0"
    guard let l2 = Double(l2Text), l2 >= 0, l2.isFinite else {
      throw CLIError.invalidValue(option: "l2", value: l2Text, reason: "expected a number ≥ 0")
    }
    let exclude = (arguments.value("exclude") ?? "customer_id,cutoff").split(separator: ",").map(String.init)
    let data = try LabelledFeatures(path: path, label: arguments.value("label") ?? "label", exclude: exclude)
    var holdoutFraction = 0.0
    if let text = arguments.value("holdout") {
      guard let f = Double(text), f > 0, f < 1 else {
        throw CLIError.invalidValue(option: "holdout", value: text, reason: "expected a fraction between 0 and 1, e.g. 0.3")
      }
      holdoutFraction = f
    }
    let seedText = arguments.value("seed") ?? "42"
    guard let seed = UInt64(seedText) else {
      throw CLIError.invalidValue(option: "seed", value: seedText, reason: "expected a whole number ≥ 0")
    }
    let (trainingRows, holdoutRows) = holdoutFraction > 0
      ? data.holdoutSplit(fraction: holdoutFraction, seed: seed) : (Array(0..<data.y.count), [])
    let training = data.subset(trainingRows)
    let estimator = LogisticRegression(
      l2: l2, standardize: !arguments.flag("no-standardize"),
      maxIterations: try arguments.integer("max-iterations", default: 100, in: 1...10_000))
    let fit = try estimator.fit(training.x, training.y, featureNames: data.featureNames)
    func predictions(_ rows: [Int]) -> [Double] { rows.map { i in fit.probability(data.x.row(i)) } }
    let trainingPredictions = predictions(trainingRows)
    let holdoutPredictions = predictions(holdoutRows)
    let report = TrainReport(
      fit: fit,
      training: BinaryMetrics(probabilities: trainingPredictions, labels: training.y),
      holdout: holdoutRows.isEmpty ? nil : BinaryMetrics(probabilities: holdoutPredictions, labels: holdoutRows.map { data.y[$0] }))
    if let out = arguments.value("predictions-out") {
      let writer = try AtomicFileWriter(path: out)
      try writer.write("key,set,probability,label\n")
      for (set, rows, p) in [("training", trainingRows, trainingPredictions), ("holdout", holdoutRows, holdoutPredictions)] {
        for (i, row) in rows.enumerated() {
          let key = data.keys.map { CSVFormatting.escape($0[row]) } ?? String(row)
          try writer.write("\(key),\(set),\(p[i]),\(Int(data.y[row]))\n")
        }
      }
      try writer.commit()
    }
    if arguments.flag("json") {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
      console.out(String(decoding: try encoder.encode(report), as: UTF8.self) + "\n")
    } else {
      console.out(fit.summaryTable() + "\n" + report.training.renderText(title: "Training"))
      if let holdout = report.holdout { console.out(holdout.renderText(title: "Holdout")) }
    }
    if data.unlabelledRows > 0 { console.err("skipped \(data.unlabelledRows) rows with an empty (censored) label\n") }
    for warning in fit.warnings { console.err("warning: \(warning)\n") }
    return ExitStatus.success
  }
}
