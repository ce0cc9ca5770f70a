import ChurnData
import ChurnDecisions
import ChurnModels

/// Checks a loaded model as a whole before anything uses it: every array's
/// length against the feature list, finite numbers where arithmetic needs
/// them, increasing cut points, the spec, the uplift part. A checksum only
/// says the file is as written; any tool can rewrite a file and its
/// checksum, so scoring and export rely on this check instead, and no code
/// path after it may trap on a model that passed.
struct ModelFileCheck {
  let path: String

  func check(_ model: ChurnModel) throws(ModelFileError) {
    try require(
      model.formatVersion >= 1, "formatVersion", "is \(model.formatVersion), not a format version (1 or more)")
    let p = model.features.count
    try require(p > 0, "features", "is empty")
    try unique(model.features, "features")
    try check(model.fit, "fit", among: model.features)
    for (k, d) in (model.fit.dropped ?? []).enumerated() {
      try require(model.features.contains(d.name), "fit.dropped[\(k)].name", "'\(d.name)' is not among the features")
    }
    let accounted = Set(model.fit.featureNames).union((model.fit.dropped ?? []).map(\.name))
    for (j, name) in model.features.enumerated() where !accounted.contains(name) {
      throw .invalid(
        path: path, field: "features[\(j)]",
        problem: "'\(name)' is neither among fit.terms (\(model.fit.terms.count - 1) features) nor in fit.dropped")
    }
    try check(model.reference, features: p)
    try check(model.training)
    if let spec = model.featureSpec { try check(spec) }
    if let uplift = model.uplift { try check(uplift, features: model.features) }
  }

  // MARK: - The parts

  /// A fit: the intercept first, finite coefficients, a square covariance of
  /// the terms, one mean and scale per feature, its features among `names`.
  func check(
    _ fit: LogisticRegressionFit, _ field: String, among names: [String]?, terms expected: Int? = nil
  ) throws(ModelFileError) {
    let n = fit.terms.count
    try require(
      n >= 1 && fit.terms[0].name == "(intercept)", "\(field).terms", "must start with the intercept term '(intercept)'"
    )
    if let expected {
      try require(n == expected, "\(field).terms", "has \(n) entries; this learner's fit needs \(expected)")
    }
    for (k, t) in fit.terms.enumerated() {
      try require(
        t.coefficient.isFinite, "\(field).terms[\(k)].coefficient", "is \(t.coefficient), not a finite number")
    }
    try require(fit.covariance.count == n, "\(field).covariance", "has \(fit.covariance.count) rows, the terms \(n)")
    for (k, row) in fit.covariance.enumerated() {
      try require(row.count == n, "\(field).covariance[\(k)]", "has \(row.count) entries, the terms \(n)")
    }
    try require(fit.means.count == n - 1, "\(field).means", "has \(fit.means.count) entries, the features \(n - 1)")
    try require(fit.scales.count == n - 1, "\(field).scales", "has \(fit.scales.count) entries, the features \(n - 1)")
    try unique(fit.featureNames, "\(field).terms")
    guard let names else { return }
    for (k, name) in fit.featureNames.enumerated() where !names.contains(name) {
      throw .invalid(
        path: path, field: "\(field).terms[\(k + 1)].name", problem: "'\(name)' is not among the model's features")
    }
  }

  func check(_ reference: ChurnModel.Reference, features p: Int) throws(ModelFileError) {
    try finite(reference.featureMeans, "reference.featureMeans", count: p)
    try finite(reference.riskBandCuts, "reference.riskBandCuts", count: 9)
    try increasing(reference.riskBandCuts, "reference.riskBandCuts", strictly: false)
    try check(reference.score, "reference.score")
    try require(
      reference.features.count == p, "reference.features", "has \(reference.features.count) entries, features has \(p)")
    for (j, d) in reference.features.enumerated() { try check(d, "reference.features[\(j)]") }
    if let typical = reference.typicalValues { try finite(typical, "reference.typicalValues", count: p) }
  }

  func check(_ d: DistributionReference, _ field: String) throws(ModelFileError) {
    try finite(d.cuts, "\(field).cuts")
    try increasing(d.cuts, "\(field).cuts", strictly: true)
    try finite(d.shares, "\(field).shares", count: d.cuts.count + 1)
    for (k, s) in d.shares.enumerated() {
      try require(s >= 0 && s <= 1, "\(field).shares[\(k)]", "is \(s), not a share between 0 and 1")
    }
  }

  func check(_ training: ChurnModel.Training) throws(ModelFileError) {
    try require(
      training.horizonDays >= 0 && training.horizonDays <= 36_500, "training.horizonDays",
      "is \(training.horizonDays), not 0 to 36500 days")
    if let days = training.activeWithinDays {
      try require(days >= 1 && days <= 36_500, "training.activeWithinDays", "is \(days), not 1 to 36500 days")
    }
    for (k, text) in training.cutoffs.enumerated() {
      do { _ = try Cutoff(parsing: text) } catch {
        throw .invalid(path: path, field: "training.cutoffs[\(k)]", problem: "'\(text)' is not a date or date-time")
      }
    }
  }

