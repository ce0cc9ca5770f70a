import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// From an event log to a `SurvivalModel`: the features at one cutoff, each
/// customer's days to churn after it (`ChurnTimes`, a second pass over the
/// file), a holdout of customers, Cox's fit and its concordance.
///
/// ```swift
/// var reader = try EventLogReader(path: "events.csv", schema: EventSchema())
/// let trainer = SurvivalTrainer(
///   extractor: FeatureExtractor(cutoffs: [cutoff], horizon: horizon, churnDefinition: .inactivity))
/// let model = try trainer.train(from: &reader, customers: nil, issues: &issues)
/// ```
public struct SurvivalTrainer: Sendable {
  public var extractor: FeatureExtractor
  public var fitter = SurvivalFitter()

  public init(extractor: FeatureExtractor) { self.extractor = extractor }

  public struct Outcome: Sendable {
    public let model: SurvivalModel
    /// The fitted rows (training and holdout), for `--table-out`.
    public let table: SurvivalTable
    public let customerIDs: [String]
    public let vocabularyNotes: [String]
  }

  public func train(
    from reader: inout EventLogReader, customers: CustomerTable?, issues: inout IssueLog
  ) throws -> Outcome {
    guard extractor.cutoffs.count == 1, let cutoff = extractor.cutoffs.first else {
      throw TrainingError.noCutoff
    }
    guard reader.path != "-" else {
      throw FeatureError.missingInput("survival reads the event log twice: give it as a file, not standard input")
    }
    let set = try extractor.extract(from: &reader, customers: customers, issues: &issues)
    var ignored = IssueLog(limit: 0)  // the first pass reported the rows
    let times = try ChurnTimes(
      path: reader.path, schema: reader.schema, cutoff: cutoff, horizon: extractor.horizon,
      definition: extractor.churnDefinition, countsAsActivity: set.spec.countsAsActivity,
      observedUntil: extractor.observedUntil, issues: &ignored)
    let followed = set.rows.indices.filter { times.followUp(of: set.rows[$0].customerID) != nil }
    let ids = followed.map { set.rows[$0].customerID }
    let followUps = ids.map { times.followUp(of: $0)! }
    let table = SurvivalTable(
      names: set.featureNames, durations: followUps.map(\.days), churned: followUps.map(\.churned),
      covariates: set.matrix(rows: followed).x)
    var training = SurvivalModel.Training(
      source: reader.path, cutoff: cutoff.description, horizonDays: extractor.horizon.days,
      churnDefinition: extractor.churnDefinition.description, observedUntil: times.observedUntil.description,
      rows: 0, churns: 0, skippedRows: set.rows.count - followed.count)
    let fit = try fitter.fit(table, ids: ids, recording: &training)
    return Outcome(
      model: SurvivalModel(featureSpec: set.spec, fit: fit, training: training), table: table, customerIDs: ids,
      vocabularyNotes: set.vocabularyNotes)
  }
}

/// Cox's fit on the customers not held out, and its concordance on those
/// that are: the part of training that a table the user brings shares with
/// an event log.
public struct SurvivalFitter: Sendable {
  public var estimator = CoxProportionalHazards()
  /// The share of customers held out (a seeded hash of their id), if any.
  public var holdout: (fraction: Double, seed: UInt64)?

  public init() {}

  /// Fits the rows not held out and evaluates the held-out ones, noting
  /// both in `training`. `ids` split the holdout (one per row).
  public func fit(
    _ table: SurvivalTable, ids: [String], recording training: inout SurvivalModel.Training
  ) throws -> FittedCox {
    let (trainingRows, heldRows) = split(ids)
    let churns = trainingRows.reduce(0) { $0 + (table.churned[$1] ? 1 : 0) }
    guard churns > 0 else {
      throw TrainingError.noChurnInFollowUp(
        customers: trainingRows.count, observedUntil: training.observedUntil ?? "the end of the data")
    }
    let fit = try estimator.fit(table.selectingRows(trainingRows))
    training.rows = trainingRows.count
    training.churns = fit.churns
    if let holdout, !heldRows.isEmpty {
      let held = table.selectingRows(heldRows)
      training.holdout = "\(holdout.fraction) of customers (seed \(holdout.seed))"
      training.holdoutRows = held.rows
      training.holdoutChurns = held.churns
      training.holdoutConcordance = SurvivalFitter.concordance(of: fit, on: held)
      let fitted = table.selectingRows(trainingRows)
      if let (days, score, reference) = SurvivalFitter.brier(
        of: fit, trainedOn: fitted, on: held, upTo: training.horizonDays)
      {
        (training.brierDays, training.holdoutIntegratedBrierScore, training.holdoutBrierReference) = (
          days, score, reference
        )
      }
    }
    return fit
  }

