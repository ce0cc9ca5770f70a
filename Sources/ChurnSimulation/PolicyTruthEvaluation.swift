import ChurnArtifacts
import ChurnData
import ChurnDecisions
import ChurnIO
import ChurnModels

/// On generated data, the true value of a plan and of its rivals, from
/// `truth.json` (`TruthOracle`): the check that recommendations are right,
/// not just self-consistent.
///
/// Policies, each under the same capacities and budget: the plan; the
/// oracle (the assignment that knows every customer's true uplift); "treat
/// the highest risk" (as many customers as the plan, the riskiest among
/// those with an eligible action, each given the eligible action with the
/// largest average effect); "random" (as many customers, drawn at random,
/// a random eligible action); and no action. True value = Σ (true uplift ×
/// value − cost), with the plan's customer values.
public struct PolicyTruthEvaluation: Sendable, Encodable {
  public struct Policy: Sendable, Codable {
    public let policy: String
    public let customers: Int
    public let spend: Double
    public let trueChurnPrevented: Double
    public let trueNetValue: Double
  }

  public let policies: [Policy]
  /// The plan's true net value over the oracle's.
  public let shareOfOracle: Double
  /// Per customer (the plan's order) and action: the true churn prevented.
  public let trueUplift: [[Double]]

  enum CodingKeys: String, CodingKey { case policies, shareOfOracle }

  /// True uplifts from the hazard with today's tickets and sentiment held
  /// fixed (`TruthOracle`): fast, approximate.
  public static func hazardUplifts(
    plan: ActionPlanner.Plan, model: ChurnModel, features: FeatureSet, truth: LifecycleTruth,
    planOf customer: (String) -> String?
  ) throws -> [[Double]] {
    guard let uplift = model.uplift else { throw ModelUseError.noNextBestAction }
    guard truth.actions.allSatisfy({ $0.effectModifiers == nil }) else {
      throw TruthFileError.latentEffectModifiers
    }
    let names = model.features
    func column(_ name: String) throws -> Int {
      guard let j = names.firstIndex(of: name) else {
        throw TruthFileError.modelLacksFeature(name)
      }
      return j
    }
    let tickets = try column("count_support_ticket_30d"), sentiment = try column("sentiment_mean_30d")
    let since = try uplift.catalog.actions.map { try column("days_since_treatment_\($0.id)") }
    let oracle = TruthOracle(truth: truth)
    let catalog = uplift.catalog
    let horizon = uplift.horizonDays
    var trueUplift: [[Double]] = []
    for (i, row) in features.rows.enumerated() {
      let x = features.values(of: row)
      let a = plan.assignments[i]
      guard let stage = a.stage, let planName = customer(row.customerID) else {
        trueUplift.append(catalog.actions.map { _ in 0 })
        continue
      }
      var active: [(action: String, daysLeft: Int)] = []
      for (k, act) in catalog.actions.enumerated() {
        if let t = truth.actions.first(where: { $0.id == act.id }), x[since[k]] < Double(t.effectDays) {
          active.append((act.id, t.effectDays - Int(x[since[k]].rounded(.up))))
        }
      }
      let state = TruthOracle.CustomerState(
        stage: stage, plan: planName, supportTickets30d: x[tickets], meanSentiment30d: x[sentiment],
        activeActions: active)
      let base = oracle.churnProbability(state, days: horizon)
      trueUplift.append(catalog.actions.map { base - oracle.churnProbability(state, action: $0.id, days: horizon) })
    }
    return trueUplift
  }

  /// True uplifts by replaying each customer in the generator and running
  /// the future with and without each action (`SimulationOracle`), on all cores.
  public static func simulatedUplifts(
    plan: ActionPlanner.Plan, model: ChurnModel, oracle: SimulationOracle, asOf: Cutoff, stream: UInt64 = 0
  ) throws -> [[Double]] {
    guard let uplift = model.uplift else { throw ModelUseError.noNextBestAction }
    let ids = uplift.catalog.actions.map(\.id)
    let horizon = uplift.horizonDays
    return concurrentMap(plan.assignments.count) { i in
      // Only where some action is eligible does the truth matter.
      guard plan.decisions[i].options.contains(where: { $0.ineligibleBecause == nil }),
        let p = oracle.churnProbabilities(
          customer: plan.assignments[i].customerID, asOf: asOf, actions: [nil] + ids, days: horizon, stream: stream)
      else { return [Double](repeating: 0, count: ids.count) }
      return ids.indices.map { p[0] - p[$0 + 1] }
    }
  }

