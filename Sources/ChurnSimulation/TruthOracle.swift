import ChurnData
import ChurnIO
import ChurnModels
import Foundation

/// The true effect of an action on one generated customer, from `truth.json`:
/// what next-best-action decisions are judged against on generated data.
///
/// P(churn within h days) follows the generator day by day — churn with the
/// stage's hazard (plan, support tickets and sentiment in the last 30 days,
/// actions still working), then the stage moves — starting from the
/// customer's stage at the decision. Tickets and sentiment are held at
/// their values at the decision (the generator lets them drift with the
/// hidden propensity), which is the one approximation.
///
/// ```swift
/// let oracle = TruthOracle(truth: truth)
/// let prevented = oracle.uplift(of: "loyalty_call", customer: state, days: 90)
/// ```
public struct TruthOracle: Sendable {
  public let truth: LifecycleTruth

  public init(truth: LifecycleTruth) { self.truth = truth }

  /// Reads the `truth` part of a `truth.json` that `churnkit generate` wrote.
  public static func load(path: String) throws -> TruthOracle {
    struct File: Decodable { let truth: LifecycleTruth }
    guard let data = contentsOfFile(path) else {
      throw TruthFileError.unreadable(path: path)
    }
    do {
      return TruthOracle(truth: try JSONDecoder().decode(File.self, from: data).truth)
    } catch {
      throw TruthFileError.notTruthFile(path: path, reason: JSONProblem.describe(error, in: data))
    }
  }

  /// What the generator's hazard depends on at the decision.
  public struct CustomerState: Sendable {
    public var stage: String
    public var plan: String
    public var supportTickets30d: Double
    public var meanSentiment30d: Double
    /// Actions received earlier and still working: (action id, days left).
    public var activeActions: [(action: String, daysLeft: Int)]

    public init(
      stage: String, plan: String, supportTickets30d: Double, meanSentiment30d: Double,
      activeActions: [(action: String, daysLeft: Int)] = []
    ) {
      self.stage = stage
      self.plan = plan
      self.supportTickets30d = supportTickets30d
      self.meanSentiment30d = meanSentiment30d
      self.activeActions = activeActions
    }
  }

  /// P(churn within `days`), with `action` (if any) given at the start.
  public func churnProbability(_ c: CustomerState, action: String? = nil, days: Int) -> Double {
    let stages = truth.stages
    let k = stages.count
    guard let start = stages.firstIndex(of: c.stage), start < k - 1 else { return 1 }
    let h = truth.churnHazard
    let base =
      h.supportTickets30dCoefficient * c.supportTickets30d + h.meanSentiment30dCoefficient * c.meanSentiment30d
      + (h.planEffect[c.plan] ?? 0)
    var effects = c.activeActions.compactMap { a -> (Double, Int)? in
      truth.actions.first { $0.id == a.action }.map { ($0.effectOnChurnLogOdds[c.plan] ?? 0, a.daysLeft) }
    }
    if let action, let a = truth.actions.first(where: { $0.id == action }) {
      effects.append((a.effectOnChurnLogOdds[c.plan] ?? 0, a.effectDays))
    }
    let moves: [[(Int, Double)]] = stages.map { from in
      (truth.stageMoves[from] ?? [:]).sorted { $0.key < $1.key }.map { (stages.firstIndex(of: $0.key)!, $0.value) }
    }
    var alive = [Double](repeating: 0, count: k)
    alive[start] = 1
    var churned = 0.0
    for day in 0..<days {
      let active = effects.reduce(0) { $0 + (day < $1.1 ? $1.0 : 0) }
      var next = [Double](repeating: 0, count: k)
      for s in 0..<(k - 1) where alive[s] > 0 {
        let hazard = logistic((h.stageIntercept[stages[s]] ?? 0) + base + active)
        churned += alive[s] * hazard
        let survivors = alive[s] * (1 - hazard)
        var stay = survivors
        for (to, p) in moves[s] {
          next[to] += survivors * p
          stay -= survivors * p
        }
        next[s] += stay
      }
      alive = next
    }
    return churned
  }

  /// Churn prevented within `days` by giving `action` now.
  public func uplift(of action: String, customer: CustomerState, days: Int) -> Double {
    churnProbability(customer, days: days) - churnProbability(customer, action: action, days: days)
  }
}