  /// The integrated Brier score of the fit and of the training customers'
  /// Kaplan–Meier curve on `held`, over whole days 1 to D: the horizon,
  /// within the held-out follow-up. nil when D < 2.
  static func brier(
    of fit: FittedCox, trainedOn training: SurvivalTable, on held: SurvivalTable, upTo horizon: Int?
  ) -> (days: Int, score: Double, reference: Double)? {
    let longest = held.durations.max() ?? 0
    let days = min(horizon ?? Int.max, Int(longest.rounded(.up)) - 1, Int(fit.longestFollowUp.rounded(.down)))
    guard days >= 2 else { return nil }
    let times = (1...days).map(Double.init)
    let positions = fit.names.map { held.names.firstIndex(of: $0)! }
    let values = (0..<held.rows).map { i in positions.map { held.covariates[i, $0] } }
    let pair = (training.durations, training.churned)
    let curve = SurvivalCurve(durations: training.durations, churned: training.churned)
    guard
      let model = IntegratedBrierScore(
        training: pair, durations: held.durations, churned: held.churned, times: times,
        survival: { i, t in fit.survival(at: t, for: values[i]) ?? .nan }),
      let reference = IntegratedBrierScore(
        training: pair, durations: held.durations, churned: held.churned, times: times,
        survival: { _, t in curve.survival(at: t) ?? .nan })
    else { return nil }
    return (days, model.integrated, reference.integrated)
  }

  /// The survival curves of `table`'s rows, all and by the values of the
  /// covariate `column` (at most `maxGroups` of them), with the log-rank
  /// test between the groups.
  public static func curves(
    of table: SurvivalTable, by column: String?, maxGroups: Int = 20
  ) throws(TrainingError) -> (curves: [SurvivalModel.NamedCurve], logRank: LogRankTest?) {
    let all = SurvivalModel.NamedCurve(
      group: "all", curve: SurvivalCurve(durations: table.durations, churned: table.churned))
    guard let column else { return ([all], nil) }
    let labels = try groupLabels(of: table, by: column, maxGroups: maxGroups)
    let groups = Array(Set(labels)).sorted()
    guard groups.count <= maxGroups else { throw .tooManyGroups(column, count: groups.count, limit: maxGroups) }
    var curves = [all]
    for group in groups {
      let rows = labels.indices.filter { labels[$0] == group }
      curves.append(
        .init(
          group: group,
          curve: SurvivalCurve(durations: rows.map { table.durations[$0] }, churned: rows.map { table.churned[$0] })))
    }
    return (curves, LogRankTest(durations: table.durations, churned: table.churned, groups: labels))
  }

  /// A covariate with many values in its quartile groups (numpy's linear
  /// quantiles; the labels show the edges to 6 digits): "Q1 (≤ 12)",
  /// "Q2 (≤ 40)", "Q3 (≤ 90)", "Q4 (> 90)".
  static func quartiles(_ values: [Double]) -> [String] {
    let edges = Quantiles.linear(values, at: [0.25, 0.5, 0.75])
    let shown = edges.map { String(format: "%.6g", $0) }
    return values.map { v in
      if let k = edges.firstIndex(where: { v <= $0 }) { return "Q\(k + 1) (≤ \(shown[k]))" }
      return "Q4 (> \(shown[2]))"
    }
  }

  /// Each row's group: the value of the covariate `column` (its quartile
  /// group when it has more than `maxGroups` values), or — for a
  /// categorical column one-hot encoded as `column_<category>` (a customers
  /// table's `plan`, the current `stage`) — the category whose column is 1.
  static func groupLabels(
    of table: SurvivalTable, by column: String, maxGroups: Int
  ) throws(TrainingError) -> [String] {
    if let j = table.names.firstIndex(of: column) {
      let values = table.covariates.column(j)
      guard Set(values).count > maxGroups else { return values.map(CSVFormatting.number) }
      return quartiles(values)
    }
    let prefix = column + "_"
    let family = table.names.indices.filter { table.names[$0].hasPrefix(prefix) }
    let oneHot =
      !family.isEmpty
      && (0..<table.rows).allSatisfy { i in
        family.allSatisfy { table.covariates[i, $0] == 0 || table.covariates[i, $0] == 1 }
          && family.reduce(0.0) { $0 + table.covariates[i, $1] } == 1
      }
    guard oneHot else { throw .unknownGroupColumn(column, available: table.names) }
    return (0..<table.rows).map { i in
      let j = family.first { table.covariates[i, $0] == 1 }!
      return String(table.names[j].dropFirst(prefix.count))
    }
  }

  /// Harrell's C of the fit's partial hazard on `table` (its columns in
  /// any order; the fit's features picked by name).
  public static func concordance(of fit: FittedCox, on table: SurvivalTable) -> Double? {
    let positions = fit.names.map { table.names.firstIndex(of: $0)! }
    let risks = (0..<table.rows).map { i in
      fit.logPartialHazard(positions.map { table.covariates[i, $0] })
    }
    return concordanceIndex(durations: table.durations, scores: risks.map { -$0 }, churned: table.churned)
  }

  /// The rows fitted and the rows held out.
  public func split(_ ids: [String]) -> (training: [Int], holdout: [Int]) {
    guard let holdout else { return (Array(ids.indices), []) }
    var training: [Int] = [], held: [Int] = []
    for (i, id) in ids.enumerated() {
      if CustomerHoldout.contains(id, fraction: holdout.fraction, seed: holdout.seed) {
        held.append(i)
      } else {
        training.append(i)
      }
    }
    return (training, held)
  }
}
