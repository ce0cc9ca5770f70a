import ChurnKit
import Foundation

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
    let estimator = LogisticRegression(
      l2: l2, standardize: !arguments.flag("no-standardize"),
      maxIterations: try arguments.integer("max-iterations", default: 100, in: 1...10_000))
    let fit = try estimator.fit(data.x, data.y, featureNames: data.featureNames)
    if arguments.flag("json") {
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      encoder.nonConformingFloatEncodingStrategy = .convertToString(positiveInfinity: "inf", negativeInfinity: "-inf", nan: "nan")
      console.out(String(decoding: try encoder.encode(fit), as: UTF8.self) + "\n")
    } else {
      console.out(fit.summaryTable())
    }
    if data.unlabelledRows > 0 { console.err("skipped \(data.unlabelledRows) rows with an empty (censored) label\n") }
    for warning in fit.warnings { console.err("warning: \(warning)\n") }
    return ExitStatus.success
  }
}
