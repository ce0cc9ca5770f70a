import ChurnIO
import ChurnModels

/// The process that `LifecycleGenerator` simulates, written down so later
/// work can test whether it recovers it (`truth.json`).
///
/// Customers move day by day through the lifecycle stages. Each day a
/// customer first churns with probability `h`, where
///
/// ```
/// logit h = stageIntercept[stage] + planEffect[plan]
///         + supportTickets30d · ticketsCoefficient
///         + meanSentiment30d  · sentimentCoefficient
///         + Σ over actions received in the last `effectDays` days: effect[action][plan]
/// ```
///
/// and, if not churned, moves to another stage with the probabilities in
/// `stageMoves` (the same for every customer). Support tickets and
/// sentiment are driven by a hidden per-customer propensity, so they carry
/// churn signal without being its cause beyond the terms above.
public struct LifecycleTruth: Codable, Sendable, Equatable {
  /// An intervention in the generated catalog, with its true effect.
  public struct Action: Codable, Sendable, Equatable {
    public var id: String
    public var label: String
    public var cost: Double
    public var channel: String
    public var eligibleStages: [String]
    /// Change in the daily churn log-odds while the action works, per plan
    /// (negative = fewer churns).
    public var effectOnChurnLogOdds: [String: Double]
    /// How long the effect lasts after the action, in days.
    public var effectDays: Int
    /// How the effect changes with the customer's behaviour (nil: it
    /// depends on the plan alone).
    public var effectModifiers: EffectModifiers?

    enum CodingKeys: String, CodingKey {
      case id, label, cost, channel, eligibleStages = "eligible_stages"
      case effectOnChurnLogOdds = "effect_on_churn_log_odds", effectDays = "effect_days"
      case effectModifiers = "effect_modifiers"
    }
  }

  /// Terms added to an action's log-odds effect on the day's churn while
  /// it works: per unit of the customer's latent satisfaction (the hidden
  /// complaint propensity's negative, standard normal: sentiment and
  /// support tickets reveal it only partly), of their tenure in years that
  /// day, and of their latent usage (standard normal: it scales logins and
  /// purchases). A positive sum makes the action raise churn: it harms.
  public struct EffectModifiers: Codable, Sendable, Equatable {
    public var satisfaction: Double
    public var tenureYears: Double
    public var usage: Double

    enum CodingKeys: String, CodingKey {
      case satisfaction, tenureYears = "tenure_years", usage
    }

    /// The change in the log-odds effect for one customer on one day.
    public func effect(satisfaction s: Double, tenureYears t: Double, usage u: Double) -> Double {
      satisfaction * s + tenureYears * t + usage * u
    }
  }

  /// The daily churn hazard model (log-odds scale).
  public struct ChurnHazard: Codable, Sendable, Equatable {
    public var stageIntercept: [String: Double]
    /// Relative to the reference plan ("basic", effect 0).
    public var planEffect: [String: Double]
    public var supportTickets30dCoefficient: Double
    public var meanSentiment30dCoefficient: Double

    enum CodingKeys: String, CodingKey {
      case stageIntercept = "stage_intercept", planEffect = "plan_effect"
      case supportTickets30dCoefficient = "support_tickets_30d_coefficient"
      case meanSentiment30dCoefficient = "mean_sentiment_30d_coefficient"
    }
  }

  public var stages: [String]
  public var plans: [String]
  public var planShares: [Double]
  /// `stageMoves[from][to]`: daily probability of moving from one stage to
  /// another, given the customer does not churn that day. Absent pairs are 0;
  /// staying has the remaining probability.
  public var stageMoves: [String: [String: Double]]
  public var churnHazard: ChurnHazard
  /// Expected events per day by stage and event type (support tickets are
  /// scaled per customer by the hidden propensity, with mean one).
  public var activityRates: [String: [String: Double]]
  /// Channel shares per event type.
  public var eventChannels: [String: [String: Double]]
  public var actions: [Action]
  /// Daily probability that an eligible customer receives a random action
  /// (assignment is randomised, uniform over eligible actions).
  public var treatmentRate: Double
  /// The spread σ of the latent usage on the log scale of login and
  /// purchase rates (each × exp(σu − σ²/2)); nil: every customer uses the
  /// product alike (the standard truth, whose files stay as they were).
  public var usageSpread: Double?
  /// The full daily transition matrix (rows: from, columns: to, in `stages`
  /// order, last stage `churned` absorbing) for a reference customer: basic
  /// plan, no tickets, no sentiment, no action.
  public var referenceTransitionMatrix: [[Double]]

  enum CodingKeys: String, CodingKey {
    case stages, plans, planShares = "plan_shares", stageMoves = "stage_moves", churnHazard = "churn_hazard"
    case activityRates = "activity_rates", eventChannels = "event_channels", actions
    case treatmentRate = "treatment_rate", referenceTransitionMatrix = "reference_transition_matrix"
    case usageSpread = "usage_spread"
  }

