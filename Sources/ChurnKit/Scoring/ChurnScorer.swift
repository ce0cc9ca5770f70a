import Dispatch
import Foundation

/// Scores customers with a saved model: the model's features at the as-of
/// time, the churn probability, its risk band, the three features that push
/// the risk up most (with a plain-language sentence), and the current stage.
///
/// ```swift
/// let scorer = ChurnScorer(model: try ChurnModel.load(path: "models/churn-model.json"))
/// let run = try scorer.score(events: &reader, customers: table, asOf: cutoff, issues: &issues)
/// ```
public struct ChurnScorer: Sendable {
  public let model: ChurnModel
  /// Plain-language names and typical phrases of the features, worked out once.
  private let phrases: [String]
  private let typicalTexts: [String]
  private let stageFeatures: [(index: Int, stage: String)]
  /// Feature positions the next-best-action decision reads (with an uplift part).
  let actionColumns: UpliftModel.Columns?
  /// Per feature, the CSV bytes of its reason columns that do not depend on
  /// the customer: the escaped name, the sentence's opening and its close.
  let csvFeatureNames: [[UInt8]]
  let csvSentenceOpenings: [[UInt8]]
  let csvSentenceClosings: [[UInt8]]
  /// The coefficients, and intercept + Σ βⱼ x̄ⱼ, worked out once.
  private let coefficients: [Double]
  private let baselineLogOdds: Double

  public init(model: ChurnModel) {
    let sentences = model.features.map(FeaturePhrases.phrase)
    let typical = model.reference.featureMeans.map(FeaturePhrases.format)
    csvFeatureNames = model.features.map { Array(CSVFormatting.escape($0).utf8) }
    csvSentenceOpenings = sentences.map { Array(("\"" + $0.replacingQuotesForCSV + ": ").utf8) }
    csvSentenceClosings = typical.map { Array((", typical " + $0.replacingQuotesForCSV + "\"").utf8) }
    coefficients = model.fit.coefficients
    baselineLogOdds = zip(model.fit.coefficients, model.reference.featureMeans).reduce(model.fit.intercept) { $0 + $1.0 * $1.1 }
    actionColumns = try? model.uplift?.columns(for: model.features)
    self.model = model
    phrases = model.features.map(FeaturePhrases.phrase)
    typicalTexts = model.reference.featureMeans.map(FeaturePhrases.format)
    stageFeatures = model.features.enumerated().filter { $0.element.hasPrefix("stage_") }
      .map { ($0.offset, String($0.element.dropFirst(6))) }
  }

  /// One reason: a feature's contribution to the log-odds against the
  /// training mean, βⱼ (xⱼ − x̄ⱼ).
  public struct Reason: Sendable, Equatable {
    public let feature: String
    public let value: Double
    public let typical: Double
    public let contribution: Double
    /// The feature's plain-language name and typical value, worked out once
    /// per model.
    let phrase: String
    let typicalText: String
    /// The feature's position in the model (for texts worked out once).
    let index: Int

    /// "support ticket events in the last 30 days: 4, typical 0.6".
    public var text: String { phrase + ": " + FeaturePhrases.format(value) + ", typical " + typicalText }
  }

  /// Everything scoring computes about one customer.
  public struct Score: Sendable {
    public let customerID: String
    public let probability: Double
    public let riskBand: Int
    public let reasons: [Reason]
    public let stage: String?
    /// The log-odds decomposed: intercept + Σ βⱼ x̄ⱼ (the training-mean
    /// customer) + Σ contributions = logit(probability).
    public let baselineLogOdds: Double
    public let contributions: [Double]
    /// The next best action, when the model has an uplift part.
    public let action: ActionChoice?
  }

  /// The next best action of one customer, as scoring reports it.
  public struct ActionChoice: Sendable {
    /// An action id, or "none".
    public let best: String
    /// Churn prevented and expected net value of `best` (0 for none).
    public let uplift: Double
    public let netValue: Double
    public let runnerUp: String?
    public let reason: String
  }

  /// The scores of every eligible customer, with their features kept for drift.
  public struct Run: Sendable {
    public let asOf: Cutoff
    public let features: FeatureSet
    public let model: ChurnModel

    /// The score of row `i` of `features.rows`.
    public func score(_ i: Int) -> Score {
      scorer.score(row: features.rows[i], values: features.values(of: features.rows[i]))
    }

    let scorer: ChurnScorer
  }

  /// Builds features for every eligible customer at `asOf` (which may be
  /// after the last event) with the model's spec, horizon and churn definition.
  public func score(
    events reader: inout EventLogReader, customers table: CustomerTable?, asOf: Cutoff,
    issues: inout IssueLog, progress: (@Sendable (Int) -> Void)? = nil
  ) throws -> Run {
    var extractor = FeatureExtractor(
      spec: model.featureSpec, cutoffs: [asOf], horizon: Duration(days: model.training.horizonDays),
      churnDefinition: try ChurnDefinition(parsing: model.training.churnDefinition))
    extractor.requiresKnownNames = false
    extractor.allowsCutoffAfterData = true
    extractor.progress = progress
    let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
    guard set.featureNames == model.features else {
      throw ModelError.invalidOption("the features built from these events differ from the model's")
    }
    return Run(asOf: asOf, features: set, model: model, scorer: self)
  }

  /// Scores one feature vector.
  public func score(row: FeatureSet.Row, values: [Double]) -> Score {
    score(customerID: row.customerID, values: values)
  }

  /// Scores one feature vector (in the model's feature order).
  public func score(customerID: String, values: [Double]) -> Score {
    let means = model.reference.featureMeans
    var contributions = [Double](repeating: 0, count: values.count)
    let baseline = baselineLogOdds
    var logit = model.fit.intercept
    for (j, b) in coefficients.enumerated() {
      contributions[j] = b * (values[j] - means[j])
      logit += b * values[j]
    }
    // The three largest positive contributions (ties: the earlier feature).
    var top: [Int] = []
    for _ in 0..<3 {
      var best = -1
      for j in contributions.indices where contributions[j] > 0 && !top.contains(j) {
        if best < 0 || contributions[j] > contributions[best] { best = j }
      }
      if best < 0 { break }
      top.append(best)
    }
    let reasons = top.map { j in
      Reason(
        feature: model.features[j], value: values[j], typical: means[j], contribution: contributions[j],
        phrase: phrases[j], typicalText: typicalTexts[j], index: j)
    }
    let probability = logistic(logit)
    var stage: String?
    for (j, name) in stageFeatures where values[j] == 1 { stage = name }
    var choice: ActionChoice?
    if let uplift = model.uplift, let columns = actionColumns {
      let d = uplift.decide(features: values, columns: columns)
      choice = ActionChoice(
        best: d.action.map { uplift.catalog.actions[$0].id } ?? "none",
        uplift: d.action.map { d.options[$0].uplift } ?? 0, netValue: d.action.map { d.options[$0].netValue } ?? 0,
        runnerUp: d.runnerUp.map { uplift.catalog.actions[$0].id }, reason: uplift.reason(for: d))
    }
    return Score(
      customerID: customerID, probability: probability, riskBand: model.reference.riskBand(probability),
      reasons: Array(reasons), stage: stage, baselineLogOdds: baseline, contributions: contributions, action: choice)
  }
}