  /// Values every policy with `trueUplift`; the oracle chooses with
  /// `oracleUplift` (an independent estimate of the same truth; default the same).
  public init(
    plan: ActionPlanner.Plan, model: ChurnModel, trueUplift: [[Double]], oracleUplift: [[Double]]? = nil,
    seed: UInt64 = 1
  ) throws {
    guard let uplift = model.uplift else { throw ModelUseError.noNextBestAction }
    let catalog = uplift.catalog
    self.trueUplift = trueUplift
    let n = plan.assignments.count
    let costs = catalog.actions.map(\.cost)
    let eligible: [[Int]] = plan.decisions.map { d in d.options.filter { $0.ineligibleBecause == nil }.map(\.action) }
    func score(_ name: String, _ actions: [Int?]) -> Policy {
      var prevented = 0.0, net = 0.0, spend = 0.0
      for (i, a) in actions.enumerated() {
        guard let a else { continue }
        prevented += trueUplift[i][a]
        net += trueUplift[i][a] * plan.assignments[i].value - costs[a]
        spend += costs[a]
      }
      return Policy(
        policy: name, customers: actions.compactMap { $0 }.count, spend: spend, trueChurnPrevented: prevented,
        trueNetValue: net)
    }
    let recommended = plan.assignments.map(\.action)
    let choosing = oracleUplift ?? trueUplift
    let trueValues = (0..<n).map { i in
      catalog.actions.indices.map { a in
        eligible[i].contains(a) ? choosing[i][a] * plan.assignments[i].value - costs[a] : -.infinity
      }
    }
    let best = CapacityAssignment(
      values: trueValues, capacities: catalog.actions.map(\.capacity), costs: costs, budget: plan.budget
    ).solve()
    let count = recommended.compactMap { $0 }.count
    let byEffect = { (list: [Int]) in list.max { (uplift.effects[$0].overall, -$0) < (uplift.effects[$1].overall, -$1) }
    }
    var risky = [Int?](repeating: nil, count: n)
    var used = [Int](repeating: 0, count: costs.count)
    for i in (0..<n).filter({ !eligible[$0].isEmpty }).sorted(by: {
      (plan.assignments[$0].churnProbability, -$0) > (plan.assignments[$1].churnProbability, -$1)
    }) {
      guard risky.compactMap({ $0 }).count < count,
        let a = byEffect(eligible[i].filter { used[$0] < (catalog.actions[$0].capacity ?? .max) })
      else { continue }
      risky[i] = a
      used[a] += 1
    }
    var rng = SplitMix64(seed: seed)
    var random = [Int?](repeating: nil, count: n)
    used = [Int](repeating: 0, count: costs.count)
    var candidates = (0..<n).filter { !eligible[$0].isEmpty }
    for k in stride(from: candidates.count - 1, to: 0, by: -1) { candidates.swapAt(k, Int(rng.next() % UInt64(k + 1))) }
    for i in candidates where random.compactMap({ $0 }).count < count {
      let open = eligible[i].filter { used[$0] < (catalog.actions[$0].capacity ?? .max) }
      guard !open.isEmpty else { continue }
      let a = open[Int(rng.next() % UInt64(open.count))]
      random[i] = a
      used[a] += 1
    }
    policies = [
      score("recommended", recommended), score("oracle (true uplift)", best), score("treat the highest risk", risky),
      score("random", random), score("no action", [Int?](repeating: nil, count: n)),
    ]
    shareOfOracle = policies[1].trueNetValue > 0 ? policies[0].trueNetValue / policies[1].trueNetValue : .nan
  }
}