  /// The default process.
  public static let standard: LifecycleTruth = {
    let stages = ["awareness", "consideration", "purchase", "onboarding", "retention", "advocacy", "churned"]
    var truth = LifecycleTruth(
      stages: stages,
      plans: ["basic", "standard", "premium"],
      planShares: [0.5, 0.35, 0.15],
      stageMoves: [
        "awareness": ["consideration": 0.05],
        "consideration": ["purchase": 0.06, "awareness": 0.01],
        "purchase": ["onboarding": 0.5],
        "onboarding": ["retention": 0.05],
        "retention": ["advocacy": 0.01],
        "advocacy": ["retention": 0.02],
      ],
      churnHazard: ChurnHazard(
        stageIntercept: [
          "awareness": -4.0, "consideration": -4.3, "purchase": -6.0, "onboarding": -5.5,
          "retention": -6.2, "advocacy": -7.0,
        ],
        planEffect: ["basic": 0, "standard": -0.3, "premium": -0.6],
        supportTickets30dCoefficient: 0.35,
        meanSentiment30dCoefficient: -1.0),
      activityRates: [
        "awareness": ["visit": 0.15],
        "consideration": ["visit": 0.15, "compare": 0.08],
        "purchase": [:],
        "onboarding": ["login": 0.25, "support_ticket": 0.03, "survey": 0.02],
        "retention": ["login": 0.05, "purchase": 0.03, "support_ticket": 0.008, "survey": 0.006],
        "advocacy": ["login": 0.08, "purchase": 0.05, "support_ticket": 0.004, "survey": 0.01, "referral": 0.01],
      ],
      eventChannels: [
        "visit": ["web": 0.6, "app": 0.4],
        "compare": ["web": 1],
        "login": ["app": 0.7, "web": 0.3],
        "purchase": ["web": 0.5, "app": 0.3, "store": 0.2],
        "support_ticket": ["phone": 0.5, "email": 0.5],
        "survey": ["email": 1],
        "referral": ["web": 1],
        "cancel": ["web": 0.5, "phone": 0.5],
      ],
      actions: [
        Action(
          id: "discount_offer", label: "10% discount for three months", cost: 10, channel: "email",
          eligibleStages: ["onboarding", "retention", "advocacy"],
          effectOnChurnLogOdds: ["basic": -0.7, "standard": -0.3, "premium": 0.0], effectDays: 60),
        Action(
          id: "loyalty_call", label: "Call from the customer success team", cost: 25, channel: "phone",
          eligibleStages: ["retention", "advocacy"],
          effectOnChurnLogOdds: ["basic": -0.1, "standard": -0.5, "premium": -0.9], effectDays: 60),
        Action(
          id: "onboarding_help", label: "Guided onboarding session", cost: 5, channel: "email",
          eligibleStages: ["onboarding"],
          effectOnChurnLogOdds: ["basic": -0.6, "standard": -0.6, "premium": -0.6], effectDays: 45),
      ],
      treatmentRate: 0.004,
      referenceTransitionMatrix: [])
    truth.referenceTransitionMatrix = truth.transitionMatrix(plan: "basic")
    return truth
  }()

  /// The standard process with action effects that depend on behaviour:
  /// per action a base effect per plan, and modifiers on satisfaction,
  /// tenure and usage whose sizes and directions are drawn from `seed`, so
  /// no learner can be tuned to one shape. Effects are drawn so that each
  /// action helps on average yet harms some customers (satisfaction's and
  /// usage's signs are random; a strong modifier turns the effect over).
  public static func behavioural(seed: UInt64) -> LifecycleTruth {
    var truth = LifecycleTruth.standard
    truth.usageSpread = 0.6
    // A satisfaction survey about once a month after purchase, so that
    // sentiment tells something of most customers' satisfaction, if noisily.
    for stage in ["onboarding", "retention", "advocacy"] { truth.activityRates[stage]?["survey"] = 0.03 }
    var rng = SplitMix64(seed: seed ^ 0xBE4A_710E_FFEC_7A01)
    func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * rng.nextUniform() }
    func signed(_ low: Double, _ high: Double) -> Double {
      let size = uniform(low, high)
      return rng.nextUniform() < 0.5 ? -size : size
    }
    for a in truth.actions.indices {
      let base = uniform(-0.9, -0.3)
      var byPlan: [String: Double] = [:]
      for plan in truth.plans { byPlan[plan] = base + uniform(-0.2, 0.2) }
      truth.actions[a].effectOnChurnLogOdds = byPlan
      truth.actions[a].effectModifiers = EffectModifiers(
        satisfaction: signed(0.3, 0.8), tenureYears: uniform(-0.5, 0.5), usage: signed(0.15, 0.45))
    }
    return truth
  }

  /// The daily transition matrix for a customer of `plan` with no tickets,
  /// no sentiment and no action: churn first, then the stage moves.
  public func transitionMatrix(plan: String) -> [[Double]] {
    let n = stages.count
    var matrix = Array(repeating: Array(repeating: 0.0, count: n), count: n)
    for (i, from) in stages.enumerated() {
      guard let intercept = churnHazard.stageIntercept[from] else {
        matrix[i][i] = 1  // absorbing
        continue
      }
      let h = logistic(intercept + (churnHazard.planEffect[plan] ?? 0))
      matrix[i][n - 1] = h
      var stay = 1 - h
      for (to, p) in stageMoves[from] ?? [:] {
        let j = stages.firstIndex(of: to)!
        matrix[i][j] = (1 - h) * p
        stay -= (1 - h) * p
      }
      matrix[i][i] = stay
    }
    return matrix
  }
}

#if canImport(Glibc)
  import Glibc
#endif
