import ChurnModels
import Foundation

extension UpliftModel {
  /// The learners, by the name the command line and the model file use.
  public enum Learner: String, Sendable, Codable, CaseIterable {
    /// One model per action and one for untreated customers.
    case t
    /// One model per action with treatment × feature interactions.
    case s
    /// One model of the churn hazard per period with each action's
    /// exposure, and exposure × effect modifiers, as inputs.
    case hazard
    /// Cross-fitted outcome and propensity models, the AIPW pseudo-outcome
    /// regressed on the features.
    case dr

    /// The learner that fits models of this kind.
    var estimator: any UpliftLearner {
      switch self {
      case .t: TLearner()
      case .s: SLearner()
      case .hazard: HazardLearner()
      case .dr: DRLearner()
      }
    }
  }
}

/// A fitted learner as the model file holds it: the kind as a tag
/// (`"learner": "s"`) and its models under a key of that name
/// (`"s": {…}`). The one place that tells the kinds apart; everything
/// else asks the learner (`FittedUpliftLearner`).
public enum FittedLearner: Sendable {
  case t(TLearnerFit)
  case s(SLearnerFit)
  case hazard(HazardLearnerFit)
  case dr(DRLearnerFit)

  var fitted: any FittedUpliftLearner {
    switch self {
    case .t(let fit): fit
    case .s(let fit): fit
    case .hazard(let fit): fit
    case .dr(let fit): fit
    }
  }

  public var kind: UpliftModel.Learner {
    switch self {
    case .t: .t
    case .s: .s
    case .hazard: .hazard
    case .dr: .dr
    }
  }

  mutating func bind(features names: [String]) throws(UpliftError) {
    switch self {
    case .t(var fit):
      try fit.bind(features: names)
      self = .t(fit)
    case .s(var fit):
      try fit.bind(features: names)
      self = .s(fit)
    case .hazard(var fit):
      try fit.bind(features: names)
      self = .hazard(fit)
    case .dr(var fit):
      try fit.bind(features: names)
      self = .dr(fit)
    }
  }

  /// The DR learner's training rows' pseudo-outcomes (empty for other learners or a loaded model).
  public var pseudoOutcomes: [PseudoOutcome] {
    if case .dr(let fit) = self { return fit.pseudoOutcomes }
    return []
  }

  /// Per action, the features its effect varies with.
  public var effectModifiers: [[String]] { fitted.effectModifiers }
  /// One line naming the learner and its outcome, for reports.
  public func heading(horizonDays: Int, windowDays: Int) -> String {
    fitted.heading(horizonDays: horizonDays, windowDays: windowDays)
  }
  /// What its log-odds effects are effects on ("" for churn within the
  /// horizon; nil: its effects are churn differences).
  public var logOddsScale: String? { fitted.logOddsScale }
  /// How many days action `a` works, when the learner knows.
  public func effectDays(_ a: Int) -> Int? { fitted.effectDays(a) }
  /// Advice when the learner is a poor choice for this many treatments.
  public func advice(medianTreatedRows: Int) -> String? { fitted.advice(medianTreatedRows: medianTreatedRows) }
  /// The fits the model file holds, with the terms each must have.
  public func fitShapes(features names: [String]) -> [FitShape] {
    fitted.fitShapes(features: names, field: "uplift.\(kind.rawValue)")
  }
  /// What in the learner's part of a model file does not fit `actions` actions.
  public func structureProblems(actions: Int) -> [(field: String, problem: String)] {
    fitted.structureProblems(actions: actions, field: "uplift.\(kind.rawValue)")
  }
}

// MARK: - The model file

extension FittedLearner {
  enum Key: String, CodingKey { case learner, t, s, hazard, dr }

  init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: Key.self)
    switch try container.decode(UpliftModel.Learner.self, forKey: .learner) {
    case .t: self = .t(try container.decode(TLearnerFit.self, forKey: .t))
    case .s: self = .s(try container.decode(SLearnerFit.self, forKey: .s))
    case .hazard: self = .hazard(try container.decode(HazardLearnerFit.self, forKey: .hazard))
    case .dr: self = .dr(try container.decode(DRLearnerFit.self, forKey: .dr))
    }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: Key.self)
    try container.encode(kind, forKey: .learner)
    switch self {
    case .t(let fit): try container.encode(fit, forKey: .t)
    case .s(let fit): try container.encode(fit, forKey: .s)
    case .hazard(let fit): try container.encode(fit, forKey: .hazard)
    case .dr(let fit): try container.encode(fit, forKey: .dr)
    }
  }

  /// Format 2 and before: `learner`, `control`, `treated`,
  /// `effectModifiers` and (hazard) `hazard: {periodDays, effectDays}`
  /// beside the rest of the uplift model, the hazard model as `control`.
  struct FormatTwo: Codable {
    var learner: UpliftModel.Learner
    var control: LogisticRegressionFit
    var treated: [LogisticRegressionFit?]
    var effectModifiers: [[String]]
    var hazard: Terms?

    struct Terms: Codable {
      var periodDays: Int
      var effectDays: [Int]
    }

    /// Whether `decoder` holds the uplift model in this layout.
    static func isUsed(by decoder: any Decoder) throws -> Bool {
      enum Probe: String, CodingKey { case control }
      return try decoder.container(keyedBy: Probe.self).contains(.control)
    }

    init(_ learner: FittedLearner) {
      self.learner = learner.kind
      effectModifiers = learner.effectModifiers
      switch learner {
      case .t(let fit): (control, treated) = (fit.control, fit.treated)
      case .s(let fit): (control, treated) = (fit.control, fit.treated)
      case .hazard(let fit):
        (control, treated) = (fit.model, Array(repeating: nil, count: fit.effectDays.count))
        hazard = Terms(periodDays: fit.periodDays, effectDays: fit.effectDays)
      // Format 2 came before the DR learner: no file in it holds one (`learnerNow` refuses the tag).
      case .dr(let fit): (control, treated) = (fit.control, Array(repeating: nil, count: fit.effects.count))
      }
    }

    var learnerNow: FittedLearner {
      get throws {
        switch learner {
        case .t: return .t(TLearnerFit(control: control, treated: treated))
        case .s: return .s(SLearnerFit(control: control, treated: treated, effectModifiers: effectModifiers))
        case .dr:
          throw DecodingError.dataCorrupted(
            DecodingError.Context(codingPath: [], debugDescription: "format 2 came before the dr learner"))
        case .hazard:
          guard let hazard else {
            throw DecodingError.keyNotFound(
              CodingKeysOfTwo.hazard,
              DecodingError.Context(codingPath: [], debugDescription: "the hazard learner needs its periods"))
          }
          return .hazard(
            HazardLearnerFit(
              model: control, periodDays: hazard.periodDays, effectDays: hazard.effectDays,
              effectModifiers: effectModifiers))
        }
      }
    }

    enum CodingKeysOfTwo: String, CodingKey { case hazard }
  }
}
