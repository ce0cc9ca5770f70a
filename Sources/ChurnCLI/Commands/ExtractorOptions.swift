import ChurnData
import ChurnModels

/// The options that define features and labels from an event log —
/// cutoffs, `--horizon`, `--churn-definition`, `--spec`, `--observed-until`,
/// `--active-within` — as one `FeatureExtractor` (train and survival).
enum ExtractorOptions {
  static func extractor(_ arguments: ParsedArguments) throws -> FeatureExtractor {
    guard let horizonText = arguments.value("horizon") else { throw CLIError.missingOption("horizon") }
    let spec = try arguments.value("spec").map(FeatureSpec.load(path:)) ?? FeatureSpec()
    var extractor = FeatureExtractor(
      spec: spec, cutoffs: try CutoffOptions.cutoffs(from: arguments), horizon: try Duration(parsing: horizonText),
      churnDefinition: try ChurnDefinition(parsing: arguments.value("churn-definition")!))
    extractor.useFeatureModels()
    extractor.observedUntil = try ObservationOption.value(arguments)
    extractor.activeWithin = try ActiveWithinOption.value(arguments, churn: extractor.churnDefinition)
    return extractor
  }
}

/// `--holdout` and `--seed`: the share of customers held out, by a seeded
/// hash of their id.
enum HoldoutOption {
  /// The seed, checked whether or not a holdout is asked for.
  static func seed(_ arguments: ParsedArguments) throws -> UInt64 {
    let text = arguments.value("seed")!
    guard let seed = UInt64(text) else {
      throw CLIError.invalidValue(option: "seed", value: text, reason: "expected a whole number ≥ 0")
    }
    return seed
  }

  static func fraction(_ arguments: ParsedArguments) throws -> Double? {
    guard let text = arguments.value("holdout") else { return nil }
    guard let f = Double(text), f > 0, f < 1 else {
      throw CLIError.invalidValue(
        option: "holdout", value: text, reason: "expected a fraction between 0 and 1, e.g. 0.3")
    }
    return f
  }
}
