/// Why uplift cannot be learned or an uplift model cannot be used, with
/// what the message needs to say how to fix it.
public enum UpliftError: Error, Equatable, Sendable, CustomStringConvertible {
  /// Where a model refers to a feature by name.
  public enum FeatureUse: Equatable, Sendable {
    case effectModifier
    case actionCondition(action: String)
    case customerValue
    case reachability
  }

  /// The model refers to a feature it does not have.
  case missingFeature(String, use: FeatureUse)
  /// Customer value from revenue needs an amount window and tenure.
  case revenueFeaturesMissing
  /// The learner assumes treatments given at random.
  case learnerNeedsRandomAssignment(learner: String)
  /// The learner needs the time of each churn, which inactivity lacks.
  case learnerNeedsChurnEvent(learner: String)
  /// The log has too few customer-periods of one kind (with or without churn).
  case tooFewPeriods
  /// Fewer untreated rows than uplift needs.
  case tooFewUntreated(Int)
  /// The log was given on standard input, which cannot be read twice.
  case eventsFromStandardInput
  /// A catalog action the feature spec does not record as an intervention.
  case actionNotAnIntervention(String)
  /// The log does not span the history, horizon and window uplift needs.
  case logTooShort(horizonDays: Int, windowDays: Int)
  /// No event in the log is one of the catalog's actions.
  case noTreatment(path: String, actions: [String])
  /// Features rebuilt from the log do not match the churn model's.
  case featuresDiffer

  public var description: String {
    switch self {
    case .missingFeature(let name, .effectModifier):
      return "effect modifier '\(name)' is not among the model's features"
    case .missingFeature(let name, .actionCondition(let action)):
      return "action '\(action)': the model has no feature '\(name)'"
    case .missingFeature(let name, .customerValue):
      return "the value feature '\(name)' is not among the model's features"
    case .missingFeature(let name, .reachability):
      return "the silence feature '\(name)' the reachability reads is not among the model's features"
    case .revenueFeaturesMissing:
      return
        "customer value from revenue needs the features amount_sum_365d and days_since_first_event (an amount column and a 365-day window); or give --value-feature"
    case .learnerNeedsRandomAssignment(let learner):
      return
        "the \(learner) learner assumes treatments given at random: use --learner s or t with --assignment observational"
    case .learnerNeedsChurnEvent(let learner):
      return
        "the \(learner) learner needs the time of each churn (--churn-definition event:NAME): with inactivity use --learner s or t"
    case .tooFewPeriods:
      return "too few customer-periods with and without churn to fit the hazard learner"
    case .tooFewUntreated(let count):
      return "too few untreated rows (\(count)) to learn uplift"
    case .eventsFromStandardInput:
      return "learning uplift reads the event log several times: give it as a file, not standard input"
    case .actionNotAnIntervention(let action):
      return
        "action '\(action)' must be listed in the feature spec's \"interventions\" (e.g. models/feature-spec.json), so that the models see past treatments and cooldowns can be checked"
    case .logTooShort(let horizon, let window):
      return
        "the log is too short to learn uplift: it needs 60 days of history plus the \(horizon)-day horizon and a \(window)-day window"
    case .noTreatment(let path, let actions):
      return
        "\(path) has no treatment: no event type is one of the catalog's actions (\(actions.joined(separator: ", ")))"
    case .featuresDiffer:
      return "the features rebuilt for uplift differ from the churn model's"
    }
  }
}
