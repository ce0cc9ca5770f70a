import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// What each action does to churn, for whom, and what that is worth: the
/// fitted next-best-action model, saved inside the churn model file.
///
/// Per action a and customer x: the T-learner's uplift τ̂(x) = p_control(x) −
/// p_a(x) (churn prevented within the horizon), shrunk toward the action's
/// effect in the customer's stage (empirical Bayes: τ = τ_s + w_s (τ̂ − τ_s),
/// w_s = σ² / (σ² + v̄_s), σ² the spread of true effects, v̄_s the sampling
/// variance of τ̂ in that stage); then expected net value = τ · value − cost.
/// `docs/actions.md` has the derivations.
///
/// ```swift
/// let decision = model.uplift!.decide(features: x, columns: columns)
/// decision.action.map { catalog.actions[$0].id } ?? "none"
/// ```
public struct UpliftModel: Sendable, Codable {
  public var catalog: ActionCatalog
  /// Outcome: churn within this many days of the treatment.
  public var horizonDays: Int
  /// Treatments in the `windowDays` after a snapshot count for it.
  public var windowDays: Int
  public var assignment: Assignment
  /// The fitted learner: what an action does to a customer's churn.
  public var learner: FittedLearner
  public var effects: [ActionEffects]
  public var value: CustomerValue
  public var propensity: [PropensityDiagnostics]
  public var evaluation: UpliftEvaluation
  public var stages: [String]
  /// Stage-level effects from the stage chain: per action and stage, churn
  /// and advance rates within the horizon after the action against the
  /// stage's baseline.
  public var stageTransitions: [ActionStageEffect] = []
  /// Who is still there to be reached: scales each option's expected gain
  /// (nil: every customer counts as reachable, as with churn by inactivity
  /// or a model saved before it).
  public var reachability: Reachability?
  /// Read from a format-2 file: written back in that layout, so that its
  /// checksum can be verified.
  private var inFormatTwo = false

  public init(
    catalog: ActionCatalog, horizonDays: Int, windowDays: Int, assignment: Assignment, learner: FittedLearner,
    effects: [ActionEffects], value: CustomerValue, propensity: [PropensityDiagnostics],
    evaluation: UpliftEvaluation, stages: [String]
  ) {
    self.catalog = catalog
    self.horizonDays = horizonDays
    self.windowDays = windowDays
    self.assignment = assignment
    self.learner = learner
    self.effects = effects
    self.value = value
    self.propensity = propensity
    self.evaluation = evaluation
    self.stages = stages
  }

  public enum Assignment: String, Sendable, Codable, CaseIterable {
    /// Treatments were assigned at random (within eligibility).
    case random
    /// Not at random: fits are weighted by inverse propensity.
    case observational
  }

  /// Effect of one action overall and per stage (churn prevented within the
  /// horizon: control churn rate − treated churn rate).
  public struct ActionEffects: Sendable, Codable {
    public var action: String
    public var treatedRows: Int
    public var overall: Double
    public var overallStandardError: Double
    public var stages: [StageEffect]
    /// σ²: variance of true per-customer effects (method of moments, ≥ 0);
    /// on the log-odds scale for the S-learner.
    public var heterogeneityVariance: Double
    /// What the effect varies with, and how much (log-odds learners; nil
    /// in model files from before, or for the T-learner).
    public var modifiers: [ModifierEffect]?
    /// The share of eligible customers for whom the model expects the
    /// action to raise churn (log-odds learners).
    public var harmedShare: Double?

    public init(
      action: String, treatedRows: Int, overall: Double, overallStandardError: Double, stages: [StageEffect],
      heterogeneityVariance: Double
    ) {
      self.action = action
      self.treatedRows = treatedRows
      self.overall = overall
      self.overallStandardError = overallStandardError
      self.stages = stages
      self.heterogeneityVariance = heterogeneityVariance
    }
  }

  /// One effect modifier of an action: its interaction coefficient on the
  /// log-odds of churn (negative: the action prevents more churn the
  /// higher the feature), and how far it moves the effect across customers.
  public struct ModifierEffect: Sendable, Codable, Equatable {
    public var feature: String
    public var coefficient: Double
    public var standardError: Double
    /// The feature's mean less and plus one standard deviation among
    /// eligible customers (percentiles would say nothing of a sparse
    /// count); 0 and 1 for a 0/1 feature.
    public var low: Double
    public var high: Double
    /// Whether the feature takes only the values 0 and 1 (a one-hot level).
    public var binary: Bool

    /// The change in the log-odds effect across those two customers.
    public var effectChange: Double { coefficient * (high - low) }

