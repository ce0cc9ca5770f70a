/// Why a `truth.json` cannot be used to judge a model against the truth.
public enum TruthFileError: Error, Equatable, Sendable, CustomStringConvertible {
  case unreadable(path: String)
  /// Not the JSON `churnkit generate` writes; `reason` is the decoder's.
  case notTruthFile(path: String, reason: String)
  /// The file has no generator settings to replay the simulation with.
  case lacksGeneratorSettings(path: String)
  /// The judge reads a feature the model does not have.
  case modelLacksFeature(String)
  /// The truth's effects depend on latent states the hazard judge cannot see.
  case latentEffectModifiers

  public var description: String {
    switch self {
    case .unreadable(let path): return "cannot read \(path)"
    case .notTruthFile(let path, let reason):
      return "\(path) is not a truth.json written by churnkit generate (\(reason))"
    case .lacksGeneratorSettings(let path):
      return "\(path) lacks the generator settings (customers, seed, days, start)"
    case .modelLacksFeature(let name): return "judging against truth.json needs the feature '\(name)'"
    case .latentEffectModifiers:
      return
        "the true action effects in this truth.json depend on each customer's latent satisfaction and usage, which the hazard judge cannot see; use --truth-method simulate"
    }
  }
}
