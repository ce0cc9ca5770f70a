import ChurnArtifacts
import ChurnData
import Foundation

/// `churnkit export`: the model for a warehouse, Spark or a PMML evaluator.
enum ExportCommand: Command {
  static let spec = CommandSpec(
    name: "export",
    abstract: "Export a saved model as a coefficient table, SQL or PMML.",
    discussion: """
      csv: the coefficient table (term, coefficient, standard error, z, \
      p-value, 95% interval, odds ratio, training mean). json: the same with \
      the model's metadata. sql: a SELECT that computes churn_probability and \
      risk_band from a table of features, for --dialect sqlite, postgres, \
      duckdb or spark; identifiers are quoted, so no feature name can inject \
      SQL. pmml: a PMML 4.4 RegressionModel with logit normalisation. The \
      coefficients are on the features' original scale.
      """,
    options: [
      .init(name: "model", valueName: "file", help: "A model saved by churnkit train.", isRequired: true),
      .init(
        name: "format", valueName: "format",
        help: "csv, json, sql, pmml, sql-features, sql-score or sql-decide (the next best action from the events).",
        isRequired: true),
      .init(
        name: "as-of", valueName: "date",
        help: "Cutoff of sql-features, sql-score and sql-decide (features from the events table)."
      ),
      .init(
        name: "dialect", valueName: "dialect", help: "SQL dialect: sqlite, postgres, duckdb or spark.",
        defaultValue: "sqlite"),
      .init(name: "table", valueName: "name", help: "The features table the SQL reads.", defaultValue: "features"),
      .init(name: "out", valueName: "file", help: "Output file, or - for standard output.", defaultValue: "-"),
    ],
    examples: ["churnkit export --model models/churn-model.json --format sql --dialect duckdb --out score.sql"])

  static func run(_ arguments: ParsedArguments, console: Console) throws -> Int32 {
    let modelPath = arguments.value("model")!
    let dialect = try arguments.choice("dialect") as ModelExport.Dialect
    let model = try ChurnModel.load(path: modelPath)
    let text: String
    if let whole = arguments.value("format"), ["sql-features", "sql-score", "sql-decide"].contains(whole) {
      guard let asOf = arguments.value("as-of") else { throw CLIError.missingOption("as-of") }
      let cutoff = try Cutoff(parsing: asOf)
      switch whole {
      case "sql-features": text = try FeatureSQL.features(model, cutoff: cutoff, dialect: dialect) + ";\n"
      case "sql-score": text = try FeatureSQL.scores(model, cutoff: cutoff, dialect: dialect)
      default: text = try DecisionSQL.decisions(model, cutoff: cutoff, dialect: dialect)
      }
      try TextOutput.write(text, to: arguments.value("out")!, console: console)
      return ExitStatus.success
    }
    let format = try arguments.choice("format", default: ModelExport.Format.csv)
    switch format {
    case .csv: text = ModelExport.csv(model)
    case .json: text = try ModelExport.json(model)
    case .sql: text = ModelExport.sql(model, dialect: dialect, table: arguments.value("table")!)
    case .pmml: text = ModelExport.pmml(model)
    }
    try TextOutput.write(text, to: arguments.value("out")!, console: console)
    return ExitStatus.success
  }

}
