import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels
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
  let phrases: [String]
  let typicalTexts: [String]
  /// Per feature, the value from which it reads "never" (+∞: none).
  private(set) var neverValues: [Double]
  /// What reasons call typical: the training median (the mean in models
  /// from before it was kept).
  private var typicalValues: [Double]
  private let stageFeatures: [(index: Int, stage: String)]
  /// The stages a row can be in, in the order `Evaluation.stage` counts them.
  var stageNames: [String] { stageFeatures.map(\.stage) }
  /// Feature positions the next-best-action decision reads (with an uplift part).
  let actionColumns: UpliftModel.Columns?
  /// The model's uplift part, kept apart so that a row without one does not
  /// copy it out of the model to find that it is missing.
  private let uplift: UpliftModel?
  /// The coefficients, and intercept + Σ βⱼ x̄ⱼ, worked out once.
  private var coefficients: [Double]
  private let baselineLogOdds: Double
  /// What `evaluate` reads for every row, in storage of the scorer's own
  /// (see `unshared`): the intercept, training means, risk-band cuts and the
  /// positions of the stage flags.
  private let intercept: Double
  private var means: [Double]
  private var riskBandCuts: [Double]
  private var stageColumns: [Int]

  public init(model: ChurnModel) {
    let sentences = model.features.map(FeaturePhrases.phrase)
    let never = model.featureSpec?.neverDays ?? FeatureSpec().neverDays
    let neverValues = model.features.map { FeaturePhrases.isNeverable($0) ? never : .infinity }
    let typicalValues = model.reference.typicalValues ?? model.reference.featureMeans
    let typical = zip(typicalValues, neverValues).map { FeaturePhrases.format($0, never: $1) }
    let predictor = model.predictor
    coefficients = predictor.coefficients.unshared
    intercept = predictor.intercept
    means = model.reference.featureMeans.unshared
    riskBandCuts = model.reference.riskBandCuts.unshared
    baselineLogOdds = zip(predictor.coefficients, model.reference.featureMeans).reduce(predictor.intercept) {
      $0 + $1.0 * $1.1
    }
    actionColumns = try? model.uplift?.columns(for: model.features)
    uplift = model.uplift
    self.model = model
    phrases = sentences
    typicalTexts = typical
    self.neverValues = neverValues.unshared
    self.typicalValues = typicalValues.unshared
    stageFeatures = model.features.enumerated().filter { $0.element.hasPrefix("stage_") }
      .map { ($0.offset, String($0.element.dropFirst(6))) }
    stageColumns = stageFeatures.map(\.index)
  }

  /// A copy with the tables `evaluate` reads in storage of its own (see
  /// `Array.unshared`), for another thread: far cheaper than
  /// `init(model:)`, which works out every phrase again.
  func unsharedCopy() -> ChurnScorer {
    var copy = self
    copy.coefficients = coefficients.unshared
    copy.means = means.unshared
    copy.riskBandCuts = riskBandCuts.unshared
    copy.stageColumns = stageColumns.unshared
    copy.neverValues = neverValues.unshared
    copy.typicalValues = typicalValues.unshared
    return copy
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

    /// Where the value reads "never".
    let never: Double

    /// "support ticket events in the last 30 days: 4, typical 1".
    public var text: String { phrase + ": " + FeaturePhrases.format(value, never: never) + ", typical " + typicalText }
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
    /// `netValue`'s standard error from the customer value's (nil: none
    /// chosen, or the value's is not estimated).
    public let netValueStandardError: Double?
    /// The customer's value and its standard error (nil: not estimated).
    public let value: Double
    public let valueStandardError: Double?
    /// The chance the customer is still there to be reached (1: no reachability).
    public let reach: Double
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
      spec: try model.specForEvents("scoring"), cutoffs: [asOf], horizon: Duration(days: model.training.horizonDays),
      churnDefinition: try ChurnDefinition(parsing: model.training.churnDefinition))
    extractor.useFeatureModels()
    extractor.requiresKnownNames = false
    extractor.allowsCutoffAfterData = true
    extractor.activeWithin = model.training.activeWithinDays.map { Duration(days: $0) }
    extractor.progress = progress
    let set = try extractor.extract(from: &reader, customers: table, issues: &issues)
    guard set.featureNames == model.features else {
      throw ModelUseError.featuresDiffer(missing: model.features.filter { !set.featureNames.contains($0) })
    }
    return Run(asOf: asOf, features: set, model: model, scorer: self)
  }

  /// Scores one feature vector.
  public func score(row: FeatureSet.Row, values: [Double]) -> Score {
    score(customerID: row.customerID, values: values)
  }

  /// What scoring works out for one row, in storage reused row after row
  /// (no allocation per row on the batch paths).
  struct Evaluation {
    /// βⱼ (xⱼ − x̄ⱼ) per feature.
    var contributions: [Double]
    var probability = 0.0
    var riskBand = 1
    /// Positions of the (up to) three largest positive contributions that
    /// also raise the risk against the typical value, largest first (ties: the earlier feature); −1 past `reasonCount`.
    var reasons = (-1, -1, -1)
    var reasonCount = 0
    /// Index into `stageNames` of the stage the row is in, or −1.
    var stage = -1

    func reason(_ k: Int) -> Int { k == 0 ? reasons.0 : (k == 1 ? reasons.1 : reasons.2) }
  }

  /// Storage for `evaluate(_:into:)`.
  func makeEvaluation() -> Evaluation {
    Evaluation(contributions: [Double](repeating: 0, count: coefficients.count))
  }

  /// Scores one feature vector (in the model's feature order) into `e`.
  ///
  /// Reads only the scorer's own tables: a scorer made per thread shares no
  /// reference count with another thread.
  func evaluate(_ values: [Double], into e: inout Evaluation) {
    var logit = intercept
    // The three largest positive contributions in one pass: a later feature
    // displaces an earlier one only when strictly larger.
    var (t0, t1, t2) = (-1, -1, -1)
    var (c0, c1, c2) = (0.0, 0.0, 0.0)
    var contributions = e.contributions  // a local: one uniqueness check, not one per write
    e.contributions = []
    defer { e.contributions = contributions }
    for j in coefficients.indices {
      let b = coefficients[j]
      let c = b * (values[j] - means[j])
      contributions[j] = c
      logit += b * values[j]
      // A reason also raises the risk against the typical value it quotes.
      if c > c2 && b * (values[j] - typicalValues[j]) > 0 {
        if c > c0 {
          (t2, c2, t1, c1) = (t1, c1, t0, c0)
          (t0, c0) = (j, c)
        } else if c > c1 {
          (t2, c2) = (t1, c1)
          (t1, c1) = (j, c)
        } else {
          (t2, c2) = (j, c)
        }
      }
    }
    e.reasons = (t0, t1, t2)
    e.reasonCount = t0 < 0 ? 0 : (t1 < 0 ? 1 : (t2 < 0 ? 2 : 3))
    e.probability = logistic(logit)
    e.riskBand = 1
    for cut in riskBandCuts where e.probability > cut { e.riskBand += 1 }
    e.stage = -1
    for (k, column) in stageColumns.enumerated() where values[column] == 1 { e.stage = k }
  }

  /// The next best action of a scored row, when the model has an uplift
  /// part (`clvStandardError`: of the row's `clv` feature, when known).
  func action(_ values: [Double], clvStandardError: Double? = nil) -> ActionChoice? {
    guard let columns = actionColumns, let uplift else { return nil }
    let d = uplift.decide(features: values, columns: columns, clvStandardError: clvStandardError)
    return ActionChoice(
      best: d.action.map { uplift.catalog.actions[$0].id } ?? "none",
      uplift: d.action.map { d.options[$0].uplift } ?? 0, netValue: d.action.map { d.options[$0].netValue } ?? 0,
      netValueStandardError: d.action.flatMap { d.options[$0].netValueStandardError }, value: d.value,
      valueStandardError: d.valueStandardError, reach: d.reach,
      runnerUp: d.runnerUp.map { uplift.catalog.actions[$0].id },
      reason: uplift.reason(for: d))
  }

  /// Scores one feature vector (in the model's feature order).
  public func score(customerID: String, values: [Double], clvStandardError: Double? = nil) -> Score {
    var e = makeEvaluation()
    evaluate(values, into: &e)
    let reasons = (0..<e.reasonCount).map { k in
      let j = e.reason(k)
      return Reason(
        feature: model.features[j], value: values[j], typical: typicalValues[j], contribution: e.contributions[j],
        phrase: phrases[j], typicalText: typicalTexts[j], index: j, never: neverValues[j])
    }
    return Score(
      customerID: customerID, probability: e.probability, riskBand: e.riskBand,
      reasons: reasons, stage: e.stage < 0 ? nil : stageFeatures[e.stage].stage, baselineLogOdds: baselineLogOdds,
      contributions: e.contributions, action: action(values, clvStandardError: clvStandardError))
  }
}
