import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// Writes a saved model where the data lives: the coefficient table (CSV,
/// JSON), a SQL query for a warehouse (SQLite, PostgreSQL, DuckDB, Spark SQL)
/// and PMML 4.4 for any PMML evaluator. Coefficients are on the original
/// scale of the features (standardisation folded in), so each target needs
/// only the raw feature columns.
public enum ModelExport {
  public enum Format: String, Sendable, CaseIterable {
    case csv, json, sql, pmml
  }

  public enum Dialect: String, Sendable, CaseIterable {
    case sqlite, postgres, duckdb, spark
  }

  // MARK: - Coefficient table

  /// `term,coefficient,standard_error,z,p_value,lower_95,upper_95,odds_ratio,training_mean`.
  public static func csv(_ model: ChurnModel) -> String {
    var out = "term,coefficient,standard_error,z,p_value,lower_95,upper_95,odds_ratio,training_mean\n"
    let position = Dictionary(model.features.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    for (k, t) in model.fit.terms.enumerated() {
      let mean = k == 0 ? "" : position[t.name].map { "\(model.reference.featureMeans[$0])" } ?? ""
      let fields = [
        CSVFormatting.escape(t.name), "\(t.coefficient)", "\(t.standardError)", "\(t.z)", "\(t.pValue)",
        "\(t.lower95)", "\(t.upper95)", "\(t.oddsRatio)", mean,
      ]
      out += fields.joined(separator: ",") + "\n"
    }
    return out
  }

  /// The coefficient table with the model's metadata.
  public static func json(_ model: ChurnModel) throws -> String {
    struct Document: Encodable {
      let churnkitVersion: String
      let formatVersion: Int
      let training: ChurnModel.Training
      let riskBandCuts: [Double]
      let terms: [LogisticRegressionFit.Term]
      let trainingMeans: [Double]
      let standardizationMeans: [Double]
      let standardizationScales: [Double]
      let l2: Double
      let l1: Double
      let dropped: [DroppedFeature]?
    }
    let doc = Document(
      churnkitVersion: model.churnkitVersion, formatVersion: model.formatVersion, training: model.training,
      riskBandCuts: model.reference.riskBandCuts, terms: model.fit.terms, trainingMeans: model.reference.featureMeans,
      standardizationMeans: model.fit.means, standardizationScales: model.fit.scales, l2: model.fit.l2,
      l1: model.fit.l1,
      dropped: model.fit.dropped)
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.nonConformingFloatEncodingStrategy = ChurnModel.nonFinite
    return String(decoding: try encoder.encode(doc), as: UTF8.self) + "\n"
  }

  // MARK: - SQL

  /// A quoted identifier: "name" with doubled quotes, or `name` for Spark.
  public static func identifier(_ name: String, _ dialect: Dialect) -> String {
    switch dialect {
    case .spark: return "`" + name.replacingOccurrences(of: "`", with: "``") + "`"
    default: return "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
  }

  /// A SELECT computing `churn_probability` and `risk_band` for every row
  /// of a table of features (one column per model feature, named as in the
  /// model), keeping `key` columns.
  public static func sql(
    _ model: ChurnModel, dialect: Dialect, table: String = "features", keys: [String] = ["customer_id"]
  ) -> String {
    let q = { (name: String) in identifier(name, dialect) }
    var linear = "\(literal(model.fit.intercept))"
    for (name, b) in zip(model.fit.featureNames, model.fit.coefficients) where b != 0 {
      linear += "\n      + \(literal(b)) * \(q(name))"
    }
    var band = "CASE"
    for (k, cut) in model.reference.riskBandCuts.enumerated() {
      band += "\n    WHEN \(q("churn_probability")) <= \(literal(cut)) THEN \(k + 1)"
    }
    band += "\n    ELSE 10 END"
    let keyList = keys.map(q).joined(separator: ", ")
    // PostgreSQL raises "value out of range" where EXP over- or underflows
    // (the others give ∞ or 0): there the exponent is kept within what a
    // double holds, which moves no probability by more than 1e-300.
    let (open, close) = dialect == .postgres ? ("EXP(LEAST(GREATEST(-(", "), -745.0), 709.0))") : ("EXP(-(", "))")
    return """
      -- ChurnKit \(model.churnkitVersion) churn model, \(dialect.rawValue) SQL.
      -- churn_probability = 1 / (1 + exp(-(intercept + Σ coefficient × feature))), features on their
      -- original scale (standardisation folded into the coefficients); risk_band 1 (lowest) … 10 (highest),
      -- cut at the deciles of the training scores. Input: one row per customer, one column per feature
      -- as `churnkit features` names them (\(model.features.count) columns).
      SELECT \(keyList), \(q("churn_probability")),
        \(band) AS \(q("risk_band"))
      FROM (
        SELECT \(keyList),
          1.0 / (1.0 + \(open)
            \(linear)
          \(close)) AS \(q("churn_probability"))
        FROM \(q(table))
      ) AS scored;

      """
  }

  /// A double in exponent form, which every dialect reads as DOUBLE to the
  /// last bit (DuckDB would read `0.25` as a DECIMAL).
  static func doubleLiteral(_ v: Double) -> String { String(format: "%.17e", v) }

  /// Text as a SQL string literal, inner quotes doubled.
  static func textLiteral(_ s: String) -> String { "'" + s.replacingOccurrences(of: "'", with: "''") + "'" }

  /// A number as a SQL (and PMML) literal: full precision, never `inf` or `nan`.
  static func literal(_ v: Double) -> String {
    precondition(v.isFinite, "a model never holds a non-finite coefficient")
    return "\(v)"
  }

  // MARK: - PMML

  /// A PMML 4.4 `RegressionModel` with logit normalisation.
  public static func pmml(_ model: ChurnModel) -> String {
    var out = """
      <?xml version="1.0" encoding="UTF-8"?>
      <PMML xmlns="http://www.dmg.org/PMML-4_4" version="4.4">
        <Header description="ChurnKit churn model (logistic regression)">
          <Application name="ChurnKit" version="\(xml(model.churnkitVersion))"/>
        </Header>
        <DataDictionary numberOfFields="\(model.features.count + 1)">

      """
    for name in model.features {
      out += "    <DataField name=\"\(xml(name))\" optype=\"continuous\" dataType=\"double\"/>\n"
    }
    out += """
          <DataField name="churned" optype="categorical" dataType="integer">
            <Value value="0"/>
            <Value value="1"/>
          </DataField>
        </DataDictionary>
        <RegressionModel functionName="classification" normalizationMethod="logit" modelName="churn">
          <MiningSchema>
            <MiningField name="churned" usageType="target"/>

      """
    for name in model.features { out += "      <MiningField name=\"\(xml(name))\"/>\n" }
    out += """
          </MiningSchema>
          <Output>
            <OutputField name="churn_probability" optype="continuous" dataType="double" feature="probability" value="1"/>
          </Output>
          <RegressionTable targetCategory="1" intercept="\(literal(model.fit.intercept))">

      """
    for (name, b) in zip(model.fit.featureNames, model.fit.coefficients) {
      out += "        <NumericPredictor name=\"\(xml(name))\" coefficient=\"\(literal(b))\"/>\n"
    }
    out += """
          </RegressionTable>
          <RegressionTable targetCategory="0" intercept="0"/>
        </RegressionModel>
      </PMML>

      """
    return out
  }

  /// Text for an XML attribute value (the same five escapes as HTML).
  static func xml(_ s: String) -> String { HTML.escape(s) }
}