    /// "works better the lower sentiment_mean_30d", "works less well where plan_basic is 1".
    public var reading: String {
      binary
        ? "works \(coefficient < 0 ? "better" : "less well") where \(feature) is 1"
        : "works better the \(coefficient < 0 ? "higher" : "lower") \(feature)"
    }
  }

  public struct StageEffect: Sendable, Codable {
    public var stage: String
    public var treatedRows: Int
    public var controlRows: Int
    /// The direct difference in this stage (nil without rows on both sides).
    public var direct: Double?
    public var standardError: Double?
    /// The direct difference shrunk toward the action's overall effect.
    public var prior: Double
    /// Weight of a customer's own estimate against the prior (0…1); the
    /// S-learner weighs each customer by their own variance instead.
    public var customerWeight: Double
    /// S-learner: the mean log-odds effect of the stage's customers, the
    /// prior their own log-odds effects are shrunk toward.
    public var logOddsPrior: Double?

    public init(
      stage: String, treatedRows: Int, controlRows: Int, direct: Double? = nil, standardError: Double? = nil,
      prior: Double,
      customerWeight: Double, logOddsPrior: Double? = nil
    ) {
      self.stage = stage
      self.treatedRows = treatedRows
      self.controlRows = controlRows
      self.direct = direct
      self.standardError = standardError
      self.prior = prior
      self.customerWeight = customerWeight
      self.logOddsPrior = logOddsPrior
    }
  }

  public struct PropensityDiagnostics: Sendable, Codable {
    public var action: String
    public var treatedRows: Int
    public var controlRows: Int
    /// AUC of the propensity model (≈ 0.5: assignment looks random).
    public var auc: Double
    /// Range and quartiles of the propensity among treated and control rows.
    public var treatedQuantiles: [Double]
    public var controlQuantiles: [Double]
    /// Share of rows whose propensity was clipped to [clip, 1 − clip].
    public var clippedShare: Double
    public var clip: Double
    /// Kish effective sample size of the treated rows' weights.
    public var effectiveTreatedRows: Double
  }

  /// Holdout evaluation: ranking quality per action and the value of policies.
  public struct UpliftEvaluation: Sendable, Codable {
    public var holdout: String
    public var actions: [ActionRanking]
    public var policies: [PolicyValue]

    public init(holdout: String, actions: [ActionRanking], policies: [PolicyValue]) {
      self.holdout = holdout
      self.actions = actions
      self.policies = policies
    }
  }

  public struct ActionRanking: Sendable, Codable {
    public var action: String
    public var treatedRows: Int
    public var controlRows: Int
    public var qiniCoefficient: Double
    public var upliftAUC: Double
    /// The Qini curve at up to 21 points: share targeted, incremental retained.
    public var curveTargeted: [Double]
    public var curveQini: [Double]
    /// The uplift curve at the same points (nil in models saved before it
    /// was kept).
    public var curveUplift: [Double]? = nil
  }

  /// A policy's value per customer against doing nothing, estimated by
  /// self-normalised inverse propensity weighting on the holdout.
  public struct PolicyValue: Sendable, Codable {
    public var policy: String
    public var treatedShare: Double
    public var netValuePerCustomer: Double
    public var lower95: Double
    public var upper95: Double
    public var churnPreventedPerCustomer: Double
  }

  /// One action's figures for one customer.
  public struct Option: Sendable {
    public let action: Int
    /// Why it is not an option (nil: eligible).
    public let ineligibleBecause: String?
    public let churnWithout: Double
    public let churnWith: Double
    /// Churn prevented (shrunk estimate).
    public let uplift: Double
    public let netValue: Double
    /// The net value's standard error from the customer value's (|uplift| ×
    /// its SE); nil where the value's is not estimated.
    public let netValueStandardError: Double?

    public init(
      action: Int, ineligibleBecause: String?, churnWithout: Double, churnWith: Double, uplift: Double,
      netValue: Double, netValueStandardError: Double?
    ) {
      (self.action, self.ineligibleBecause, self.churnWithout, self.churnWith) =
        (action, ineligibleBecause, churnWithout, churnWith)
      (self.uplift, self.netValue, self.netValueStandardError) = (uplift, netValue, netValueStandardError)
    }
  }

  public struct Decision: Sendable {
    /// The best action with a positive net value (nil: none).
    public let action: Int?
    /// The next best eligible action, if any.
    public let runnerUp: Int?
    public let value: Double
    /// The value's standard error (nil: not estimated).
    public let valueStandardError: Double?
    /// The chance the customer is still there to be reached
    /// (`Reachability`; 1 without one): it scales every option's gain.
    public var reach = 1.0
    public let options: [Option]