  func check(_ spec: FeatureSpec) throws(ModelFileError) {
    do { try spec.validate() } catch {
      throw .invalid(path: path, field: "featureSpec", problem: "\(error)")
    }
    if let stageChurn = spec.stageChurn, let probabilities = stageChurn.probabilities {
      try finite(probabilities, "featureSpec.stage_churn.probabilities", count: spec.stages.count)
    }
  }

  /// The uplift part: one entry per action in every per-action list, fits
  /// whose terms are what the learner reads.
  func check(_ uplift: UpliftModel, features names: [String]) throws(ModelFileError) {
    let actions = uplift.catalog.actions.count
    try require(actions > 0, "uplift.catalog.actions", "is empty")
    for (field, problem) in uplift.learner.structureProblems(actions: actions) {
      throw .invalid(path: path, field: field, problem: problem)
    }
    try require(
      uplift.effects.count == actions, "uplift.effects", "has \(uplift.effects.count) entries, the actions \(actions)")
    for (a, list) in uplift.learner.effectModifiers.enumerated() {
      for m in list where !names.contains(m) {
        throw .invalid(
          path: path, field: "uplift.\(uplift.learner.kind.rawValue).effectModifiers[\(a)]",
          problem: "'\(m)' is not among the model's features")
      }
    }
    if let reach = uplift.reachability {
      if let problem = reach.shapeProblem(stages: uplift.stages.count) {
        throw .invalid(path: path, field: "uplift.reachability", problem: problem)
      }
      for f in reach.silenceFeatures where !names.contains(f) {
        throw .invalid(
          path: path, field: "uplift.reachability.silenceFeatures", problem: "'\(f)' is not among the model's features")
      }
    }
    for (a, effect) in uplift.effects.enumerated() {
      try require(
        effect.stages.count == uplift.stages.count, "uplift.effects[\(a)].stages",
        "has \(effect.stages.count) entries, uplift.stages \(uplift.stages.count)")
    }
    // A value feature has no expected days (a model trained with
    // --value-feature or a repeat-purchase spec); the revenue value one per stage.
    try require(
      uplift.value.source == .feature || uplift.value.expectedDays.count == uplift.stages.count,
      "uplift.value.expectedDays",
      "has \(uplift.value.expectedDays.count) entries, uplift.stages \(uplift.stages.count)")
    if let se = uplift.value.expectedDaysStandardError {
      try finite(se, "uplift.value.expectedDaysStandardError", count: uplift.stages.count)
    }
    for (field, figure) in [
      ("expectedDaysWithoutStageStandardError", uplift.value.expectedDaysWithoutStageStandardError),
      ("monthlyDiscountRate", uplift.value.monthlyDiscountRate),
    ] {
      if let figure {
        try require(figure.isFinite && figure >= 0, "uplift.value.\(field)", "is \(figure), not a finite number ≥ 0")
      }
    }
    for shape in uplift.learner.fitShapes(features: names) {
      try check(shape.fit, shape.field, among: shape.featureNames, terms: shape.terms)
    }
  }

  // MARK: - Helpers

  func require(_ condition: Bool, _ field: String, _ problem: @autoclosure () -> String) throws(ModelFileError) {
    if !condition { throw .invalid(path: path, field: field, problem: problem()) }
  }

  func finite(_ values: [Double], _ field: String, count: Int? = nil) throws(ModelFileError) {
    if let count { try require(values.count == count, field, "has \(values.count) entries, not \(count)") }
    for (k, v) in values.enumerated() { try require(v.isFinite, "\(field)[\(k)]", "is \(v), not a finite number") }
  }

  func increasing(_ values: [Double], _ field: String, strictly: Bool) throws(ModelFileError) {
    for k in values.indices.dropFirst() {
      let ok = strictly ? values[k] > values[k - 1] : values[k] >= values[k - 1]
      try require(ok, "\(field)[\(k)]", "is \(values[k]), below the one before it (\(values[k - 1]))")
    }
  }

  func unique(_ names: [String], _ field: String) throws(ModelFileError) {
    var seen: Set<String> = []
    for (k, name) in names.enumerated() {
      try require(seen.insert(name).inserted, "\(field)[\(k)]", "'\(name)' appears twice")
    }
  }
}

/// A model file that cannot be used.
public enum ModelFileError: Error, Equatable, CustomStringConvertible {
  case unreadable(path: String)
  /// Not JSON (`detail`: where it stops), or JSON without a model's
  /// `model.formatVersion`.
  case notAModel(path: String, detail: String)
  case newerFormat(path: String, version: Int, supported: Int)
  /// The JSON does not decode: where, and what was expected.
  case damaged(path: String, detail: String)
  case checksumMismatch(path: String)
  /// It decodes and its checksum matches, but a field contradicts the rest.
  case invalid(path: String, field: String, problem: String)

  public var description: String {
    switch self {
    case .unreadable(let path): return "cannot read model \(path)"
    case .notAModel(let path, let detail): return "\(path) is not a ChurnKit model file: \(detail)"
    case .newerFormat(let path, let version, let supported):
      return "\(path) has model format \(version), newer than this churnkit reads (\(supported)): upgrade churnkit"
    case .damaged(let path, let detail): return "\(path) is damaged: \(detail)"
    case .checksumMismatch(let path): return "\(path) is damaged: its checksum does not match its contents"
    case .invalid(let path, let field, let problem):
      return "\(path): model.\(field) \(problem); the file was changed after training: retrain, or restore it"
    }
  }
}
