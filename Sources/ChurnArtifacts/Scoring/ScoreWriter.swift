import ByteStreams
import ChurnData
import ChurnIO

/// Turns scored rows into output bytes, CSV or JSON Lines: owns the texts
/// that do not depend on the customer — each feature's CSV name and the
/// opening and close of its reason sentence, each stage's name — as byte
/// tables worked out once per model. For CSV, text fields that a
/// spreadsheet would run as a formula get a leading `'` unless
/// `neutralisesFormulas` is off.
struct ScoreWriter: Sendable {
  let format: ScoreFormat
  let neutralisesFormulas: Bool
  private var featureNames: ByteTable
  private var sentenceOpenings: ByteTable
  private var sentenceClosings: ByteTable
  /// The CSV bytes of each stage's name (in `ChurnScorer.stageNames` order).
  private var stageNames: ByteTable
  /// Per feature, the value from which it reads "never" (+∞: none).
  private var neverValues: [Double]
  /// Columns from elsewhere (a survival model's figures), by customer id.
  var extra: ExtraScoreColumns?

  init(_ scorer: ChurnScorer, format: ScoreFormat, neutralisingFormulas: Bool = true) {
    self.format = format
    neutralisesFormulas = neutralisingFormulas
    let csv = { CSVFormatting.escape($0, neutralisingFormula: neutralisingFormulas) }
    featureNames = ByteTable(scorer.model.features.map(csv))
    sentenceOpenings = ByteTable(
      scorer.phrases.map { phrase in
        let formula = neutralisingFormulas && phrase.utf8.first.map(CSVFormatting.startsFormula) == true
        return "\"" + (formula ? "'" : "") + phrase.replacingQuotesForCSV + ": "
      })
    sentenceClosings = ByteTable(scorer.typicalTexts.map { ", typical " + $0.replacingQuotesForCSV + "\"" })
    stageNames = ByteTable(scorer.stageNames.map(csv))
    neverValues = scorer.neverValues.unshared
  }

  /// A copy whose tables are in storage of its own, for another thread (see
  /// `Array.unshared`).
  func unsharedCopy() -> ScoreWriter {
    var copy = self
    copy.featureNames = featureNames.unshared
    copy.sentenceOpenings = sentenceOpenings.unshared
    copy.sentenceClosings = sentenceClosings.unshared
    copy.stageNames = stageNames.unshared
    copy.neverValues = neverValues.unshared
    return copy
  }

  /// The columns of a scored row after `customer_id,as_of,` as CSV bytes,
  /// newline included (the caller writes the two key fields, as they came,
  /// so no `String` is made per row).
  func appendCSVColumns<Sink: ByteSink & ~Copyable>(
    _ e: ChurnScorer.Evaluation, values: [Double], action: ChurnScorer.ActionChoice?, extra: [Double]? = nil,
    to out: inout Sink
  ) {
    let comma = UInt8(ascii: ",")
    CSVFormatting.appendShortest(e.probability, to: &out)
    out.append(comma)
    CSVFormatting.appendInteger(Int64(e.riskBand), to: &out)
    out.append(comma)
    if e.stage >= 0 { stageNames.append(e.stage, to: &out) }
    for k in 0..<3 {
      out.append(comma)
      guard k < e.reasonCount else {
        out.append(comma)
        out.append(comma)
        out.append(comma)
        continue
      }
      let j = e.reason(k)
      featureNames.append(j, to: &out)
      out.append(comma)
      CSVFormatting.appendNumber(values[j], to: &out)
      out.append(comma)
      CSVFormatting.appendShortest(e.contributions[j], to: &out)
      out.append(comma)
      // The sentence always holds a comma: quoted; only the value varies.
      sentenceOpenings.append(j, to: &out)
      FeaturePhrases.appendFormatted(values[j], never: neverValues[j], to: &out)
      sentenceClosings.append(j, to: &out)
    }
    if let a = action {
      let csv = { Array(CSVFormatting.escape($0, neutralisingFormula: neutralisesFormulas).utf8) }
      out.append(comma)
      out.append(contentsOf: csv(a.best))
      out.append(comma)
      CSVFormatting.appendShortest(a.uplift, to: &out)
      out.append(comma)
      CSVFormatting.appendShortest(a.netValue, to: &out)
      for figure in [a.netValueStandardError, a.value, a.valueStandardError, a.reach] {
        out.append(comma)
        if let figure, figure.isFinite { CSVFormatting.appendShortest(figure, to: &out) }
      }
      out.append(comma)
      if let r = a.runnerUp { out.append(contentsOf: csv(r)) }
      out.append(comma)
      out.append(contentsOf: csv(a.reason))
    }
    if let columns = self.extra {
      for k in columns.names.indices {
        out.append(comma)
        if let v = extra?[k], v.isFinite { CSVFormatting.appendShortest(v, to: &out) }
      }
    }
    out.append(UInt8(ascii: "\n"))
  }

  /// One score as a JSON line.
  func appendJSONLine<Sink: ByteSink & ~Copyable>(
    _ s: ChurnScorer.Score, asOf: String, extra: [Double]? = nil, to out: inout Sink
  ) {
    var line = "{\"customer_id\":\(JSONText.string(s.customerID)),\"as_of\":\(JSONText.string(asOf))"
    line += ",\"churn_probability\":\(s.probability),\"risk_band\":\(s.riskBand)"
    line += ",\"stage\":\(s.stage.map(JSONText.string) ?? "null"),\"reasons\":["
    line += s.reasons.map { r in
      "{\"feature\":\(JSONText.string(r.feature)),\"value\":\(JSONText.number(r.value)),\"typical\":\(JSONText.number(r.typical)),\"contribution\":\(JSONText.number(r.contribution)),\"text\":\(JSONText.string(r.text))}"
    }.joined(separator: ",")
    line += "]"
    if let a = s.action {
      line += ",\"next_best_action\":\(JSONText.string(a.best)),\"expected_uplift\":\(JSONText.number(a.uplift))"
      line +=
        ",\"expected_net_value\":\(JSONText.number(a.netValue)),\"expected_net_value_se\":\(a.netValueStandardError.map(JSONText.number) ?? "null")"
      line +=
        ",\"customer_value\":\(JSONText.number(a.value)),\"customer_value_se\":\(a.valueStandardError.map(JSONText.number) ?? "null")"
      line += ",\"reachable\":\(JSONText.number(a.reach))"
      line += ",\"runner_up_action\":\(a.runnerUp.map(JSONText.string) ?? "null")"
      line += ",\"action_reason\":\(JSONText.string(a.reason))"
    }
    if let columns = self.extra {
      for (k, name) in columns.names.enumerated() {
        line += ",\(JSONText.string(name)):\(extra.map { JSONText.number($0[k]) } ?? "null")"
      }
    }
    line += "}\n"
    out.append(contentsOf: Array(line.utf8))
  }
}

/// Columns from elsewhere added to every scored row, by customer id: a
/// survival model's figures at the same as-of date. A customer it has no
/// figures for gets empty fields (null in JSON Lines).
public struct ExtraScoreColumns: Sendable {
  public let names: [String]
  public let byCustomer: [String: [Double]]

  public init(names: [String], byCustomer: [String: [Double]]) {
    self.names = names
    self.byCustomer = byCustomer
  }
}