    /// The decision over `options`: the eligible one with the largest net
    /// value (ties to the earlier action) when it is positive, and the next.
    public init(value: Double, valueStandardError: Double?, reach: Double = 1, options: [Option]) {
      self.reach = reach
      let ranked = options.filter { $0.ineligibleBecause == nil }.sorted {
        ($0.netValue, -$0.action) > ($1.netValue, -$1.action)
      }
      let best = ranked.first.flatMap { $0.netValue > 0 ? $0.action : nil }
      let runnerUp = best == nil ? ranked.first?.action : (ranked.count > 1 ? ranked[1].action : nil)
      (action, self.runnerUp, self.value, self.valueStandardError, self.options) =
        (best, runnerUp, value, valueStandardError, options)
    }
  }

  /// Feature positions the decisions read.
  public struct Columns: Sendable {
    public let stages: [Int?]
    public let daysSinceTreatment: [Int?]
    public let conditions: [[Int]]
    let value: CustomerValue.Columns
    /// Where the reachability's silence is read (empty: no reachability).
    public let silence: [Int]
    let names: [String]
  }

  /// What customer value means, with the catalog's conversion values:
  /// "revenue per day × …; without value yet: awareness 40, consideration 80".
  public var valueDescription: String {
    let converted = stages.compactMap { s in catalog.conversionValues[s].map { "\(s) \(NumberText.compact($0))" } }
    return value.description
      + (converted.isEmpty
        ? "" : "; customers without value yet, the catalog's conversion value: " + converted.joined(separator: ", "))
  }

  /// Resolves the effect modifiers' positions; call once after loading.
  public mutating func bind(features names: [String]) throws(UpliftError) {
    try learner.bind(features: names)
  }

  public func columns(for names: [String]) throws(UpliftError) -> Columns {
    let index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { a, _ in a })
    var conditions: [[Int]] = []
    for a in catalog.actions {
      var list: [Int] = []
      for c in a.conditions {
        guard let j = index[c.feature] else {
          throw .missingFeature(c.feature, use: .actionCondition(action: a.id))
        }
        list.append(j)
      }
      conditions.append(list)
    }
    return Columns(
      stages: stages.map { index["stage_\($0)"] },
      daysSinceTreatment: catalog.actions.map { index["days_since_treatment_\($0.id)"] },
      conditions: conditions, value: try value.columns(in: names),
      silence: try reachability?.columns(in: names) ?? [], names: names)
  }

  /// The stage of a feature vector (from the one-hot `stage_*` features).
  public func stage(of x: [Double], columns: Columns) -> Int? {
    for (s, j) in columns.stages.enumerated() { if let j, x[j] == 1 { return s } }
    return nil
  }

  /// Every action's figures and the choice for one customer; with the
  /// `clv` feature as the value, its standard error comes from the
  /// features' computation (`FeatureSet.clvStandardError`) when known.
  public func decide(features x: [Double], columns: Columns, clvStandardError: Double? = nil) -> Decision {
    let s = stage(of: x, columns: columns)
    let (value, converted) = catalog.value(
      self.value.of(features: x, stage: s, columns: columns.value), stage: s.map { stages[$0] })
    let valueSE =
      converted
      ? nil
      : self.value.standardError(features: x, stage: s, columns: columns.value, clvStandardError: clvStandardError)
    let outlook = learner.fitted.outlook(for: x, stage: s, in: self, columns: columns)
    let reach =
      reachability.map { $0.probability(silenceDays: Reachability.silenceDays(x, columns: columns.silence), stage: s) }
      ?? 1
    var options: [Option] = []
    for (a, action) in catalog.actions.enumerated() {
      var reason: String?
      if !action.eligibleStages.isEmpty && !(s.map { action.eligibleStages.contains(stages[$0]) } ?? false) {
        reason = "not for stage \(s.map { stages[$0] } ?? "unknown")"
      } else if let failed = zip(action.conditions, columns.conditions[a]).first(where: { !$0.0.holds(for: x[$0.1]) }) {
        reason = "\(failed.0.description) does not hold"
      } else if action.cooldownDays > 0, let j = columns.daysSinceTreatment[a], x[j] < Double(action.cooldownDays) {
        reason = "cooldown: received \(NumberText.fixed(x[j], 0)) days ago (cooldown \(action.cooldownDays))"
      }
      let effects = self.effects[a]
      let prior = s.map { effects.stages[$0].prior } ?? effects.overall
      let churn =
        outlook.actions[a]
        ?? ChurnOutlook.Action(churnWithout: outlook.baseline, churnWith: outlook.baseline - prior, uplift: prior)
      let (pWithout, pWith, uplift) = (churn.churnWithout, churn.churnWith, churn.uplift)
      options.append(
        Option(
          action: a, ineligibleBecause: reason, churnWithout: pWithout, churnWith: min(1, max(0, pWith)),
          uplift: uplift, netValue: reach * uplift * value - action.cost,
          netValueStandardError: valueSE.map { reach * abs(uplift) * $0 }))
    }
    return Decision(value: value, valueStandardError: valueSE, reach: reach, options: options)
  }

  /// The customer's log-odds effect of action `a` (S-learner, hazard
  /// learner) shrunk toward their stage's by their own sampling variance:
  /// δ_s + w (δ − δ_s), w = σ² / (σ² + v). The effect then scales with
  /// their risk.
  func shrunkLogOddsEffect(_ a: Int, _ x: [Double], stage s: Int?) -> Double? {
    guard let (delta, variance) = learner.fitted.logOddsEffect(a, x) else { return nil }
    let effects = self.effects[a]
    let logPrior = s.flatMap { effects.stages[$0].logOddsPrior } ?? delta
    let sigma2 = effects.heterogeneityVariance
    let w = sigma2 + variance > 0 ? sigma2 / (sigma2 + variance) : 0
    return logPrior + w * (delta - logPrior)
  }

  /// One line on the choice, e.g. "discount_offer: churn 12.0% → 7.9% (−4.1 pts) × value 830 − cost 10 = +24.0".
  public func reason(for d: Decision) -> String {
    let reachText = d.reach < 0.995 ? " × \(NumberText.percent(d.reach, 0)) still reachable" : ""
    func figures(_ o: Option) -> String {
      let id = catalog.actions[o.action].id
      return
        "\(id): the uplift model's churn within \(horizonDays)d \(NumberText.percent(o.churnWithout)) → \(NumberText.percent(o.churnWith)) (\(NumberText.signed(-o.uplift * 100, 1)) pts) × value \(NumberText.fixed(d.value, 0))\(reachText) − cost \(NumberText.compact(catalog.actions[o.action].cost)) = \(NumberText.signed(o.netValue, 1))"
    }
    if let a = d.action {
      var text = figures(d.options[a])
      if let r = d.runnerUp {
        text += "; runner-up \(catalog.actions[r].id) \(NumberText.signed(d.options[r].netValue, 1))"
      }
      return text
    }
    if let r = d.runnerUp { return "no action pays: best is " + figures(d.options[r]) }
    let why = d.options.compactMap { o in o.ineligibleBecause.map { "\(catalog.actions[o.action].id) \($0)" } }
    return "no eligible action (" + why.joined(separator: "; ") + ")"
  }
}

// MARK: - The model file

extension UpliftModel {
  enum CodingKeys: String, CodingKey {
    case catalog, horizonDays, windowDays, assignment, effects, value, propensity, evaluation, stages
    case stageTransitions, reachability
  }

  public init(from decoder: any Decoder) throws {
    let container = try decoder.container(keyedBy: CodingKeys.self)
    catalog = try container.decode(ActionCatalog.self, forKey: .catalog)
    horizonDays = try container.decode(Int.self, forKey: .horizonDays)
    windowDays = try container.decode(Int.self, forKey: .windowDays)
    assignment = try container.decode(Assignment.self, forKey: .assignment)
    effects = try container.decode([ActionEffects].self, forKey: .effects)
    value = try container.decode(CustomerValue.self, forKey: .value)
    propensity = try container.decode([PropensityDiagnostics].self, forKey: .propensity)
    evaluation = try container.decode(UpliftEvaluation.self, forKey: .evaluation)
    stages = try container.decode([String].self, forKey: .stages)
    stageTransitions = try container.decode([ActionStageEffect].self, forKey: .stageTransitions)
    reachability = try container.decodeIfPresent(Reachability.self, forKey: .reachability)
    inFormatTwo = try FittedLearner.FormatTwo.isUsed(by: decoder)
    learner =
      inFormatTwo ? try FittedLearner.FormatTwo(from: decoder).learnerNow : try FittedLearner(from: decoder)
  }

  public func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode(catalog, forKey: .catalog)
    try container.encode(horizonDays, forKey: .horizonDays)
    try container.encode(windowDays, forKey: .windowDays)
    try container.encode(assignment, forKey: .assignment)
    try container.encode(effects, forKey: .effects)
    try container.encode(value, forKey: .value)
    try container.encode(propensity, forKey: .propensity)
    try container.encode(evaluation, forKey: .evaluation)
    try container.encode(stages, forKey: .stages)
    try container.encode(stageTransitions, forKey: .stageTransitions)
    try container.encodeIfPresent(reachability, forKey: .reachability)
    if inFormatTwo {
      try FittedLearner.FormatTwo(learner).encode(to: encoder)
    } else {
      try learner.encode(to: encoder)
    }
  }
}
